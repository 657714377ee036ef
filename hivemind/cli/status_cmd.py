"""`hivemind status ID` and `hivemind list`: what is deployed, as CloudFormation sees it now."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Optional

import typer
from rich.table import Table

from .app import app, console

_REGION_HELP = "AWS region (default: the deployment's, else AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _stack_style(status: str) -> str:
    if status.endswith("_IN_PROGRESS"):
        return "yellow"
    if "FAILED" in status or "ROLLBACK" in status or status == "MISSING":
        return "red"
    return "green"


@app.command("status")
def status_command(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan's name)."),
    as_json: bool = typer.Option(False, "--json", help="Print the state as JSON on stdout and nothing else."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """Show a deployment's stacks, status, stage, URL, dashboard and last error."""
    from ..state import check_deployment_id, current_status, serialize_state

    state = current_status(check_deployment_id(deployment_id), region)
    if as_json:
        typer.echo(serialize_state(state), nl=False)  # redacted, like everything stored
        return
    table = Table(title=f"{state.id} ({state.stage}, {state.region})", title_justify="left")
    for column in ("stack", "CloudFormation status", "last updated"):
        table.add_column(column, overflow="fold")
    for name, stack in sorted(state.stacks.items()):
        table.add_row(name, f"[{_stack_style(stack.status)}]{stack.status}[/]", _when(stack.last_updated))
    if state.stacks:
        console.print(table)
    else:
        console.print(f"{state.id} ({state.stage}, {state.region}): no stacks in CloudFormation", highlight=False)
    rows = [
        ("status", state.status.value + (f" (failed at {state.failed_stage})" if state.failed_stage and state.status.value == "failed" else "")),
        ("url", state.url or "-"),
        ("dashboard", state.dashboard_url or "-"),
        ("active colour", state.active_color or "-"),
        ("artifact", f"s3://{state.artifact.bucket}/{state.artifact.key}" if state.artifact else "-"),
        ("updated", _when(state.updated_at)),
    ]
    if state.last_error:
        rows.append(("last error", state.last_error))
    for label, value in rows:
        console.print(f"[bold]{label + ':':<15}[/]{value}", highlight=False, soft_wrap=True)


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the deployments as JSON on stdout and nothing else."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """List every deployment in this account and region (also ones this machine never deployed)."""
    from ..aws import default_region
    from ..state import list_deployments

    region = default_region(region)
    deployments = list_deployments(region)
    if as_json:
        typer.echo(json.dumps([json.loads(d.model_dump_json()) for d in deployments], indent=2))
        return
    if not deployments:
        console.print(f"no deployments in {region}", highlight=False)
        return
    table = Table(title=f"deployments in {region}", title_justify="left")
    for column in ("id", "status", "stage", "stacks", "url", "updated", "known from"):
        table.add_column(column, overflow="fold")
    for d in deployments:
        table.add_row(d.id, d.status.value if d.status else "-", d.stage or "-", str(d.stacks),
                      d.url or "-", _when(d.updated_at), d.source)
    console.print(table)
