"""The prompt right after a failed `deploy`, `update` or `upgrade` in a terminal.

When the Medic diagnosed the failure (status awaiting_fix, state.diagnosis), the terminal shows the
diagnosis, the proposed fix as a unified diff of hivemind.yaml (or the commands to run) and asks
"Apply the fix and retry? [y/N]".

- Yes: the plan patch is applied (and saved), then the retry runs at once: hivemind/workflows/retry.py
  for deploy and update; an upgrade, which reads the deployment's stored plan, gets the patch on that
  plan and runs again with the same options. "Yes" is consent to the retry's change sets too.
- No (or just Enter): nothing is applied, the resources stay, the status stays awaiting_fix, and the
  line says `hivemind retry ID` for later. The command still exits non-zero with its error.

Only with a person at the terminal (stdin is a TTY; HIVEMIND_INTERACTIVE=1 or 0 says so explicitly,
for tests and wrappers) and never with --json. --yes applies a fix that only touches the plan without
asking (the issue's rule); a fix that needs commands run is never retried unasked.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import typer
from rich.markup import escape

from ..errors import HivemindError
from .app import console

INTERACTIVE_ENV = "HIVEMIND_INTERACTIVE"
QUESTION = "Apply the fix and retry?"


def interactive() -> bool:
    """Whether a person can answer the prompt (the one place this is decided)."""
    forced = os.environ.get(INTERACTIVE_ENV, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stdin.isatty()


def started_now() -> datetime:
    """When the command began (a diagnosis older than this belongs to an earlier failure)."""
    return datetime.now(timezone.utc)


def deployment_of(repo_or_plan: Path) -> str | None:
    """The deployment id a deploy of this repository (or plan file) used: its plan's name."""
    from ..plan import load_plan
    from ..plan.io import PLAN_FILENAME

    path = Path(repo_or_plan)
    path = path / PLAN_FILENAME if path.is_dir() else path
    try:
        return load_plan(path).name
    except Exception:  # noqa: BLE001 - no readable plan: no deployment to offer a fix for
        return None


def offer_fix(error: HivemindError, deployment_id: str | None, *, started: datetime, repo: Path | None = None,
              yes: bool = False, as_json: bool = False, rerun: Callable[[], object] | None = None):
    """After `error` ended a deploy, update or upgrade: offer the Medic's fix and retry.

    Returns the retry's result when one ran; otherwise raises `error` (so the command still fails
    with its one line). `started` is when the command began: an older diagnosis is not this failure's.
    `rerun` runs the failed command again (upgrade, which retry.py does not handle)."""
    from ..medic import Diagnosis
    from ..state import DeploymentStatus, load_state

    if as_json or deployment_id is None:
        raise error
    try:
        state = load_state(deployment_id)
    except Exception:  # noqa: BLE001 - the prompt never hides the failure itself
        raise error from None
    failure = state.failure
    if state.status is not DeploymentStatus.AWAITING_FIX or not state.diagnosis or failure is None \
            or failure.time < started:
        raise error
    diagnosis = Diagnosis.model_validate(state.diagnosis)
    patch = diagnosis.plan_patch
    automatic = yes and bool(patch)  # --yes: a fix that only touches the plan goes ahead unasked
    if not automatic and not interactive():
        raise error
    action = failure.action or (state.operations[-1].action if state.operations else "deploy")
    plan_path, diff = _preview(state, action, repo, patch)
    if patch and diff is None:
        raise error  # the plan the patch is for cannot be read here: `hivemind retry` will say why
    _show(error, diagnosis, diff, plan_path)
    _refuse_past_the_limit(state, error)
    if automatic:
        console.print("--yes: the fix only touches the plan; applying it and retrying", highlight=False)
    elif not typer.confirm(QUESTION, default=False):
        console.print(f"Nothing was applied: the resources stay as they are and {deployment_id} waits for its fix "
                      f"(awaiting_fix). Run `hivemind retry {deployment_id}` when it is fixed.", highlight=False)
        raise error
    return _retry(state, action, repo, patch, plan_path, rerun, error)


def _preview(state, action: str, repo: Path | None, patch) -> tuple[Path | None, str | None]:
    """The plan file the fix edits (None: the stored plan, for upgrade) and the diff it makes."""
    from ..medic import preview_patch
    from ..plan import load_plan
    from ..plan.io import PLAN_FILENAME

    if not patch:
        return None, ""
    try:
        if action == "upgrade":
            return None, preview_patch(state.plan, patch)
        path = Path(repo or ".")
        path = path / PLAN_FILENAME if path.is_dir() else path
        return path, preview_patch(load_plan(path), patch)
    except Exception:  # noqa: BLE001
        return None, None


def _show(error: HivemindError, diagnosis, diff: str | None, plan_path: Path | None) -> None:
    console.print(f"[bold red]failed:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    console.print(f"[bold]The Medic:[/] {escape(diagnosis.category)}: {escape(diagnosis.root_cause)}", highlight=False,
                  soft_wrap=True)
    console.print(f"[bold]fix:[/] {escape(diagnosis.fix)}", highlight=False, soft_wrap=True)
    if diagnosis.plan_patch:
        where = plan_path.name if plan_path is not None else "the deployment's stored plan"
        console.print(f"[bold]proposed change to {escape(where)}:[/]", highlight=False)
        console.print(escape((diff or "").rstrip("\n")), highlight=False, soft_wrap=True)
    if diagnosis.commands:
        console.print("[bold]commands to run first:[/]", highlight=False)
        for command in diagnosis.commands:
            console.print(f"  {escape(command)}", highlight=False, soft_wrap=True)


def _refuse_past_the_limit(state, error: HivemindError) -> None:
    from ..workflows.retry import MAX_RETRIES

    if state.retry_count >= MAX_RETRIES:
        console.print(f"{state.id} already failed {state.retry_count} retries: it needs a person (see "
                      f"`hivemind diagnose {state.id}`).", highlight=False)
        raise error


def _retry(state, action: str, repo: Path | None, patch, plan_path: Path | None, rerun, error: HivemindError):
    from .ui import TerminalUI

    ui = TerminalUI(console)
    if action == "upgrade":
        if rerun is None:
            raise error
        if patch:
            _patch_stored_plan(state.id, patch)
        return rerun()
    if action not in ("deploy", "update"):
        raise error
    from ..medic import apply_plan_patch
    from ..workflows.retry import retry

    if patch:
        apply_plan_patch(plan_path, patch)  # validated, guarded, written atomically
        console.print(f"applied the fix to {plan_path}", highlight=False, soft_wrap=True)
    return retry(state.id, repo, yes=True, ui=ui, fix_applied=True)


def _patch_stored_plan(deployment_id: str, patch) -> None:
    """An upgrade reads the stored plan: the fix goes there (checked like any plan patch)."""
    from ..medic import check_patch
    from ..state import deployment_lock, load_state, save_state

    with deployment_lock(deployment_id, command="retry"):
        state = load_state(deployment_id)
        state.plan = check_patch(state.plan, patch)
        save_state(state)
