"""Live view of a deploy: one row per stack with its status and its newest resource events.

On a terminal that is a rich Live table. Anywhere else (CI logs, a pipe) a redrawn table is
useless, so the same facts come as plain lines, one per change: a stack's new status, and each
resource reaching a final state (COMPLETE or FAILED, with the reason), as they happen.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..redact import redact
from ..deploy.events import StackEvent

_STYLE = {"completed": "green", "deleted": "green", "no changes": "dim", "failed": "bold red", "skipped": "dim", "refused": "bold red"}


@dataclass
class _Row:
    status: str = "waiting"
    started: float | None = None
    finished: float | None = None
    events: deque = field(default_factory=lambda: deque(maxlen=3))


class DeployProgress:
    """Thread-safe progress model; entered (`with progress:`) it shows itself while the engine works."""

    def __init__(self, stack_names: list[str], console: Console | None = None):
        self.console = console or Console()
        self._rows = {name: _Row() for name in stack_names}
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._lines = False  # plain-line mode (not a terminal) while entered

    def set_status(self, stack: str, status: str) -> None:
        with self._lock:
            row = self._rows.setdefault(stack, _Row())
            changed = status != row.status
            row.status = status
            if status in ("creating change set", "executing", "deleting") and row.started is None:
                row.started = time.monotonic()
            if status in _STYLE:
                row.finished = time.monotonic()
            if self._lines and changed:
                took = f" ({row.finished - row.started:.0f}s)" if status in _STYLE and row.started else ""
                self._print_line(stack, Text(status + took, style=_STYLE.get(status, "cyan")))
        self.refresh()

    def add_events(self, stack: str, events: list[StackEvent]) -> None:
        if not events:
            return
        with self._lock:
            row = self._rows.setdefault(stack, _Row())
            for event in events:
                if not event.is_stack_event:
                    row.events.append(event)
                    if self._lines and (event.failed or event.status.endswith("_COMPLETE")):
                        self._print_line(stack, Text(_event_text(event), style="red" if event.failed else ""))
        self.refresh()

    def status(self, stack: str) -> str:
        with self._lock:
            return self._rows[stack].status

    def render(self) -> Table:
        table = Table(expand=False, show_edge=False)
        table.add_column("Stack", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        table.add_column("Time", justify="right")
        table.add_column("Latest resource events")
        now = time.monotonic()
        with self._lock:
            for name, row in self._rows.items():
                elapsed = ""
                if row.started is not None:
                    elapsed = f"{(row.finished or now) - row.started:.0f}s"
                events = "\n".join(_event_text(e, 80) for e in row.events)
                table.add_row(name, Text(row.status, style=_STYLE.get(row.status, "cyan")), elapsed, events)
        return table

    def _print_line(self, stack: str, what: Text) -> None:
        self.console.print(Text.assemble((stack, "bold"), ": ", what), soft_wrap=True, highlight=False)

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render())

    def __enter__(self) -> "DeployProgress":
        if not self.console.is_terminal:
            self._lines = True
            return self
        self._live = Live(self.render(), console=self.console, refresh_per_second=4, transient=False,
                          vertical_overflow="visible")
        self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._lines = False
        live, self._live = self._live, None
        if live is not None:
            live.update(self.render())
            live.__exit__(*exc)


def _event_text(event: StackEvent, limit: int = 300) -> str:
    reason = f": {redact(event.reason)[:limit]}" if event.failed and event.reason else ""
    return f"{event.logical_id} {event.status}{reason}"
