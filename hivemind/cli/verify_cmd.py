"""`hivemind verify ID`: run the QA checks against a deployment, keep the result in its state."""
from __future__ import annotations

import json
from typing import List, Optional

import typer
from rich.table import Table

from .app import app, console, err_console

_REGION_HELP = "AWS region (default: the deployment's, else AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."


def live_state(deployment_id: str, region: str | None):
    """The stored state brought up to CloudFormation's truth (not saved: no lock taken);
    unknown or destroyed: a one-line error."""
    from ..errors import HivemindError
    from ..state import DeploymentStatus, check_deployment_id, load_state, refresh_from_cloudformation

    from .ops_cmd import user_input

    with user_input():
        state = load_state(check_deployment_id(deployment_id), region)
    if state.status is DeploymentStatus.DESTROYED:
        raise HivemindError(f"deployment '{state.id}' was destroyed (see `hivemind list`)")
    return refresh_from_cloudformation(state)


def print_verification(result, *, title: str | None = None) -> None:
    """The checks as a table, then one verdict line (also used by the deploy summary)."""
    table = Table(title=title, title_justify="left")
    for column in ("check", "result", "detail", "time"):
        table.add_column(column, overflow="fold")
    for check in result.checks:
        verdict = "[green]pass[/]" if check.passed else ("[red]unreachable[/]" if check.unreachable else "[red]FAIL[/]")
        table.add_row(check.name, verdict, check.detail, f"{check.seconds:.2f}s")
    console.print(table)
    from ..qa import unreachable_only

    failed = [c.name for c in result.checks if not c.passed]
    if unreachable_only(result):
        targets = next((c for c in result.checks if c.name == "targets"), None)
        evidence = f"; the load balancer's own health checks: {targets.detail}" if targets else ""
        console.print(f"[yellow]note:[/] {result.url or 'the address'} cannot be reached from here{evidence}",
                      highlight=False, soft_wrap=True)
    if result.passed:
        console.print(f"[green]verified[/]: all {len(result.checks)} checks passed", highlight=False)
    else:
        console.print(f"[red]verification failed[/]: {', '.join(failed) or 'no checks ran'}", highlight=False)


@app.command("verify")
def verify_command(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan's name)."),
    url: Optional[str] = typer.Option(None, "--url", help="Check this address instead of the load balancer's (e.g. a custom domain)."),
    check: Optional[List[str]] = typer.Option(None, "--check", help="Run only this check (repeatable): dns, port, tls, http, targets, database, cache."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.5, help="Seconds per network operation."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout and nothing else."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """Check that the deployment answers and is healthy; exit 0 only when every check passes.

    Checks: dns, port, tls (https), http (health path and /, p50/p95 over 10 requests), targets
    (the live target group), database and cache (a probe from an app instance via SSM Run
    Command). The result is kept in the deployment's state as `verification`."""
    from ..qa import check_url, record_verification, verify
    from ..state import DeploymentLocked, deployment_lock, load_state, save_state
    from ..aws import AwsError

    from ..errors import HivemindError
    from ..qa import CHECK_NAMES
    from .ops_cmd import user_input

    with user_input():  # bad input fails before any AWS call
        if url is not None:
            check_url(url)
        unknown = sorted(set(check or ()) - set(CHECK_NAMES))
        if unknown:
            raise HivemindError(f"unknown check(s) {', '.join(unknown)} (choose from {', '.join(CHECK_NAMES)})")
    state = live_state(deployment_id, region)
    result = verify(state, url=url, checks=tuple(check) if check else None, timeout=timeout)
    skipped = sorted(set(check or ()) - {c.name for c in result.checks})
    if skipped:
        err_console.print(f"warning: not run, as they do not apply here: {', '.join(skipped)}", highlight=False)
    try:
        with deployment_lock(state.id):
            stored = load_state(state.id, state.region)
            record_verification(stored, result)
            try:
                save_state(stored)
            except AwsError:
                save_state(stored, remote=False)  # a read-only principal still keeps the local record
    except DeploymentLocked:
        err_console.print("warning: another command holds the deployment; this result is not stored", highlight=False)
    if as_json:
        typer.echo(json.dumps(json.loads(result.model_dump_json()), indent=2))
    else:
        print_verification(result, title=f"verify {state.id} ({result.url or 'no URL'}, {result.color})")
    if not result.passed:
        raise typer.Exit(1)
