"""A run whose lease another machine broke (`hivemind unlock --force`) stops before its next phase,
in one line, and executes nothing more: `Operation.phase` renews and checks the lease first."""
from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest

from hivemind.state import DeploymentLocked, DeploymentStatus, deployment_lock
from hivemind.state.local import read_local
from hivemind.state.lease import read_lease
from hivemind.state.remote import read_remote
from hivemind.workflows.deploy import deploy
from hivemind.workflows.ui import QuietUI

from .conftest import REGION

NAME = "express-postgres"
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}


class BreakAfter(QuietUI):
    """When phase `after` ends, an operator on another machine (its own HIVEMIND_HOME, its own
    process) breaks the lease with `hivemind unlock --force --yes`."""

    def __init__(self, after: str, other_home):
        super().__init__()
        self.after, self.other_home = after, other_home
        self.started: list[str] = []
        self.unlock_output = ""

    def phase_started(self, name: str) -> None:
        self.started.append(name)

    def phase_finished(self, name, outcome, seconds, detail) -> None:
        if name == self.after and outcome == "ok":
            env = dict(os.environ, HIVEMIND_HOME=str(self.other_home))
            done = subprocess.run([sys.executable, "-m", "hivemind", "unlock", NAME, "--force", "--yes"],
                                  env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            self.unlock_output = done.stdout


def _app_stacks() -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name=REGION)
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]
            if s["StackName"] != "hivemind-bootstrap"}


def _lock_refusal(exc: BaseException) -> str:
    message = str(exc)
    assert message.startswith(f"the lock of deployment '{NAME}' was lost (broken by "), message
    assert message.endswith("this command stopped writing the deployment's state") and "\n" not in message
    return message


def test_a_lease_broken_after_synth_stops_the_deploy_before_any_change_set(aws, homes, repo):
    homes.use("a")
    ui = BreakAfter("synth", homes.paths["b"])
    with pytest.raises(DeploymentLocked) as exc:
        deploy(repo, stage="stage-1", yes=True, ui=ui, **FAST)
    _lock_refusal(exc.value)
    assert f"unlocked '{NAME}'" in ui.unlock_output
    # The next phase never started: no change set, no stack, nothing stored in AWS by this run.
    assert ui.started == ["bundle", "synth"]
    assert _app_stacks() == {}
    # AWS keeps what this run saved before the break (synth under way), never its ending.
    stored = read_remote(NAME, REGION)
    assert stored.status is DeploymentStatus.PROVISIONING and stored.operations[-1].status == "running"
    state = read_local(NAME)                         # this machine's copy (written locally only)
    assert not state.status.in_progress and state.releases == [] and state.artifact is None
    op = state.operations[-1]
    assert op.status == "failed" and [p.name for p in op.phases] == ["bundle", "synth"]
    assert op.error == _lock_refusal(exc.value)
    assert read_lease(NAME, REGION).broken_by        # the broken lease was not written over


def test_a_lease_broken_during_execute_stops_before_verify_and_records_a_failure(aws, homes, repo):
    homes.use("a")
    ui = BreakAfter("execute", homes.paths["b"])
    with pytest.raises(DeploymentLocked) as exc:
        deploy(repo, stage="stage-1", yes=True, ui=ui, **FAST)
    message = _lock_refusal(exc.value)
    assert ui.started == ["bundle", "synth", "change sets", "confirm", "execute"]  # no verify
    stored = read_remote(NAME, REGION)
    # What AWS holds is what this run saved before the break (execute under way), never its ending.
    assert stored.status is DeploymentStatus.DEPLOYING and stored.operations[-1].status == "running"
    mine = read_local(NAME)                          # this machine's copy (written locally only)
    assert mine.status is DeploymentStatus.FAILED and mine.operations[-1].status == "failed"
    assert mine.last_error == message and mine.failed_stage == "deploy"  # between phases: the command
    # The stacks stand (CloudFormation finished them); the next owner takes the lease at once.
    assert all(s.endswith("_COMPLETE") for s in _app_stacks().values()) and _app_stacks()
    homes.use("b")
    with deployment_lock(NAME, region=REGION, command="status") as lease:
        assert lease.owner["pid"] == os.getpid()
