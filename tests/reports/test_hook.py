"""The operation shell's report hook (moto for the lock's lease, no deploy): which lifecycle
commands save a report, under which name, and that a what-if saves none."""
from __future__ import annotations

import pytest

from hivemind.reports import reports_dir
from hivemind.state.models import DeploymentStatus
from hivemind.workflows.operation import Operation
from hivemind.workflows.ui import QuietUI

from .test_render import built_state

S = DeploymentStatus


def run_operation(action: str, *, what_if: bool = False, previous: DeploymentStatus = S.COMPLETED) -> QuietUI:
    ui = QuietUI()

    def fresh():
        state = built_state()
        state.status = previous
        return state

    with Operation("shop", action, region="us-east-1", ui=ui, what_if=what_if, state_factory=fresh) as op:
        with op.phase("synth"):
            pass
        op.succeed(S.ROLLED_BACK if action == "rollback" else S.COMPLETED)
    return ui


def saved_names() -> list[str]:
    folder = reports_dir("shop")
    return sorted(p.name for p in folder.glob("*.md")) if folder.is_dir() else []


@pytest.mark.parametrize("action", ["deploy", "update", "upgrade"])
def test_a_successful_release_command_saves_a_report_named_after_it(aws, action):
    ui = run_operation(action)
    names = saved_names()
    assert len(names) == 2 and "latest.md" in names and any(n.endswith(f"-{action}.md") for n in names)
    assert ui.notes[-1].startswith(f"report: {reports_dir('shop')}")
    text = (reports_dir("shop") / "latest.md").read_text()
    assert f"### {action} · succeeded" in text and "| synth | 0.0 s | ok |" in text


def test_a_retry_is_named_retry(aws):
    run_operation("deploy", previous=S.FIXING)  # retry sets FIXING, then runs the failed deploy again
    assert any(n.endswith("-retry.md") for n in saved_names())


@pytest.mark.parametrize("action", ["rollback", "destroy"])
def test_other_commands_save_none(aws, action):
    run_operation(action)
    assert saved_names() == []


def test_a_what_if_saves_none(aws):
    ui = run_operation("deploy", what_if=True)
    assert saved_names() == [] and not any(n.startswith("report") for n in ui.notes)
