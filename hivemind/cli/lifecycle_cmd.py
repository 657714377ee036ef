"""`hivemind update | rollback | history | cancel`: releases of a running deployment."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import HivemindError
from .app import app, console, err_console
from .ui import TerminalUI


def _ui(as_json: bool) -> TerminalUI:
    # With --json, stdout carries only the result object: phases and notes go to stderr.
    return TerminalUI(err_console if as_json else console)


def print_lifecycle(result, as_json: bool) -> None:
    """The one result object (--json), or a short human summary."""
    lifecycle = result.lifecycle
    if lifecycle is None:
        return
    if as_json:
        typer.echo(json.dumps(lifecycle.to_json(), indent=2, default=str))
        return
    if lifecycle.status == "what-if":
        changing = sum(not p.no_changes for p in result.previews)
        console.print(f"what-if: {changing} of {len(result.previews)} stack(s) would change; nothing was changed")
        return
    if lifecycle.status == "cancelled":
        console.print("cancelled: nothing was changed (the change sets were deleted)")
        return
    release = f" {lifecycle.release}" if lifecycle.release else ""
    changed = ", ".join(lifecycle.stacks_changed) or "no stack"
    console.print(f"{lifecycle.action}{release}: {lifecycle.status} in {lifecycle.duration_s:.1f}s; active colour "
                  f"{lifecycle.active_color}; changed: {changed}", highlight=False, soft_wrap=True)
    state = result.state
    if state is not None and state.url:
        console.print(f"URL: {state.url}", highlight=False, soft_wrap=True)


def _exit_for(result) -> None:
    if result.lifecycle is not None and result.lifecycle.status == "cancelled":
        raise typer.Exit(1)


@app.command()
def update(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan name)"),
    repo: Path = typer.Argument(Path("."), help="Application repository (default: the current directory)"),
    rolling: bool = typer.Option(False, "--rolling", help="Replace the active colour's instances in batches"),
    canary: Optional[int] = typer.Option(None, "--canary", help="Shift this percentage of traffic first (1-99)"),
    bake: Optional[int] = typer.Option(None, "--bake", help="Seconds CloudFormation watches the new colour's "
                                       "alarms after a shift (default 0 at stage-1, 300 in production)"),
    keep_previous: bool = typer.Option(False, "--keep-previous", help="Keep the previous colour for an instant rollback"),
    strict_verify: bool = typer.Option(False, "--strict-verify", help="Fail when the test listener cannot be reached"),
    what_if: bool = typer.Option(False, "--what-if", help="Show the change sets and change nothing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (CI)"),
    allow_replacement: bool = typer.Option(False, "--allow-replacement", help="Allow replacing a database, cache or bucket"),
    wait_lock: str = typer.Option("0", "--wait-lock", help="Wait this long for another command holding the "
                                  "deployment's lock (90s, 10m); default: refuse at once"),
    as_json: bool = typer.Option(False, "--json", help="Print one result object"),
) -> None:
    """Release a new version: blue-green by default (idle colour, verify, shift, retire)."""
    from ..workflows.update import update as run_update
    from .fix_prompt import offer_fix, started_now

    started = started_now()
    try:
        result = run_update(deployment_id, repo, rolling=rolling, canary=canary, bake=bake,
                            keep_previous=keep_previous, strict_verify=strict_verify, what_if=what_if, yes=yes,
                            allow_replacement=allow_replacement, ui=_ui(as_json), wait_lock=wait_lock)
    except HivemindError as failed:  # the Medic's fix, offered in a terminal (else the error as it is)
        result = offer_fix(failed, deployment_id, started=started, repo=repo, yes=yes, as_json=as_json)
    print_lifecycle(result, as_json)
    _exit_for(result)


@app.command()
def rollback(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id"),
    to: Optional[str] = typer.Option(None, "--to", help="Release to go back to, e.g. v3 (default: the previous one)"),
    skip_resource: list[str] = typer.Option([], "--skip-resource", help="With UPDATE_ROLLBACK_FAILED: a resource "
                                            "you fixed by hand that CloudFormation should skip (repeatable)"),
    what_if: bool = typer.Option(False, "--what-if", help="Show what would change and change nothing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (CI)"),
    wait_lock: str = typer.Option("0", "--wait-lock", help="Wait this long for another command holding the "
                                  "deployment's lock (90s, 10m); default: refuse at once"),
    as_json: bool = typer.Option(False, "--json", help="Print one result object"),
) -> None:
    """Go back to an earlier release (an edge change set when its colour still runs)."""
    from ..workflows.rollback import rollback as run_rollback

    result = run_rollback(deployment_id, to=to, yes=yes, what_if=what_if, skip_resources=tuple(skip_resource),
                          ui=_ui(as_json), wait_lock=wait_lock)
    print_lifecycle(result, as_json)
    _exit_for(result)


@app.command()
def history(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Releases (vN, artifact sha256, colour, plan hash, time, outcome) and recent operations."""
    from ..state import load_state

    state = load_state(deployment_id)
    if as_json:
        data = {
            "id": state.id,
            "releases": [json.loads(r.model_dump_json()) for r in state.releases],
            "operations": [json.loads(o.model_dump_json()) for o in state.operations],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title=f"{state.id}: releases", title_justify="left")
    for column in ("Release", "Outcome", "Colour", "Strategy", "Artifact sha256", "Plan", "Time"):
        table.add_column(column)
    for r in reversed(state.releases):
        table.add_row(r.label, r.outcome, r.color, r.strategy, r.artifact.sha256[:12], r.plan_hash[:8],
                      r.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)
    ops = Table(title="operations", title_justify="left")
    for column in ("Action", "Status", "Release", "Seconds", "Phases"):
        ops.add_column(column)
    for o in reversed(state.operations[-10:]):
        phases = ", ".join(f"{p.name} {p.seconds or 0:.1f}s" + ("" if p.outcome == "ok" else f" ({p.outcome})")
                           for p in o.phases)
        ops.add_row(o.action, o.status, f"v{o.release}" if o.release else "", f"{o.seconds or 0:.1f}", phases)
    console.print(ops)


