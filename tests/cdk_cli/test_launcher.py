"""cdk.json's app command (scripts/cdk-app) picks the project's Python whatever PATH `npx` sets:
the active virtualenv, else .venv beside cdk.json, else python3 from PATH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, system_path

LAUNCHER = ROOT / "scripts" / "cdk-app"


def fake_python(path: Path, label: str) -> None:
    """An executable that says which interpreter ran and with what arguments."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{label} $*"\n')
    path.chmod(0o755)


@pytest.fixture
def project(tmp_path):
    """A copy of the launcher in a project tree of its own, with a fake .venv."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(LAUNCHER, root / "scripts" / "cdk-app")
    (root / "app.py").write_text("raise SystemExit('the fake interpreters never run this')\n")
    fake_python(root / ".venv" / "bin" / "python", "dot-venv")
    fake_python(tmp_path / "on-path" / "python3", "path-python3")
    return root


def launch(project: Path, cwd: Path, **env: str) -> str:
    base = {"PATH": f"{project.parent / 'on-path'}{os.pathsep}{system_path()}", "HOME": str(cwd)}
    done = subprocess.run(["sh", str(project / "scripts" / "cdk-app")], cwd=cwd, env=base | env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cdk_json_runs_the_launcher():
    assert json.loads((ROOT / "cdk.json").read_text())["app"] == "sh scripts/cdk-app"


def test_active_virtualenv_first(project, tmp_path):
    fake_python(tmp_path / "active" / "bin" / "python", "active-venv")
    assert launch(project, tmp_path, VIRTUAL_ENV=str(tmp_path / "active")) == f"active-venv {project}/app.py"


def test_dot_venv_beside_cdk_json_when_no_virtualenv_is_active(project, tmp_path):
    # Run from another directory: the launcher finds .venv relative to itself, not to the cwd.
    assert launch(project, tmp_path) == f"dot-venv {project}/app.py"
    # A VIRTUAL_ENV without an interpreter (a deleted venv) is skipped.
    assert launch(project, tmp_path, VIRTUAL_ENV=str(tmp_path / "gone")) == f"dot-venv {project}/app.py"


def test_python3_from_path_last(project, tmp_path):
    shutil.rmtree(project / ".venv")
    assert launch(project, tmp_path) == f"path-python3 {project}/app.py"


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="no .venv at the repository root")
def test_the_real_app_runs_with_the_venv_off_path(tmp_path):
    """The npx problem: PATH without the venv, no VIRTUAL_ENV. The app still imports aws_cdk (the
    error is the app's own one line about the plan, not `No module named 'aws_cdk'`)."""
    env = {"PATH": system_path(), "HOME": str(tmp_path), "HIVEMIND_HOME": str(tmp_path / "home"),
           "CDK_OUTDIR": str(tmp_path / "out"), "CDK_CONTEXT_JSON": json.dumps({"plan": "no-such-plan"}),
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    done = subprocess.run(["sh", "scripts/cdk-app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no-such-plan: no such file or directory"
