"""The local cache: atomic state.json, round trips, redaction on disk, clear errors."""
from __future__ import annotations

import json

import pytest

from hivemind import fsutil
from hivemind.state import (
    DeploymentState, DeploymentStatus, StateError, append_history, load_state, mark_failed, save_state,
    state_path,
)
from hivemind.state.store import HISTORY_LIMIT


def test_round_trip_without_aws(make_plan):
    state = DeploymentState.new(make_plan())
    append_history(state, "deploy", "synthesized 5 stacks", status="deploying")
    state.active_color = "blue"
    save_state(state, remote=False)
    loaded = load_state("orders-api")
    assert loaded.status is DeploymentStatus.DEPLOYING
    assert loaded.active_color == "blue"
    assert loaded.plan.services[0].port == 3000
    assert [e.action for e in loaded.history] == ["deploy"]
    assert loaded.hivemind_version


def test_state_file_never_holds_a_secret(make_plan):
    state = DeploymentState.new(make_plan())
    # The plan refuses secret-looking env on load; state redaction is the second line of defence
    # (values set in code past validation), so plant one there.
    state.plan.services[0].env["DB_PASSWORD"] = "hunter2"
    mark_failed(state, "CREATE_FAILED: could not reach postgres://app:hunter2@db:5432/app", stage="deploying")
    save_state(state, remote=False)
    text = state_path("orders-api").read_text()
    assert "hunter2" not in text
    data = json.loads(text)
    assert data["plan"]["services"][0]["env"]["DB_PASSWORD"] == "***"
    assert data["last_error"].startswith("CREATE_FAILED: could not reach postgres://app:***@db")
    assert data["status"] == "failed" and data["failed_stage"] == "deploying"


def test_crash_during_write_keeps_the_old_file(make_plan, monkeypatch):
    state = DeploymentState.new(make_plan())
    save_state(state, remote=False)
    before = state_path("orders-api").read_text()

    def crash(src, dst):  # the process dies between writing the temp file and renaming it
        raise OSError(28, "No space left on device")

    append_history(state, "deploy", status="deploying")
    with monkeypatch.context() as patched:
        patched.setattr(fsutil.os, "replace", crash)
        with pytest.raises(OSError):
            save_state(state, remote=False)
    assert state_path("orders-api").read_text() == before
    assert load_state("orders-api").status is DeploymentStatus.PENDING
    leftovers = [p.name for p in state_path("orders-api").parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_history_is_bounded(make_plan):
    state = DeploymentState.new(make_plan())
    for i in range(HISTORY_LIMIT + 25):
        append_history(state, "refresh", f"event {i}")
    save_state(state, remote=False)
    history = load_state("orders-api").history
    assert len(history) == HISTORY_LIMIT
    assert history[-1].detail == f"event {HISTORY_LIMIT + 24}"


@pytest.mark.parametrize("bad", ["../etc", "Orders", "a", "x" * 41, "with space"])
def test_ids_that_are_not_plan_names_are_refused(bad):
    with pytest.raises(StateError, match="invalid deployment id"):
        load_state(bad)


def test_corrupt_state_file_is_one_clear_error(make_plan):
    path = state_path("orders-api")
    path.parent.mkdir(parents=True)
    path.write_text('{"id": "orders-api", "status": "exploded"')
    with pytest.raises(StateError, match=r"state is not valid JSON") as err:
        load_state("orders-api")
    assert "\n" not in str(err.value)
    path.write_text(json.dumps({"id": "orders-api", "status": "exploded", "plan": make_plan().model_dump()}))
    with pytest.raises(StateError, match=r"invalid state: status"):
        load_state("orders-api")


def test_in_progress_statuses():
    assert DeploymentStatus("deploying").in_progress
    assert DeploymentStatus("rolling_back").in_progress
    assert not DeploymentStatus("completed").in_progress
    assert not DeploymentStatus("failed").in_progress
    assert {s.value for s in DeploymentStatus} >= {
        "pending", "analyzing", "building", "provisioning", "deploying", "verifying", "completed", "failed",
        "awaiting_fix", "fixing", "updating", "rolling_back", "rolled_back", "destroying", "destroyed"}


def test_errors_and_history_are_redacted_however_they_are_set(make_plan):
    from hivemind.state import HistoryEvent

    state = DeploymentState.new(make_plan())
    state.last_error = "boom\n  at connect(postgres://u:hunter2@db)"   # set directly by a caller
    assert state.last_error == "boom at connect(postgres://u:***@db)"
    assert HistoryEvent(action="deploy", detail="token=abc123").detail == "token=***"
