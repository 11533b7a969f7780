"""The wipe's proof below the file system: a base runs on an ext4 image the test makes and
loop-mounts, is wiped, the image is unmounted, and its raw bytes hold no number or name in any
form, and no longer the data key nor the command key (which they did hold before)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, write_config
from gateway.wipe import EXIT_WIPED
from tests.identity_forms import all_forms, check_forms, found_in

FOCAL = {"+243997412583": "Kahindo Masika", "+243998236145": "Éliane Kasereka"}
COMMAND_KEY = "k3y-for-tests-0123456789abcdef"
IMAGE_MB = 48


@pytest.fixture
def mounted(tmp_path):
    """An ext4 file system in a file, loop-mounted; yields (image, mount point)."""
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        pytest.skip("needs root and mkfs.ext4 to loop-mount a file system image")
    image, point = tmp_path / "card.img", tmp_path / "mnt"
    with open(image, "wb") as handle:
        handle.truncate(IMAGE_MB * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    point.mkdir()
    mount = subprocess.run(["mount", "-o", "loop", str(image), str(point)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"this machine does not allow a loop mount: {mount.stderr.strip()}")
    try:
        yield image, point
    finally:
        if os.path.ismount(point):
            subprocess.run(["umount", str(point)], check=False)


def raw(image: Path) -> bytes:
    subprocess.run(["sync"], check=True)
    return image.read_bytes()


def test_after_the_wipe_the_raw_image_holds_no_identity_and_no_key(mounted, modem, broker):
    image, point = mounted
    base = point / "cangw"
    base.mkdir()
    (base / "command.key").write_text(COMMAND_KEY + "\n")
    (base / "command.key").chmod(0o600)  # a key others can read is refused
    config = write_config(base, modem.path, broker.port, extra=(
        '\n[sbd]\nport = "/dev/cangw-sbd-absent"\ncommand_key_file = "command.key"\n'))
    run = CliRunner().invoke
    for phone, name in FOCAL.items():
        assert run(cli, ["-c", str(config), "focal", "add", phone, name]).exit_code == 0
    db = base / "gateway.db"
    with DaemonProcess(config) as daemon:
        wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link = 'gsm'"
                                   " AND state = 'up'"), 20, what="the GSM link up")
        phones = list(FOCAL)
        modem.inject_sms(phones[0], "alerte 2 kamango, Éliane Kasereka a vu 15 hommes")
        modem.inject_sms(phones[1], f"Kahindo Masika {phones[0]} en danger", encoding="ucs2")
        wait_for(lambda: len(modem.sent) >= 2, 30, what="the acknowledgements")
        assert run(cli, ["-c", str(config), "db", "backup", str(base / "copy.db")]).exit_code == 0
        key = (base / "gateway.key").read_bytes()
        before = raw(image)
        assert key in before and COMMAND_KEY.encode() in before  # the raw scan sees files
        wiped = run(cli, ["-c", str(config), "wipe", "--yes"])
        assert wiped.exit_code == 0, wiped.output
        assert daemon.process.wait(60) == EXIT_WIPED
        daemon.stop()  # closes its log file (which the wipe unlinked)
    with MqttListener(broker.port) as late:  # the daemon's own last status came before
        wait_for(lambda: late.json_on("/status"), 10, what="the retained status")
        assert late.json_on("/status")[-1]["state"] == "wiped"
    subprocess.run(["umount", str(point)], check=True)
    after = image.read_bytes()
    check_forms(phones[0], "Kahindo Masika")
    assert found_in(after, all_forms(FOCAL, [*FOCAL.values()])) == []
    assert key not in after and key[:16] not in after and key[16:] not in after
    assert COMMAND_KEY.encode() not in after
