"""`hivemind destroy ID` and `hivemind janitor ID`: tear a deployment down, or only look at it.

Confirmation: in a terminal, `destroy` asks you to type the deployment id. In CI (no terminal)
pass `--yes`; without it nothing is deleted (exit 2). `--skip-final-snapshot` deletes the
database without the final snapshot: in a terminal you type the id a second time; with `--yes`
the environment variable HIVEMIND_CONFIRM_ID must equal the id too.

Exit codes: 0 destroyed and nothing left; 3 destroyed, with leftovers (listed, `leftovers` in
--json); 1 cancelled at the prompt or a stack could not be deleted; 2 bad input (nothing changed).
"""
from __future__ import annotations

import json
import sys

import typer

from .app import app, console, err_console
from .ui import TerminalUI


def _prompt(question: str) -> str:
    # On stderr, so `--json` keeps stdout for the result object alone.
    return typer.prompt(question, default="", show_default=False, err=True)


@app.command()
def destroy(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for the id (CI)"),
    keep_data: bool = typer.Option(False, "--keep-data", help="Keep the data and network stacks (database, cache, VPC)"),
    skip_final_snapshot: bool = typer.Option(False, "--skip-final-snapshot", help="No final RDS snapshot: type the id "
                                             "again, or with --yes set HIVEMIND_CONFIRM_ID=<id>"),
    as_json: bool = typer.Option(False, "--json", help="Print one result object"),
) -> None:
    """Delete every stack of a deployment (final database snapshot first) and verify nothing is left.

    In a terminal you type the id to confirm; in CI pass --yes. --skip-final-snapshot: the id
    typed again, or with --yes the environment variable HIVEMIND_CONFIRM_ID=<id>. Exit 0: nothing
    left; 3: destroyed, with leftovers (listed); 1: cancelled or a stack not deleted; 2: refused."""
    from ..workflows.destroy import destroy as run_destroy

    ui = TerminalUI(err_console if as_json else console)
    result = run_destroy(deployment_id, yes=yes, keep_data=keep_data, skip_final_snapshot=skip_final_snapshot,
                         confirm_id=_prompt if sys.stdin.isatty() else None, ui=ui)
    lifecycle = result.lifecycle
    if as_json:
        typer.echo(json.dumps(lifecycle.to_json(), indent=2, default=str))
    elif result.cancelled:
        console.print("cancelled: nothing was deleted", highlight=False)
    else:
        snapshot = f"; final snapshot {result.final_snapshot}" if result.final_snapshot else ""
        left = f"; {len(result.leftovers)} leftover(s)" if result.leftovers else "; nothing left"
        console.print(f"destroyed {deployment_id} in {lifecycle.duration_s:.1f}s; saves "
                      f"${result.monthly_savings:.2f}/month{snapshot}{left}", highlight=False, soft_wrap=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command()
def janitor(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Every resource of a deployment with its monthly cost, orphans and issues; changes nothing."""
    from ..state import check_deployment_id, load_state, refresh_from_cloudformation
    from ..workflows.janitor import discover, summary_lines

    state = load_state(check_deployment_id(deployment_id))
    refresh_from_cloudformation(state)  # in memory only: the janitor writes nothing
    found = discover(state)
    if as_json:
        typer.echo(json.dumps({**found.to_json(), "status": state.status.value}, indent=2, default=str))
        return
    for line in summary_lines(found):
        console.print(line, highlight=False, soft_wrap=True)
    if not found.orphans:
        console.print("no orphans", highlight=False)
