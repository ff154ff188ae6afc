"""`.ci/run` installs what the tests need: run it with stub commands on a PATH that lacks one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> "$CALLS"\n'


def run_ci(tmp_path: Path, present: list[str]) -> list[str]:
    """.ci/run with only `present` (as stubs) and the shell's own tools on PATH; the calls
    the stubs saw. make, npm and apt-get are always stubs: nothing is installed or run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "basename", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    for name in {*present, "make", "npm", "apt-get"}:
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls"
    env = {"PATH": str(bin_dir), "CALLS": str(calls), "HOME": str(tmp_path)}
    bash = shutil.which("bash")
    subprocess.run([bash, str(REPO / ".ci" / "run")], env=env, check=True, timeout=60)
    return calls.read_text().splitlines()


def test_a_missing_openssl_is_installed_for_dkim_keygen(tmp_path):
    calls = run_ci(tmp_path, ["chromium", "java", "npm"])
    (install,) = [c for c in calls if c.startswith("apt-get install")]
    assert "openssl" in install.split() and "chromium" in install.split()
    assert calls[-1] == "make test"


def test_nothing_is_installed_when_every_tool_is_there(tmp_path):
    calls = run_ci(tmp_path, ["chromium", "java", "npm", "openssl"])
    assert not [c for c in calls if c.startswith("apt-get")]
    assert calls[-1] == "make test"
