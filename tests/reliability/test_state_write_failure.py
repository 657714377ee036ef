"""The state write to SSM fails mid-operation (a reset connection, after botocore's retries): the
command ends in one line and the state it leaves says what runs, locally at least; it never stays
'provisioning' with a phase 'running' that no process runs any more.

Seen in bench/faults.py's 'reset 30%' rows. Here the SSM write is made to fail at a chosen call,
on a moto server, so every phase boundary can be hit deterministically."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hivemind.errors import HivemindError
from hivemind.state import load_state, remote
from hivemind.state.local import read_local
from hivemind.workflows.deploy import deploy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "go-api"
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}


@pytest.fixture
def go_repo(tmp_path):
    return Path(shutil.copytree(EXAMPLE, tmp_path / "go-api"))


def failing_nth_write(monkeypatch, n: int):
    real, calls = remote.write_remote, {"n": 0}

    def write_remote(state, text):
        calls["n"] += 1
        if calls["n"] == n:
            from hivemind.aws import AwsError
            raise AwsError(f"saving state of '{state.id}' to SSM: cannot reach AWS endpoint (ConnectionClosedError)")
        return real(state, text)

    monkeypatch.setattr("hivemind.state.store.write_remote", write_remote)
    return calls


@pytest.mark.parametrize("n", [2, 4, 6])
def test_a_failed_state_write_before_execution_leaves_nothing_running(aws, go_repo, monkeypatch, n):
    calls = failing_nth_write(monkeypatch, n)
    with pytest.raises(HivemindError, match="saving state of 'go-api' to SSM") as caught:
        deploy(go_repo, stage="stage-1", yes=True, **FAST)
    assert calls["n"] >= n
    state = read_local("go-api")
    assert not state.status.in_progress, state.status
    assert state.operations[-1].status == "failed"
    assert all(p.outcome != "running" for p in state.operations[-1].phases)
    assert str(caught.value).count("\n") == 0
    # What `status` (and the CLI's fix prompt) read afterwards says the same: the older copy in
    # SSM never wins over the newer local record of the failure.
    assert load_state("go-api").operations[-1].status == "failed"
    assert read_local("go-api").operations[-1].status == "failed"
    # The next run completes.
    monkeypatch.setattr("hivemind.state.store.write_remote", remote.write_remote)
    again = deploy(go_repo, stage="stage-1", yes=True, **FAST)
    assert again.lifecycle.status == "succeeded"
    assert load_state("go-api").status.value == "completed"
