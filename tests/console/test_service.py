"""systemd/cangw-console.service passes systemd's own check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "cangw-console.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package systemd)")
def test_the_console_unit_passes_systemd_analyze_verify(tmp_path):
    here = str(Path(sys.executable).parent / "cangw")  # stands in for /opt/cangw's
    unit = tmp_path / "cangw-console.service"
    unit.write_text(UNIT.read_text().replace("/opt/cangw/bin/cangw", here))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    assert "console" in UNIT.read_text().split("ExecStart=")[1].splitlines()[0]
