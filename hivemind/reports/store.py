"""Saved reports: $HIVEMIND_HOME/deployments/<id>/reports/<UTC timestamp>-<action>.md and latest.md.

`save_after_success` is what the operation shell calls when a deploy, update, upgrade or a
successful retry ends: it saves the report and says 2 lines through the workflow's UI. Saving a
report never fails the command that succeeded: any error becomes one note.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from ..fsutil import atomic_write_text
from ..paths import deployment_dir
from ..redact import one_line
from ..state.models import DeploymentState
from .gather import build_report
from .model import Report
from .render import render_report

LATEST = "latest.md"
# The commands after which a report is saved (a retry runs as a deploy or an update).
REPORTED_ACTIONS = ("deploy", "update", "upgrade")
# Timestamped reports kept per deployment (a CI that deploys on every push would pile them up).
REPORTS_KEPT = 20


def reports_dir(deployment_id: str) -> Path:
    return deployment_dir(deployment_id) / "reports"


def save_report(report: Report, *, now: datetime | None = None) -> Path:
    """Write the markdown report under a timestamped name and as latest.md; returns the timestamped path."""
    now = now or datetime.now(timezone.utc)
    folder = reports_dir(report.deployment)
    stem = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{report.action or 'report'}"
    path = folder / f"{stem}.md"
    n = 2
    while path.exists():  # two reports in the same second keep both
        path, n = folder / f"{stem}-{n}.md", n + 1
    atomic_write_text(path, render_report(report, "md"))
    shutil.copyfile(path, folder / LATEST)
    _prune(folder)
    return path


def _timestamped(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.md") if p.name != LATEST) if folder.is_dir() else []


def _prune(folder: Path) -> None:
    """Keep the newest REPORTS_KEPT timestamped reports (names sort by time)."""
    for old in _timestamped(folder)[:-REPORTS_KEPT]:
        old.unlink(missing_ok=True)


def latest_report(deployment_id: str) -> Path | None:
    """latest.md, else the newest timestamped report (names sort by time)."""
    folder = reports_dir(deployment_id)
    if (folder / LATEST).is_file():
        return folder / LATEST
    saved = _timestamped(folder)
    return saved[-1] if saved else None


def summary_lines(report: Report, path: Path) -> list[str]:
    """The short summary printed after a successful command: where, what, how long, what it costs."""
    op = report.last_operation
    took = f"{op.action} took {op.seconds:.1f} s" if op and op.seconds is not None else None
    cost = f"about ${report.cost.total_usd:,.2f}/month" if report.cost else None
    head = ", ".join(x for x in (report.release and f"release {report.release}", took, cost) if x)
    lines = [f"{report.access.url or report.deployment}: {head}" if head else (report.access.url or report.deployment)]
    lines.append(f"report: {path} (again any time: hivemind report {report.deployment})")
    return lines


def save_after_success(state: DeploymentState, action: str, ui) -> Path | None:
    """Save the report of a command that just succeeded and tell the user where it is."""
    try:
        report = build_report(state, action=action)
        path = save_report(report)
        for line in summary_lines(report, path):
            ui.note(line)
        return path
    except Exception as exc:  # noqa: BLE001 - the deploy succeeded; a report problem must not say otherwise
        ui.note(f"report not saved: {one_line(str(exc) or exc.__class__.__name__, 300)}")
        return None
