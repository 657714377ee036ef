"""Live view of a deploy: one row per stack with its status and its newest resource events."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..state.redact import redact
from .events import StackEvent

_STYLE = {"completed": "green", "deleted": "green", "no changes": "dim", "failed": "bold red", "skipped": "dim", "refused": "bold red"}


@dataclass
class _Row:
    status: str = "waiting"
    started: float | None = None
    finished: float | None = None
    events: deque = field(default_factory=lambda: deque(maxlen=3))


class DeployProgress:
    """Thread-safe progress model; `live()` shows it with rich while the engine works."""

    def __init__(self, stack_names: list[str], console: Console | None = None):
        self.console = console or Console()
        self._rows = {name: _Row() for name in stack_names}
        self._lock = threading.Lock()
        self._live: Live | None = None

    def set_status(self, stack: str, status: str) -> None:
        with self._lock:
            row = self._rows.setdefault(stack, _Row())
            row.status = status
            if status in ("creating change set", "executing", "deleting") and row.started is None:
                row.started = time.monotonic()
            if status in _STYLE:
                row.finished = time.monotonic()
        self.refresh()

    def add_events(self, stack: str, events: list[StackEvent]) -> None:
        if not events:
            return
        with self._lock:
            row = self._rows.setdefault(stack, _Row())
            for event in events:
                if not event.is_stack_event:
                    row.events.append(event)
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
                events = "\n".join(
                    f"{e.logical_id} {e.status}" + (f": {redact(e.reason)[:80]}" if e.failed and e.reason else "")
                    for e in row.events
                )
                table.add_row(name, Text(row.status, style=_STYLE.get(row.status, "cyan")), elapsed, events)
        return table

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render())

    def __enter__(self) -> "DeployProgress":
        self._live = Live(self.render(), console=self.console, refresh_per_second=4, transient=False,
                          vertical_overflow="visible")
        self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.update(self.render())
            live.__exit__(*exc)
            if not self.console.is_terminal:
                self.console.line()  # Live leaves its last frame unterminated off a terminal
