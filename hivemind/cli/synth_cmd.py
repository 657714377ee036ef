"""`hivemind synth PATH`: render the plan into CDK stacks offline, check them, estimate the cost."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .app import app, console, err_console

_MAX_MESSAGE = 160


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


@app.command("synth")
def synth_command(
    path: Path = typer.Argument(..., help="A plan file (hivemind.yaml/.json) or a repository directory."),
    stage_1: bool = typer.Option(False, "--stage-1", help="Render with stage-1 sizing (cheapest honest setup)."),
    production: bool = typer.Option(False, "--production", help="Render with production sizing."),
    xray: bool = typer.Option(False, "--xray", help="Enable X-Ray tracing (daemon, permissions, group)."),
    outdir: Optional[Path] = typer.Option(None, "-o", "--outdir", help="Cloud assembly directory (default ./cdk.out)."),
    as_json: bool = typer.Option(False, "--json", help="Print one machine-readable JSON document and nothing else."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Synthesize even if an identical assembly is cached."),
) -> None:
    """Synthesize the CloudFormation templates offline; print stacks, findings and monthly cost.

    Exits 1 when cdk-nag reports an unacknowledged error, cfn-lint reports an error, or a production
    plan breaks a HiveMind rule (plain HTTP without `http_only_reason`).
    """
    from ..errors import HivemindError
    from ..plan import apply_stage
    from ..synth import load_plan_arg, synthesize

    if stage_1 and production:
        raise HivemindError("choose one of --stage-1 and --production")
    plan = load_plan_arg(path)
    if stage_1 or production:
        plan = apply_stage(plan, "production" if production else "stage-1")
    if xray and not plan.observability.xray:
        plan = plan.model_copy(update={"observability": plan.observability.model_copy(update={"xray": True})})

    if as_json:
        result = synthesize(plan, outdir=outdir, use_cache=not no_cache)
    else:
        with err_console.status(f"Synthesizing {plan.name} ({plan.stage})…"):
            result = synthesize(plan, outdir=outdir, use_cache=not no_cache)

    if as_json:
        document = {"plan": {"name": plan.name, "stage": plan.stage, "region": plan.region}} | result.to_dict()
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_report(plan, result)
    code = 0 if result.ok else 1
    _fast_exit_after_jsii(code)
    if code:
        raise typer.Exit(code)


def _fast_exit_after_jsii(code: int) -> None:
    """End the `hivemind` process now if this synth loaded jsii.

    Tearing down the interpreter after aws_cdk was imported takes ~0.4 s (module and object graph
    finalization); the output is complete, so the console script exits directly. Only applies to
    the `hivemind` executable itself, never to callers of main() (tests, other Python code).
    """
    import os
    import sys

    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    is_console_script = script.name == "hivemind" or (script.name == "__main__.py" and script.parent.name == "hivemind")
    if is_console_script and "aws_cdk" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _print_report(plan, result) -> None:
    where = f"{result.assembly_dir}" + (" (cached)" if result.cached else "")
    console.print(f"[bold]{plan.name}[/] · {plan.stage} · {plan.region} → {where}", highlight=False)

    stacks = Table(title="Stacks", title_justify="left")
    stacks.add_column("Stack")
    stacks.add_column("Resources", justify="right")
    stacks.add_column("Depends on")
    for stack in result.stacks:
        stacks.add_row(stack.name, str(stack.resource_count), ", ".join(stack.dependencies) or "-")
    console.print(stacks)

    open_findings = sorted((f for f in result.findings if not f.acknowledged),
                           key=lambda f: (f.severity != "error", f.stack, f.rule_id))
    if open_findings:
        findings = Table(title="Findings", title_justify="left")
        for column in ("Source", "Rule", "Severity", "Stack / resource", "Message"):
            findings.add_column(column, overflow="fold")
        for f in open_findings:
            style = "red" if f.severity == "error" else "yellow"
            findings.add_row(f.source, f.rule_id, f"[{style}]{f.severity}[/]", f"{f.stack} {f.resource}", _short(f.message))
        console.print(findings)
    elif result.checks_run:
        console.print("Findings: none open (cdk-nag AwsSolutions, cfn-lint)")
    acknowledged: dict[tuple[str, str], int] = {}
    for f in result.findings:
        if f.acknowledged:
            acknowledged[(f.rule_id, f.reason)] = acknowledged.get((f.rule_id, f.reason), 0) + 1
    if acknowledged:
        console.print("Acknowledged findings (by design):")
        for (rule, reason), count in sorted(acknowledged.items()):
            console.print(f"  [green]✓[/] {rule} ×{count}: [dim]{reason}[/]", highlight=False, soft_wrap=True)

    cost = Table(title=f"Estimated monthly cost (USD, {result.cost.price_region} list prices compiled offline "
                       f"{result.cost.as_of}, not fetched)",
                 title_justify="left")
    cost.add_column("Stack")
    cost.add_column("Item")
    cost.add_column("USD/month", justify="right")
    grouped: dict[tuple[str, str], list[float]] = {}
    for line in result.cost.lines:
        grouped.setdefault((line.stack, line.description), []).append(line.monthly_usd)
    for (stack, description), amounts in grouped.items():
        label = description if len(amounts) == 1 else f"{description} ×{len(amounts)}"
        cost.add_row(stack, label, f"{sum(amounts):,.2f}")
    cost.add_row("", "[bold]Total (on-demand)[/]", f"[bold]{result.cost.total_usd:,.2f}[/]")
    cost.add_row("", "Total after always-free allowances", f"{result.cost.free_tier_total_usd:,.2f}")
    console.print(cost)
    for note in result.cost.assumptions:
        console.print(f"  · {note}", highlight=False, soft_wrap=True)

    blocking = result.blocking_findings
    policy = [f for f in blocking if f.source == "hivemind"]
    if policy:
        # A plan rule says what to change in the plan: its message is the one error line.
        err_console.print(f"[bold red]error:[/] {policy[0].message}", highlight=False, soft_wrap=True)
    elif blocking:
        err_console.print(f"[bold red]error:[/] {len(blocking)} blocking finding(s): "
                          f"{', '.join(sorted({f.rule_id for f in blocking}))}", highlight=False)
    else:
        acknowledged = sum(1 for f in result.findings if f.acknowledged)
        console.print(f"[green]OK[/]: no blocking findings ({acknowledged} acknowledged with reasons).")
