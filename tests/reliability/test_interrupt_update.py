"""Ctrl-C at each phase of a blue-green update (bundle, synth, change sets, confirm, deploy idle,
wait healthy, verify idle, shift, verify, retire) of one deployment made once for the module on the
moto server: exit 130, the status is not left in progress, before any execution the recorded
plan, releases, colours and artifact are unchanged, after one the state says "CloudFormation may
still be working", and the next update completes."""
from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest

from hivemind.errors import HivemindError
from hivemind.state import DeploymentStatus, load_state
from hivemind.state.lease import live_lease
from hivemind.workflows.deploy import deploy
from hivemind.workflows.rollout import Tuning
from hivemind.workflows.update import update

from .conftest import REGION
from .interrupts import InterruptAt

NAME = "express-postgres"
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}
TUNING = Tuning(4, (0.01, 0.01), 0.01)
_RUNNING = ("plan", "releases", "colors", "artifact", "active_color")

# (phase, mid-execute, anything executed in AWS by then)
# Each case is a whole update (15-40 s): the phases before any execution share one mechanism (the
# baseline put back), so bundle and confirm stand for them; the first deploy's file has every phase.
CASES = [
    ("bundle", False, False),
    ("confirm", False, False),
    ("deploy idle", True, True),      # while the idle colour's stack is being created
    ("wait healthy", False, True),
    ("shift", False, True),
    ("retire", False, True),
]


def _env(mp: pytest.MonkeyPatch, moto: str, home: Path) -> None:
    for name, value in {"AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "HIVEMIND_HOME": str(home)}.items():
        mp.setenv(name, value)


@pytest.fixture(scope="module")
def deployment(moto_server, tmp_path_factory):
    """express-postgres deployed once (v1 on blue) in a fresh moto account, for every case here."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    home, repo = tmp_path_factory.mktemp("interrupt-home"), tmp_path_factory.mktemp("interrupt-repo") / NAME
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / NAME, repo)
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, moto_server, home)
        assert deploy(repo, stage="stage-1", yes=True, **FAST).lifecycle.status == "succeeded"
    return {"moto": moto_server, "home": home, "repo": repo}


@pytest.fixture
def deployed(deployment, monkeypatch):
    _env(monkeypatch, deployment["moto"], deployment["home"])  # over the suite's per-test isolation
    return deployment["repo"]


def _running(state) -> dict:
    return {name: getattr(state, name).model_dump(mode="json") if hasattr(getattr(state, name), "model_dump")
            else _dump(getattr(state, name)) for name in _RUNNING}


def _dump(value):
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def _release(repo: Path, **kwargs):
    return update(NAME, repo, bake=0, yes=True, tuning=TUNING, healthy_timeout=5, **kwargs)


@pytest.mark.parametrize("phase, mid, executed", CASES,
                         ids=[f"{p}{' (mid)' if m else ''}" for p, m, _ in CASES])
def test_ctrl_c_at_each_update_phase(deployed, phase, mid, executed):
    server = deployed / "src" / "server.js"
    server.write_text(server.read_text() + f"\n// release interrupted at {phase}{' mid' if mid else ''}\n")
    before = load_state(NAME)
    assert before.status is DeploymentStatus.COMPLETED
    ui = InterruptAt(phase, mid=mid)
    with pytest.raises(HivemindError) as exc:
        _release(deployed, ui=ui)
    assert ui.fired == (f"{phase} (mid)" if mid else phase), ui.started
    assert exc.value.exit_code == 130
    where = "CloudFormation may still be working: " if executed else ""
    assert str(exc.value) == f"interrupted during {phase}; {where}run `hivemind status {NAME}`"

    state = load_state(NAME)
    assert not state.status.in_progress, state.status
    operation = state.operations[-1]
    assert operation.status == "interrupted" and operation.action == "update"
    assert "interrupted" in [p.outcome for p in operation.phases if p.name == phase]
    if executed:
        assert state.status is DeploymentStatus.FAILED
        assert state.last_error.startswith(f"interrupted during {phase}; CloudFormation may still be working")
    else:
        # Nothing was executed: the deployment is recorded exactly as it runs.
        assert state.status is DeploymentStatus.COMPLETED
        assert _running(state) == _running(before)
    assert live_lease(NAME, REGION) is None

    again = _release(deployed)                     # the next run completes
    assert again.lifecycle.status == "succeeded"
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED
    assert state.live_release.artifact.sha256 != before.live_release.artifact.sha256
