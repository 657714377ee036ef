"""`hivemind dashboard ID` and `hivemind logs ID`, and the terminal views of `status --show-*`."""
from __future__ import annotations

import json
import webbrowser
from contextlib import contextmanager
from datetime import datetime
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from .app import app, console, err_console

_REGION_HELP = "AWS region (default: the deployment's, else AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."
_BLOCKS = "▁▂▃▄▅▆▇█"


def known_state(deployment_id: str, region: str | None):
    """The stored state (this machine's, else AWS's); unknown or destroyed: a one-line error."""
    from ..errors import HivemindError
    from ..state import DeploymentStatus, check_deployment_id, load_state

    with user_input():
        state = load_state(check_deployment_id(deployment_id), region)
    if state.status is DeploymentStatus.DESTROYED:
        raise HivemindError(f"deployment '{state.id}' was destroyed (see `hivemind list`)")
    return state


@contextmanager
def user_input():
    """Errors that quote what the user typed: escaped, since the CLI prints errors as rich markup
    (a typed `[/x]` would otherwise break the one-line error)."""
    from ..errors import HivemindError

    try:
        yield
    except HivemindError as exc:
        raise HivemindError(escape(str(exc)), exit_code=exc.exit_code) from None


def since_option(value: str | None, default: str) -> datetime:
    from ..ops import parse_since

    with user_input():
        return parse_since(value or default)


def sparkline(values: list[float], width: int = 40) -> str:
    if not values:
        return ""
    if len(values) > width:  # average into `width` buckets
        step = len(values) / width
        values = [sum(values[int(i * step):int((i + 1) * step)] or [values[int(i * step)]])
                  / max(1, len(values[int(i * step):int((i + 1) * step)])) for i in range(width)]
    low, high = min(values), max(values)
    if high == low:
        return _BLOCKS[0] * len(values)
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, int((v - low) / (high - low) * (len(_BLOCKS) - 1) + 0.5))] for v in values)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "s":
        return f"{value * 1000:.0f} ms"
    if unit == "bytes":
        return f"{value / 1e9:.2f} GB"
    return f"{value:g}"


# --- section printers (status --show-*) ---------------------------------------------------------

def print_log_event(event) -> None:
    from ..ops import error_kinds

    style = "red" if error_kinds(event.message) else ""
    when = event.time.strftime("%Y-%m-%d %H:%M:%S")
    text = escape(event.message)
    console.print(f"[dim]{when}[/] [cyan]{event.service}[/] [dim]{escape(event.stream)}[/] "
                  + (f"[{style}]{text}[/]" if style else text), highlight=False, soft_wrap=True)


def print_logs(result) -> None:
    console.rule(f"logs since {result.since.strftime('%Y-%m-%d %H:%M UTC')}" + (f" matching {result.grep!r}" if result.grep else ""))
    for group in result.missing_groups:
        console.print(f"[yellow]no log group {group} yet[/] (the app has not shipped logs)", highlight=False)
    if not result.events:
        console.print("no log lines in that time", highlight=False)
    if result.truncated:
        console.print(f"[dim](older lines left out: the last {len(result.events)} are shown)[/]", highlight=False)
    for event in result.events:
        print_log_event(event)
    if result.errors:
        counts = ", ".join(f"{kind} {n}" for kind, n in result.errors.items())
        console.print(f"[red]errors:[/] {counts}", highlight=False)
    elif result.events:
        console.print("[green]no error patterns[/] (ERROR, Traceback, panic, Exception, 5xx)", highlight=False)


def print_metrics(report) -> None:
    console.rule(f"metrics since {report.since.strftime('%Y-%m-%d %H:%M UTC')} ({report.period_seconds // 60} min points)")
    table = Table(show_header=True, box=None)
    for column in ("metric", "latest", "min", "max", "trend"):
        table.add_column(column)
    for s in report.series:
        if s.error:
            table.add_row(s.label, "[yellow]unavailable[/]", "", "", escape(s.error))
            continue
        if not s.values:
            table.add_row(s.label, "[dim]no data[/]", "", "", "")
            continue
        table.add_row(s.label, _fmt(s.latest, s.unit), _fmt(min(s.values), s.unit), _fmt(max(s.values), s.unit),
                      sparkline(s.values))
    console.print(table)
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]", highlight=False)
    for anomaly in report.anomalies:
        console.print(f"[yellow]anomaly:[/] {escape(anomaly)}", highlight=False)
    if not report.anomalies and any(s.values for s in report.series):
        console.print("no anomalies (every point within mean ± 3σ of the previous 24 h)", highlight=False)


