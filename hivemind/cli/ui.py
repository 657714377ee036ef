"""The terminal side of a lifecycle workflow: phases as they run, the what-if table, the
confirmation prompt and the live stack progress (workflows.ui.UserInterface)."""
from __future__ import annotations

import sys

from rich.console import Console

from ..errors import HivemindError
from .progress import DeployProgress
from .what_if import print_what_if

_OUTCOME_STYLE = {"ok": "green", "failed": "bold red", "refused": "bold red", "interrupted": "yellow",
                  "skipped": "dim"}


class TerminalUI:
    def __init__(self, console: Console, *, quiet: bool = False):
        # quiet: --json runs print only the result object on stdout; phases go to stderr.
        self.console = console
        self.quiet = quiet

    def phase_started(self, name: str) -> None:
        pass

    def phase_finished(self, name: str, outcome: str, seconds: float, detail: str) -> None:
        if self.quiet:
            return
        style = _OUTCOME_STYLE.get(outcome, "")
        extra = f"  {detail}" if detail else ""
        self.console.print(f"[{style}]{outcome:>11}[/] {name} [dim]{seconds:.1f}s[/]{extra}", highlight=False,
                           soft_wrap=True)

    def note(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, highlight=False, soft_wrap=True)

    def show_what_if(self, previews: list, violations: list) -> None:
        print_what_if(self.console, previews, violations)

    def confirm(self, question: str, previews: list, violations: list) -> bool:
        if not sys.stdin.isatty():
            raise HivemindError(f"{question.rstrip('?')}: needs confirmation; rerun with --yes "
                                "(stdin is not a terminal)")
        print_what_if(self.console, previews, violations)
        import typer

        return typer.confirm(question, default=False)

    def progress(self, stack_names: list[str]) -> DeployProgress:
        return DeployProgress(stack_names, self.console)
