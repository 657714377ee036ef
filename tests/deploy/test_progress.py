"""The deploy progress off a terminal (CI logs, pipes): plain lines as things happen, no redrawn
tables; on a terminal: rich Live."""
from __future__ import annotations

import re

from datetime import datetime, timedelta, timezone
from io import StringIO

from rich.console import Console

from hivemind.deploy.events import StackEvent
from hivemind.cli.progress import DeployProgress

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def ev(n: int, stack: str, logical: str, status: str, reason: str = "") -> StackEvent:
    rtype = "AWS::CloudFormation::Stack" if logical == stack else "AWS::RDS::DBInstance"
    return StackEvent(f"e{n}", stack, logical, rtype, T0 + timedelta(seconds=n), status, reason)


def run(console: Console) -> DeployProgress:
    progress = DeployProgress(["app-network", "app-data"], console)
    with progress:
        progress.set_status("app-network", "executing")
        progress.set_status("app-network", "executing")  # polled again: no new line
        progress.set_status("app-data", "executing")
        progress.add_events("app-data", [
            ev(1, "app-data", "app-data", "CREATE_IN_PROGRESS", "User Initiated"),
            ev(2, "app-data", "Database", "CREATE_IN_PROGRESS"),
            ev(3, "app-data", "Database", "CREATE_FAILED", "DB instance already exists; password=hunter2hunter2"),
        ])
        progress.set_status("app-network", "completed")
        progress.set_status("app-data", "failed")
    return progress


def test_off_a_terminal_each_change_is_one_plain_line():
    out = StringIO()
    run(Console(file=out, width=80, force_terminal=False))
    lines = [re.sub(r"\(\d+s\)$", "(Ns)", line) for line in out.getvalue().splitlines()]
    assert lines == [
        "app-network: executing",
        "app-data: executing",
        "app-data: Database CREATE_FAILED: DB instance already exists; password=***",
        "app-network: completed (Ns)",
        "app-data: failed (Ns)",
    ]
    assert "\x1b[" not in out.getvalue()  # no cursor movement or colour in a log file


def test_on_a_terminal_a_live_table_is_drawn():
    out = StringIO()
    run(Console(file=out, width=120, force_terminal=True, color_system=None))
    shown = out.getvalue()
    assert "Latest resource events" in shown and "Database CREATE_FAILED" in shown
    assert "app-network: executing" not in shown  # the table, not the log lines
