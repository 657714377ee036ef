"""Ctrl-C at a named phase, for the interrupt tests: a UserInterface that raises KeyboardInterrupt
where the terminal would (the main thread), once."""
from __future__ import annotations

import threading

from hivemind.workflows.ui import QuietUI


class _Sink:
    def __init__(self, ui: "InterruptAt"):
        self.ui = ui

    def set_status(self, stack, status):
        pass

    def add_events(self, stack, events):
        # The engine's main loop polls events between waits: Ctrl-C lands there, mid-execute.
        if self.ui.mid and threading.current_thread() is threading.main_thread():
            self.ui.fire(f"{self.ui.phase} (mid)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class InterruptAt(QuietUI):
    """Ctrl-C when `phase` starts, or with `mid`, while it executes change sets (the engine's
    progress display); only once, so what the workflow does on the way out runs undisturbed."""

    def __init__(self, phase: str, *, mid: bool = False):
        super().__init__()
        self.phase, self.mid = phase, mid
        self.started: list[str] = []
        self.fired: str | None = None
        self._current: str | None = None

    def fire(self, where: str) -> None:
        if self.fired is None:
            self.fired = where
            raise KeyboardInterrupt

    def phase_started(self, name: str) -> None:
        self.started.append(name)
        self._current = name
        if name == self.phase and not self.mid:
            self.fire(name)

    def progress(self, stack_names):
        return _Sink(self) if self._current == self.phase else super().progress(stack_names)