def print_costs(report) -> None:
    console.rule("costs")
    if report.source == "cost-explorer":
        console.print(f"month to date: ${report.month_to_date_usd:,.2f} (Cost Explorer, tag hivemind:deployment)", highlight=False)
        if report.forecast_usd is not None:
            console.print(f"forecast:      ${report.month_total_usd:,.2f} for the month (${report.forecast_usd:,.2f} still to come)", highlight=False)
    if report.estimate_monthly_usd is not None:
        label = "estimate" if report.source == "estimate" else "estimate (templates)"
        console.print(f"{label}: ${report.estimate_monthly_usd:,.2f}/month", highlight=False)
        lines = sorted(report.estimate["lines"], key=lambda l: -l["monthly_usd"])[:8]
        table = Table(show_header=False, box=None)
        for line in lines:
            table.add_row(f"  {line['description']}", f"${line['monthly_usd']:,.2f}")
        if lines:
            console.print(table)
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]", highlight=False, soft_wrap=True)


def print_traces(report) -> None:
    console.rule("traces")
    if not report.enabled:
        console.print(report.message, highlight=False, soft_wrap=True)
        return
    if report.error:
        console.print(f"[yellow]{escape(report.error)}[/]", highlight=False, soft_wrap=True)
    if not report.count:
        if report.message:
            console.print(f"X-Ray group {report.group}: {report.message}", highlight=False)
        return
    console.print(f"{report.count} traces, p50 {report.p50_ms:.0f} ms, p95 {report.p95_ms:.0f} ms, "
                  f"{report.faults} faults (5xx), {report.errors} errors (4xx), {report.throttles} throttled", highlight=False)
    table = Table(title="slowest paths", title_justify="left", box=None)
    for column in ("path", "count", "p95", "max"):
        table.add_column(column)
    for p in report.slowest_paths:
        table.add_row(escape(p["path"]), str(p["count"]), f"{p['p95_ms']:.0f} ms", f"{p['max_ms']:.0f} ms")
    console.print(table)


def print_dashboard(info) -> None:
    console.rule("dashboard")
    console.print(info.url, highlight=False, soft_wrap=True)
    if info.exists is False:
        console.print(f"[yellow]the dashboard {info.name} does not exist (observability stack not deployed?)[/]", highlight=False)
    elif info.exists:
        console.print(f"{info.widgets} widgets; sections: {', '.join(info.sections) or '-'}", highlight=False)
        if info.missing_sections:
            console.print(f"[yellow]missing sections:[/] {', '.join(info.missing_sections)}", highlight=False)
    elif info.error:
        console.print(f"[yellow]could not read the dashboard: {escape(info.error)}[/]", highlight=False)


# --- commands ---------------------------------------------------------------------------------------

@app.command("dashboard")
def dashboard_command(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan's name)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the dashboard in the browser."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """Print the CloudWatch dashboard's console URL (--open: start the browser on it)."""
    from ..ops import dashboard_info

    info = dashboard_info(known_state(deployment_id, region), inspect=False)
    typer.echo(info.url)
    if open_browser and not webbrowser.open(info.url):
        err_console.print("warning: no browser could be started; open the URL above", highlight=False)


@app.command("logs")
def logs_command(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan's name)."),
    service: Optional[str] = typer.Argument(None, metavar="SERVICE", help="One service (default: all)."),
    since: str = typer.Option("10m", "--since", help="How far back: 30s, 10m, 1h, 2d, or an ISO time."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines until Ctrl-C."),
    grep: Optional[str] = typer.Option(None, "--grep", help="Only lines containing this text (case-insensitive)."),
    as_json: bool = typer.Option(False, "--json", help="Print the lines and error counts as JSON (not with --follow)."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """Read the app's logs from CloudWatch (/hivemind/ID/SERVICE), newest last; errors counted."""
    from ..errors import HivemindError
    from ..ops import follow_logs, read_logs

    start = since_option(since, "10m")
    if follow and as_json:
        raise HivemindError("--json and --follow do not go together")
    state = known_state(deployment_id, region)
    if not follow:
        with user_input():
            from ..ops.logs import services_for

            services_for(state, service)
        result = read_logs(state, service=service, since=start, grep=grep)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
        else:
            print_logs(result)
        return
    from ..ops.logs import services_for

    with user_input():
        services_for(state, service)  # an unknown service fails before following
    try:
        for event in follow_logs(state, service=service, since=start, grep=grep):
            print_log_event(event)
    except KeyboardInterrupt:
        return


def default_window(kind: str) -> str:
    """--since when not given: logs and traces 1 h, metrics 3 h."""
    return {"logs": "1h", "metrics": "3h", "traces": "1h"}[kind]
