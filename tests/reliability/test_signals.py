"""SIGTERM (a CI runner cancelling the job, `kill`) and SIGHUP (the terminal closed) end a real
`hivemind deploy` process the way Ctrl-C (SIGINT) does: the operation records `interrupted`, the
status is not left in progress, the lease is released, and the exit code is 128 + the signal
(143, 129; 130 for Ctrl-C)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from hivemind.paths import deployment_dir
from hivemind.state import DeploymentStatus, load_state
from hivemind.state.lease import live_lease, read_lease
from hivemind.state.local import read_local
from hivemind.state.remote import read_remote
from hivemind.workflows.deploy import deploy

from .conftest import REGION

NAME = "express-postgres"


def _running_phase() -> str | None:
    """The phase the subprocess's state.json shows running, if any."""
    try:
        state = json.loads((deployment_dir(NAME) / "state.json").read_text())
    except (OSError, ValueError):
        return None  # not written yet
    operations = state.get("operations") or []
    if not operations or operations[-1].get("status") != "running" or not operations[-1].get("phases"):
        return None
    last = operations[-1]["phases"][-1]
    return last["name"] if last.get("outcome") == "running" else None


def _deploy_process(repo) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hivemind", "deploy", str(repo), "--stage-1", "--yes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _executed_stacks() -> list[str]:
    """App stacks whose change set was executed (past REVIEW_IN_PROGRESS)."""
    stacks = boto3.client("cloudformation", region_name=REGION).describe_stacks()["Stacks"]
    return [s["StackName"] for s in stacks if s["StackName"].startswith(NAME)
            and s["StackStatus"] != "REVIEW_IN_PROGRESS"]


def _signal_during(proc: subprocess.Popen, phase: str, signum: int, limit: float = 180.0) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"deploy ended before {phase} ran: {proc.returncode} {proc.stderr.read()}")
        # Mid-execute means a change set was executed already (else nothing changed in AWS yet).
        if _running_phase() == phase and (phase != "execute" or _executed_stacks()):
            proc.send_signal(signum)
            return
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"the deploy never showed {phase} running")


@pytest.mark.parametrize("signum, phase, code", [
    (signal.SIGTERM, "execute", 143),   # change sets executing: CloudFormation may still be working
    (signal.SIGINT, "execute", 130),    # Ctrl-C in the terminal, the same moment
    (signal.SIGHUP, "synth", 129),      # before anything changed in AWS: the deployment as it was
], ids=["SIGTERM-execute", "SIGINT-execute", "SIGHUP-synth"])
def test_a_signal_mid_deploy_is_recorded_as_interrupted_and_releases_the_lease(aws, repo, cli, signum, phase, code):
    proc = _deploy_process(repo)
    try:
        _signal_during(proc, phase, signum)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err and "Traceback" not in out
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    where = "CloudFormation may still be working: " if phase == "execute" else ""
    assert errors == [f"error: interrupted during {phase}; {where}run `hivemind status {NAME}`"], err

    mine = read_local(NAME)                                  # what the killed process wrote
    assert not mine.status.in_progress
    operation = mine.operations[-1]
    assert operation.status == "interrupted"
    assert [p.outcome for p in operation.phases if p.name == phase] == ["interrupted"]
    if phase == "execute":
        assert mine.status is DeploymentStatus.FAILED and mine.failed_stage == "execute"
        assert mine.last_error == "interrupted during execute; CloudFormation may still be working"
        assert [r.outcome for r in mine.releases] == ["failed"]
    else:
        assert mine.status is DeploymentStatus.PENDING and mine.releases == [] and mine.artifact is None
    stored = read_remote(NAME, REGION)                       # ... and AWS's copy agrees
    assert stored.revision == mine.revision and stored.operations[-1].status == "interrupted"
    lease = read_lease(NAME, REGION)                         # the lease was released, not left to expire
    assert lease is not None and lease.released and live_lease(NAME, REGION) is None
    if phase == "execute":
        status, out, err = cli("status", NAME, "--json")        # `status` afterwards: not in progress
        assert status == 0, err
        assert json.loads(out)["status"] == "failed"

    # And the next run completes (in-process, with short waiter delays: the same workflow).
    result = deploy(repo, stage="stage-1", yes=True, waiter_delays=(0.01, 0.01), poll_interval=0.01)
    assert result.lifecycle.status == "succeeded"
    assert result.lifecycle.release == ("v2" if phase == "execute" else "v1")  # v1 was recorded failed
    assert load_state(NAME).status is DeploymentStatus.COMPLETED
