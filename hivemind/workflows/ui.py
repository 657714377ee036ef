"""What a lifecycle workflow asks of the person (or CI job) running it; the CLI implements it.

Workflows never print: they report phases, hand the what-if to `show_what_if`, ask `confirm`,
and give the engine a progress sink. `QuietUI` is the non-interactive default (library use,
tests): it shows nothing and refuses to guess an answer to a question.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import ContextManager, Protocol

from ..errors import HivemindError


class UserInterface(Protocol):
    def phase_started(self, name: str) -> None: ...

    def phase_finished(self, name: str, outcome: str, seconds: float, detail: str) -> None: ...

    def note(self, text: str) -> None: ...

    def show_what_if(self, previews: list, violations: list) -> None: ...

    def confirm(self, question: str, previews: list, violations: list) -> bool:
        """Show the what-if table (the change itself, not only stack names), then ask."""
        ...

    def progress(self, stack_names: list[str]) -> ContextManager:
        """A context manager that is also a deploy.engine.ProgressSink."""
        ...


class _NullProgress:
    def set_status(self, stack: str, status: str) -> None:
        pass

    def add_events(self, stack: str, events: list) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class QuietUI:
    """Shows nothing; a question without `answer` is refused (a workflow needs --yes then)."""

    def __init__(self, answer: bool | None = None):
        self.answer = answer
        self.notes: list[str] = []
        self.questions: list[str] = []

    def phase_started(self, name: str) -> None:
        pass

    def phase_finished(self, name: str, outcome: str, seconds: float, detail: str) -> None:
        pass

    def note(self, text: str) -> None:
        self.notes.append(text)

    def show_what_if(self, previews: list, violations: list) -> None:
        pass

    def confirm(self, question: str, previews: list, violations: list) -> bool:
        self.questions.append(question)
        if self.answer is None:
            raise HivemindError(f"{question.rstrip('?')}: needs confirmation; rerun with --yes")
        return self.answer

    def progress(self, stack_names: list[str]) -> ContextManager:
        return nullcontext(_NullProgress())
