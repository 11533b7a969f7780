"""firmware-config/hq/: the three nodes' shipped configuration is what the tested local cluster
runs (natsconf.py), nats-server accepts it, and users.conf is written as the README says."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import bcrypt
import pytest

from gateway.hq import certs, natsconf, users
from gateway.hq.cluster import nats_server_binary
from gateway.hq.streams import MESSAGES_STREAM_CONFIG

HQ = Path(__file__).resolve().parents[2] / "firmware-config" / "hq"


def test_the_shipped_node_configs_are_what_natsconf_writes(tmp_path):
    natsconf.main([str(tmp_path)])
    for n in (1, 2, 3):
        assert (HQ / f"node{n}.conf").read_text() == (tmp_path / f"node{n}.conf").read_text()


def test_the_shipped_messages_stream_is_what_streams_sets_up():
    assert json.loads((HQ / "messages-stream.json").read_text()) == MESSAGES_STREAM_CONFIG


def test_nats_server_accepts_the_shipped_node_configs(tmp_path):
    """Each file checked by `nats-server -t`, its /etc/nats and /var/lib/nats moved to tmp_path
    where a CA, a node certificate and a users.conf made from the example bases now are."""
    ca = certs.make_ca(tmp_path / "etc" / "tls")
    certs.issue(ca, tmp_path / "etc" / "tls", "node", ["hq1.example.org"])
    users.write_users(users.read_base_ids(HQ / "bases.toml"), tmp_path / "etc", cost=4)
    for n in (1, 2, 3):
        text = (HQ / f"node{n}.conf").read_text()
        text = text.replace("/etc/nats/", f"{tmp_path}/etc/").replace("/var/lib/nats/", f"{tmp_path}/var/")
        config = tmp_path / "etc" / f"node{n}.conf"
        config.write_text(text)
        checked = subprocess.run([nats_server_binary(), "-t", "-c", config], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr + checked.stdout


def test_adding_a_base_keeps_every_other_password_and_gives_it_only_its_own_topics(tmp_path):
    users.write_users(["KWJ"], tmp_path, cost=4)
    kwj = users.password_file(tmp_path, "base-KWJ").read_text()
    users.write_users(["KWJ", "BNI"], tmp_path, cost=4)
    assert users.password_file(tmp_path, "base-KWJ").read_text() == kwj
    assert users.password_file(tmp_path, "base-BNI").stat().st_mode & 0o777 == 0o600
    conf = (tmp_path / "users.conf").read_text()
    entries = json.loads(conf[conf.index("{"):])["accounts"]["CAN"]["users"]
    bni = next(entry for entry in entries if entry["user"] == "base-BNI")
    assert bcrypt.checkpw(users.password_file(tmp_path, "base-BNI").read_text().strip().encode(),
                          bni["password"].encode())
    assert bni["permissions"] == {"publish": {"allow": ["can.v1.BNI.>"], "deny": ["can.v1.BNI.commands"]},
                                  "subscribe": {"allow": ["can.v1.BNI.commands"]}}
    assert kwj.strip() not in conf


@pytest.mark.parametrize("bad", ["kwj", "K", "KWJ.>", "K W", "TOOLONGID"])
def test_a_base_id_that_is_not_a_safe_subject_token_is_refused(bad):
    with pytest.raises(ValueError):
        users.users_for([bad])


def test_a_base_listed_twice_is_refused():
    with pytest.raises(ValueError):
        users.users_for(["KWJ", "KWJ"])


def test_nats_server_comes_from_the_pinned_wheel():
    binary = nats_server_binary()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    assert "v2.15." in version, version
