"""`hivemind --version` answers from the package's own version, with no command needed."""
from __future__ import annotations

import subprocess
import sys

import hivemind


def test_version_prints_package_version(cli):
    code, out, err = cli("--version")
    assert code == 0
    assert out.strip() == f"hivemind {hivemind.__version__}"
    assert err == ""


def test_version_as_installed_entry_point():
    # The real process: exit status 0 and the same single line (no "Missing command" usage error).
    done = subprocess.run([sys.executable, "-m", "hivemind", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"hivemind {hivemind.__version__}"


def test_root_help_lists_version(cli):
    code, out, _ = cli("--help")
    assert code == 0
    assert "--version" in out
