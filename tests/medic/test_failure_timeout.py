"""failure_timeout: 24 h after a failure, `hivemind status ID` and `hivemind list` say how long the
deployment has been failed and name `hivemind retry ID` and `hivemind destroy ID`; before that, nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hivemind.medic import timeout
from hivemind.medic.timeout import failed_for, failure_hint
from hivemind.state import DeploymentState, DeploymentStatus, deployment_lock, save_state
from hivemind.state.models import FailureInfo

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_the_hint_starts_at_24_hours_and_names_both_ways_out():
    assert failure_hint("shop", "awaiting_fix", NOW - timedelta(hours=1), NOW) is None
    assert failure_hint("shop", "failed", NOW - timedelta(hours=23, minutes=59), NOW) is None
    hint = failure_hint("shop", "failed", NOW - timedelta(hours=25), NOW)
    assert hint.startswith("failed for 1 d 1 h:")
    assert "`hivemind retry shop`" in hint and "`hivemind destroy shop`" in hint
    assert failure_hint("shop", "completed", NOW - timedelta(days=9), NOW) is None  # only failed deployments
    assert failure_hint("shop", "failed", None, NOW) is None
    assert (failed_for(timedelta(hours=48)), failed_for(timedelta(hours=30)), failed_for(timedelta(hours=5))) == (
        "2 d", "1 d 6 h", "5 h")


def _failed(make_plan, hours_ago: float) -> DeploymentState:
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.AWAITING_FIX
    state.last_error = "stack shop-app-blue: CREATE_FAILED"
    state.failure = FailureInfo(stack="shop-app-blue", reason="Your requested instance type is not supported",
                                time=datetime.now(timezone.utc) - timedelta(hours=hours_ago))
    with deployment_lock(state.id):
        save_state(state)
    return state


@pytest.mark.parametrize("hours_ago, shown", [(25, True), (1, False)])
def test_status_says_how_long_it_has_been_failed(aws, cli, make_plan, monkeypatch, hours_ago, shown):
    monkeypatch.setenv("COLUMNS", "250")
    _failed(make_plan, hours_ago)
    code, out, err = cli("status", "shop")
    assert code == 0, err
    assert ("failed for 1 d 1 h" in out and "hivemind retry shop" in out and "hivemind destroy shop" in out) is shown
    assert ("next step" in out) is shown


@pytest.mark.parametrize("hours_later, shown", [(25, True), (1, False)])
def test_list_says_it_for_every_deployment_failed_that_long(aws, cli, make_plan, monkeypatch, hours_later, shown):
    monkeypatch.setenv("COLUMNS", "250")
    _failed(make_plan, 0)  # a list row knows the deployment's last change, which is its failure
    later = datetime.now(timezone.utc) + timedelta(hours=hours_later, minutes=1)
    monkeypatch.setattr(timeout, "_now", lambda: later)
    code, out, err = cli("list")
    assert code == 0, err
    assert "shop" in out
    assert ("shop: failed for 1 d 1 h" in out and "hivemind destroy shop" in out) is shown
