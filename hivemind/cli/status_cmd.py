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
    show_logs: bool = typer.Option(False, "--show-logs", help="Also show the app's recent logs and error counts."),
    show_metrics: bool = typer.Option(False, "--show-metrics", help="Also show key metrics with sparklines and anomalies."),
    show_costs: bool = typer.Option(False, "--show-costs", help="Also show month-to-date cost and forecast beside the estimate."),
    show_traces: bool = typer.Option(False, "--show-traces", help="Also show X-Ray trace summaries (when xray is on)."),
    show_dashboard: bool = typer.Option(False, "--show-dashboard", help="Also show the dashboard URL and its sections."),
    since: Optional[str] = typer.Option(None, "--since", help="Window for logs/traces (default 1h) and metrics (default 3h): 10m, 3h, 2d or an ISO time."),
    grep: Optional[str] = typer.Option(None, "--grep", help="With --show-logs: only lines containing this text."),
    report: bool = typer.Option(False, "--report", help="Print the latest saved report (else a fresh one) instead."),
) -> None:
    """Show a deployment's stacks, status, URL, dashboard and last error (--show-*: logs, metrics, costs, traces).

    --show-logs, --show-metrics, --show-costs, --show-traces and --show-dashboard add those
    views after the status; with --json, one object holds the state and each view."""
    from ..state import check_deployment_id, current_status, serialize_state

    shown = {"logs": show_logs, "metrics": show_metrics, "costs": show_costs, "traces": show_traces,
             "dashboard": show_dashboard}
    from .ops_cmd import user_input

    starts = _windows(since, shown)  # bad --since fails before any AWS call
    with user_input():  # an id with brackets in it is quoted back safely
        deployment_id = check_deployment_id(deployment_id)
    if report:
        from .report_cmd import print_status_report

        print_status_report(deployment_id, region)
        return
    state = current_status(deployment_id, region)
    if any(shown.values()):
        _show_sections(state, shown, starts, grep, as_json)
        return
    if as_json:
        typer.echo(serialize_state(state), nl=False)  # redacted, like everything stored
        return
    _print_state(state)


def _windows(since: str | None, shown: dict[str, bool]) -> dict:
    from .ops_cmd import default_window, since_option

    if since is not None:
        since_option(since, "1h")  # given but no section reads it: still refuse garbage
    return {kind: since_option(since, default_window(kind)) for kind in ("logs", "metrics", "traces") if shown[kind]}


def _show_sections(state, shown: dict[str, bool], starts: dict, grep: str | None, as_json: bool) -> None:
    """status --show-*: each asked section after the status (JSON: one object with a key per section)."""
    from ..errors import HivemindError
    from ..ops import dashboard_info, deployment_costs, read_logs, read_metrics, trace_summaries
    from ..state import DeploymentStatus, serialize_state
    from . import ops_cmd

    if state.status is DeploymentStatus.DESTROYED:
        raise HivemindError(f"deployment '{state.id}' was destroyed (see `hivemind list`)")
    readers = {
        "logs": (lambda: read_logs(state, since=starts["logs"], grep=grep), ops_cmd.print_logs),
        "metrics": (lambda: read_metrics(state, since=starts["metrics"]), ops_cmd.print_metrics),
        "costs": (lambda: deployment_costs(state), ops_cmd.print_costs),
        "traces": (lambda: trace_summaries(state, since=starts["traces"]), ops_cmd.print_traces),
        "dashboard": (lambda: dashboard_info(state), ops_cmd.print_dashboard),
    }
    results = {kind: readers[kind][0]() for kind, on in shown.items() if on}
    if as_json:
        data = {"state": json.loads(serialize_state(state))}
        data.update({kind: result.to_dict() for kind, result in results.items()})
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    _print_state(state)
    for kind, result in results.items():
        readers[kind][1](result)


def _print_state(state) -> None:
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
    if state.verification:
        v = state.verification
        failed = ", ".join(c.name for c in v.checks if not c.passed)
        rows.append(("verification", f"{'passed' if v.passed else 'failed: ' + (failed or 'no checks')} ({_when(v.time)})"))
    if state.last_error:
        rows.append(("last error", state.last_error))
    from ..medic.timeout import state_failure_hint

    if hint := state_failure_hint(state):  # failure_timeout: failed for 24 h or more
        rows.append(("next step", hint))
    for label, value in rows:
        console.print(f"[bold]{label + ':':<15}[/]{value}", highlight=False, soft_wrap=True)


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the deployments as JSON on stdout and nothing else."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
    show_all: bool = typer.Option(False, "--all", help="Also list destroyed deployments."),
) -> None:
    """List every deployment in this account and region (also ones this machine never deployed)."""
    from ..aws import default_region
    from ..state import DeploymentStatus, list_deployments

    region = default_region(region)
    deployments = [d for d in list_deployments(region) if show_all or d.status is not DeploymentStatus.DESTROYED]
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
    from ..medic.timeout import failure_hint

    for d in deployments:  # failure_timeout: failed for 24 h or more
        if hint := failure_hint(d.id, d.status.value if d.status else None, d.updated_at):
            console.print(f"{d.id}: {hint}", highlight=False, soft_wrap=True)
