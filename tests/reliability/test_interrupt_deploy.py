"""Ctrl-C at each phase of a first deploy (bundle, synth, change sets, confirm, execute, verify) on
the moto server: exit 130 (KeyboardInterrupt becomes HivemindError(130)), the status is not left in
progress, before any execution the deployment is recorded as it was (no release, no artifact),
after one it says "CloudFormation may still be working", and the next deploy completes."""
from __future__ import annotations

import pytest

from hivemind.errors import HivemindError
from hivemind.state import DeploymentStatus, load_state
from hivemind.state.lease import live_lease
from hivemind.workflows.deploy import deploy

from .conftest import REGION
from .interrupts import InterruptAt

NAME = "express-postgres"
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}

# (phase, mid-execute, anything executed in AWS by then)
CASES = [
    ("bundle", False, False),
    ("synth", False, False),
    ("change sets", False, False),
    ("confirm", False, False),
    ("execute", False, False),   # Ctrl-C as execute starts: no change set executed yet
    ("execute", True, True),     # ... and while the change sets execute
    ("verify", False, True),
]


@pytest.mark.parametrize("phase, mid, executed", CASES,
                         ids=[f"{p}{' (mid)' if m else ''}" for p, m, _ in CASES])
def test_ctrl_c_at_each_first_deploy_phase(aws, repo, phase, mid, executed):
    ui = InterruptAt(phase, mid=mid)
    with pytest.raises(HivemindError) as exc:
        deploy(repo, stage="stage-1", yes=True, ui=ui, **FAST)
    assert ui.fired == (f"{phase} (mid)" if mid else phase)
    assert exc.value.exit_code == 130
    where = "CloudFormation may still be working: " if executed else ""
    assert str(exc.value) == f"interrupted during {phase}; {where}run `hivemind status {NAME}`"

    state = load_state(NAME)
    assert not state.status.in_progress, state.status
    operation = state.operations[-1]
    assert operation.status == "interrupted"
    assert [p.name for p in operation.phases][-1] == phase and operation.phases[-1].outcome == "interrupted"
    if executed:
        assert state.status is DeploymentStatus.FAILED and state.failed_stage == phase
        assert state.last_error == f"interrupted during {phase}; CloudFormation may still be working"
    else:
        # The deployment as it was before the command: nothing released, no artifact recorded.
        assert state.status is DeploymentStatus.PENDING
        assert state.releases == [] and state.artifact is None and state.colors == {}
    assert live_lease(NAME, REGION) is None

    again = deploy(repo, stage="stage-1", yes=True, **FAST)      # the next run completes
    assert again.lifecycle.status == "succeeded"
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and state.live_release is not None
    assert state.live_release.label == ("v2" if phase == "execute" and mid else "v1")