@app.command()
def cancel(deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id")) -> None:
    """Stop an update in progress (CloudFormation rolls the stack back)."""
    from ..workflows.cancel import cancel as run_cancel

    for name in run_cancel(deployment_id):
        console.print(f"cancelled the update of {name}: CloudFormation is rolling it back", highlight=False)


@app.command()
def retry(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id"),
    repo: Path = typer.Argument(Path("."), help="Application repository (default: the current directory)"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply a plan-only fix and go ahead without asking"),
    as_json: bool = typer.Option(False, "--json", help="Print one result object"),
) -> None:
    """Run the failed deploy or update again, after the Medic's fix (shown as a diff)."""
    from ..workflows.retry import retry as run_retry

    result = run_retry(deployment_id, repo, yes=yes, ui=_ui(as_json))
    print_lifecycle(result, as_json)
    _exit_for(result)


@app.command()
def upgrade(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id"),
    to_production: bool = typer.Option(False, "--to-production", help="Move stage-1 to production sizing"),
    bake: Optional[int] = typer.Option(None, "--bake", help="Seconds CloudFormation watches the new colour's alarms "
                                       "after the shift (default 300 in production)"),
    certificate_arn: Optional[str] = typer.Option(None, "--certificate-arn", help="ACM certificate for HTTPS"),
    http_only_reason: Optional[str] = typer.Option(None, "--http-only-reason",
                                                   help="Accept plain HTTP in production, with the reason"),
    what_if: bool = typer.Option(False, "--what-if", help="Show every change with the guard's verdict; change nothing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (CI)"),
    allow_replacement: bool = typer.Option(False, "--allow-replacement", help="Allow replacing a database, cache or bucket"),
    wait_lock: str = typer.Option("0", "--wait-lock", help="Wait this long for another command holding the "
                                  "deployment's lock (90s, 10m); default: refuse at once"),
    as_json: bool = typer.Option(False, "--json", help="Print one result object"),
) -> None:
    """Upgrade stage-1 to production in place (needs only the id and AWS credentials)."""
    from ..workflows.upgrade import upgrade as run_upgrade
    from .fix_prompt import offer_fix, started_now

    def run():
        return run_upgrade(deployment_id, to_production=to_production, bake=bake, what_if=what_if, yes=yes,
                           allow_replacement=allow_replacement, certificate_arn=certificate_arn,
                           http_only_reason=http_only_reason, ui=_ui(as_json), wait_lock=wait_lock)

    started = started_now()
    try:
        result = run()
    except HivemindError as failed:  # the Medic's fix, offered in a terminal (else the error as it is)
        result = offer_fix(failed, deployment_id, started=started, yes=yes, as_json=as_json, rerun=run)
    print_lifecycle(result, as_json)
    _exit_for(result)
