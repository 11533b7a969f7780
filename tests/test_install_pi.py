"""scripts/install-pi in a throw-away root that looks like Raspberry Pi OS: a real useradd,
a real virtualenv and pip install, real `systemctl --root`; never on this machine itself."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "install-pi"
UNIT = ("[Unit]\nDescription={d}\n[Service]\nExecStart={run}\n[Install]\n"
        "WantedBy=multi-user.target\n")
DAEMON = "/opt/cangw/bin/cangw -c /etc/cangw/gateway.toml run"
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=5e3da3da-02 rootfstype=ext4 rootwait\n"

pytestmark = [
    pytest.mark.skipif(shutil.which("useradd") is None or shutil.which("systemctl") is None,
                       reason="needs Debian's useradd and systemctl"),
    pytest.mark.timeout(300),  # a real pip install of cangw and its dependencies
]


def pi_os_root(root: Path) -> Path:
    """The few files of a fresh Raspberry Pi OS that the installer reads or edits."""
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\n",
        "etc/group": "root:x:0:\ndialout:x:20:pi\ngpio:x:997:pi\npi:x:1000:\n",
        "etc/shadow": "root:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n",
        "etc/gshadow": "root:*::\ndialout:*::pi\ngpio:!::pi\npi:!::\n",
        "boot/firmware/config.txt": "dtparam=audio=on\ncamera_auto_detect=1\n",
        "boot/firmware/cmdline.txt": CMDLINE,
        "lib/systemd/system/hciuart.service": UNIT.format(d="Bluetooth UART",
                                                           run="/usr/bin/btuart"),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True)
    (wants / "hciuart.service").symlink_to("/lib/systemd/system/hciuart.service")
    return root


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """This checkout, with a unit file in systemd/ if none is there yet (not what the running
    suite writes into it meanwhile: coverage data, Hypothesis's examples)."""
    copy = tmp_path_factory.mktemp("source") / "cangw"
    shutil.copytree(REPO, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "demo-run", ".*_cache", "*.db*",
        ".coverage*", ".hypothesis"))
    units = copy / "systemd"
    units.mkdir(exist_ok=True)
    if not any(units.glob("*.service")):
        (units / "cangw.service").write_text(UNIT.format(d="cangw", run=DAEMON))
    return copy


def install(root: Path, source: Path, *extra: str) -> str:
    result = subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), "--source",
                             str(source), *extra], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path with its type, mode, owner, content hash or link target, and mtime."""
    seen = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            detail = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            detail = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            detail = None
        seen[str(path.relative_to(root))] = (stat.filemode(info.st_mode), info.st_uid,
                                             info.st_gid, detail, info.st_mtime_ns)
    return seen


@pytest.fixture(scope="module")
def installed(tmp_path_factory, source) -> tuple[Path, str]:
    root = pi_os_root(tmp_path_factory.mktemp("pi"))
    return root, install(root, source, "--enable-uart", "--console-cert", "192.168.4.1")


def passwd_entry(root: Path, name: str) -> list[str]:
    return next(line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
                if line.startswith(name + ":"))


def test_installs_user_folders_config_venv_rules_and_units(installed, source):
    root, output = installed
    user = passwd_entry(root, "cangw")
    assert user[5] == "/var/lib/cangw" and user[6] == "/usr/sbin/nologin" and int(user[2]) < 1000
    groups = {line.split(":")[0]: line.split(":")[3] for line in
              (root / "etc/group").read_text().splitlines()}
    assert "cangw" in groups["dialout"].split(",") and "cangw" in groups["gpio"].split(",")
    assert "pi" in groups["dialout"].split(",")  # other members kept

    state = root / "var/lib/cangw"
    assert stat.S_IMODE(state.stat().st_mode) == 0o750
    if os.geteuid() == 0:
        assert state.stat().st_uid == int(user[2])
    config = root / "etc/cangw/gateway.toml"
    assert config.read_bytes() == (source / "firmware-config/gateway.example.toml").read_bytes()
    assert stat.S_IMODE(config.stat().st_mode) == 0o640

    assert os.readlink(root / "usr/local/bin/cangw") == "/opt/cangw/bin/cangw"
    helped = subprocess.run([root / "opt/cangw/bin/cangw", "--help"], capture_output=True,
                            text=True)
    assert helped.returncode == 0 and "panel" in helped.stdout and "modem" in helped.stdout
    profiles = subprocess.run(
        [root / "opt/cangw/bin/python", "-c",
         "from gateway.gsm.profiles import load_profiles; print(sorted(load_profiles()))"],
        capture_output=True, text=True, check=True).stdout
    assert "sim800" in profiles and "quectel_ec25" in profiles  # the data ships in the package

    for name in ("99-cangw.rules", "99-cangw-uart.rules"):
        assert (root / "etc/udev/rules.d" / name).read_bytes() == \
            (source / "firmware-config/udev" / name).read_bytes()
    for unit in (source / "systemd").glob("*.service"):
        assert (root / "etc/systemd/system" / unit.name).read_bytes() == unit.read_bytes()
        assert (root / "etc/systemd/system/multi-user.target.wants" / unit.name).is_symlink()
        for line in unit.read_text().splitlines():  # the unit starts what was installed
            if line.startswith("ExecStart="):
                program = line.split("=", 1)[1].lstrip("-@:+!").split()[0]
                assert (root / program.lstrip("/")).is_file(), f"{unit.name}: {program}"
    assert (root / "opt/cangw/README.md").read_bytes() == (source / "README.md").read_bytes()

    boot = root / "boot/firmware"
    lines = (boot / "config.txt").read_text().splitlines()
    assert lines[:2] == ["dtparam=audio=on", "camera_auto_detect=1"]
    assert "enable_uart=1" in lines and "dtoverlay=disable-bt" in lines
    assert (boot / "cmdline.txt").read_text() == CMDLINE.replace("console=serial0,115200 ", "")
    assert not (root / "etc/systemd/system/multi-user.target.wants/hciuart.service").exists()
    assert output.strip().endswith("change(s)")

    key, cert = root / "etc/cangw/console.key", root / "etc/cangw/console.crt"
    assert stat.S_IMODE(key.stat().st_mode) == 0o640
    text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"], capture_output=True,
                          text=True, check=True).stdout
    assert "IP Address:192.168.4.1" in text
    assert 'tls_cert = "/etc/cangw/console.crt"' in output


def test_running_it_again_changes_nothing(installed, source):
    root, _ = installed
    before = snapshot(root)
    output = install(root, source, "--enable-uart")
    assert output.strip().endswith("nothing to change"), output
    assert not [line for line in output.splitlines() if line.startswith("done")]
    assert snapshot(root) == before


def test_an_edited_config_is_never_overwritten(installed, source):
    root, _ = installed
    config = root / "etc/cangw/gateway.toml"
    edited = config.read_text().replace('id = "KWJ"', 'id = "BNI"')
    config.write_text(edited)
    install(root, source)
    assert config.read_text() == edited
    assert 'id = "KWJ"' in (root / "etc/cangw/gateway.example.toml").read_text()


def test_dry_run_changes_nothing(tmp_path, source):
    root = pi_os_root(tmp_path)
    before = snapshot(root)
    output = install(root, source, "--dry-run", "--enable-uart")
    assert snapshot(root) == before
    assert "would   system user cangw" in output and "would   /etc/cangw/gateway.toml" in output
    assert "would   virtualenv /opt/cangw" in output and output.strip().endswith("nothing changed")
