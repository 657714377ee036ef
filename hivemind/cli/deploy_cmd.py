"""`hivemind deploy REPO [DESCRIPTION]`: plan, synth, checks, change sets, confirm, execute."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .app import app, console


@app.command()
def deploy(
    repo: Path = typer.Argument(..., help="Application repository (or a hivemind.yaml plan file)"),
    description: str = typer.Argument("", help="What the app is, e.g. 'orders API'"),
    stage_1: bool = typer.Option(False, "--stage-1", help="Cheapest honest setup (no NAT, single instances)"),
    production: bool = typer.Option(False, "--production", help="Resilient setup (NAT, multi-AZ, 2+ instances)"),
    xray: Optional[bool] = typer.Option(None, "--xray/--no-xray", help="X-Ray tracing on the instances"),
    what_if: bool = typer.Option(False, "--what-if", help="Show the change sets as a diff and change nothing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (CI)"),
    allow_replacement: bool = typer.Option(
        False, "--allow-replacement", help="Allow replacing or deleting a database, cache or bucket"),
    max_parallel: int = typer.Option(4, "--max-parallel", min=1, max=16, help="Stacks deployed at once"),
    wait_lock: str = typer.Option("0", "--wait-lock", help="Wait this long for another command holding the "
                                  "deployment's lock (90s, 10m); default: refuse at once"),
    as_json: bool = typer.Option(False, "--json", help="Print one result object"),
) -> None:
    """Deploy REPO through CloudFormation change sets (independent stacks in parallel)."""
    from ..errors import HivemindError
    from ..workflows.deploy import deploy as run_deploy

    if stage_1 and production:
        raise HivemindError("choose one of --stage-1 and --production")
    stage = "stage-1" if stage_1 else "production" if production else None
    from .fix_prompt import deployment_of, offer_fix, started_now
    from .lifecycle_cmd import _ui, print_lifecycle

    started = started_now()
    try:
        result = run_deploy(repo, description=description, stage=stage, xray=xray, what_if=what_if, yes=yes,
                            allow_replacement=allow_replacement, max_parallel=max_parallel, ui=_ui(as_json),
                            wait_lock=wait_lock)
    except HivemindError as failed:  # the Medic's fix, offered in a terminal (else the error as it is)
        print_lifecycle(offer_fix(failed, deployment_of(repo), started=started, repo=repo, yes=yes,
                                  as_json=as_json), as_json)
        return
    if as_json:
        print_lifecycle(result, True)
        if result.cancelled:
            raise typer.Exit(1)
        return
    if result.what_if:
        changing = sum(not p.no_changes for p in result.previews)
        console.print(f"what-if: {changing} of {len(result.previews)} stack(s) would change; nothing was changed")
        return
    if result.cancelled:
        console.print("cancelled: nothing was deployed (the change sets were deleted)")
        raise typer.Exit(1)
    state = result.state
    table = Table(title=f"{state.id} ({state.stage}, {state.region})", title_justify="left")
    for column in ("Stack", "Status", "Result"):
        table.add_column(column)
    outcomes = result.engine.outcomes if result.engine else {}
    for name, stack in state.stacks.items():
        if stack.status == "MISSING":
            continue
        outcome = outcomes.get(name)
        table.add_row(name, stack.status, outcome.result if outcome else "")
    console.print(table)
    for name in result.engine.deleted if result.engine else ():
        console.print(f"deleted {name}: no longer in the plan", highlight=False)
    if not result.changed:
        console.print("no changes: every stack is up to date")
    if state.url:
        console.print(f"URL: {state.url}", highlight=False, soft_wrap=True)
    if state.dashboard_url:
        console.print(f"Dashboard: {state.dashboard_url}", highlight=False, soft_wrap=True)
