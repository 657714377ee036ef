"""`hivemind plan` and `hivemind schema`."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

import typer
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..errors import HivemindError
from ..plan import DeploymentPlan, dump_plan_json
from .app import app, console, err_console


@app.command()
def schema() -> None:
    """Print the JSON Schema of hivemind.yaml (for editors and CI validation)."""
    console.print_json(json.dumps(DeploymentPlan.model_json_schema()))


@app.command("plan")
def plan_command(
    repo: Path = typer.Argument(..., help="Repository folder to analyse."),
    description: str = typer.Argument("", help="What the app is, in a few words (kept in the plan)."),
    production: bool = typer.Option(False, "--production", help="Size for production: 2+ instances, Multi-AZ, replica, backups."),
    stage_1: bool = typer.Option(False, "--stage-1", help="Size for stage-1: the cheapest honest setup."),
    xray: Optional[bool] = typer.Option(None, "--xray/--no-xray", help="Turn AWS X-Ray tracing on (or off)."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON on stdout and nothing else."),
    force: bool = typer.Option(False, "--force", help="Re-analyse even if hivemind.yaml exists (drops your edits)."),
    name: Optional[str] = typer.Option(None, "--name", help="Deployment name (default: from the folder name)."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Deterministic analysis only: no LLM refinement."),
) -> None:
    """Analyse REPO and write REPO/hivemind.yaml: services, database, cache, with evidence."""
    from ..workflows.plan import build_plan

    if production and stage_1:
        raise HivemindError("--production and --stage-1 are mutually exclusive")
    stage = "production" if production else "stage-1" if stage_1 else None
    result = build_plan(repo, description=description, stage=stage, xray=xray, force=force, name=name,
                        use_llm=not no_llm)
    refined = result.refine
    if refined is not None and refined.notice:
        err_console.print(refined.notice, highlight=False, soft_wrap=True, markup=False)
    if as_json:
        if refined is not None and refined.used_llm:
            err_console.print(agent_line(refined), highlight=False, soft_wrap=True, markup=False)
        # Plain print: rich would wrap or colour it, and --json output must parse.
        typer.echo(dump_plan_json(result.plan))
        return
    if result.kept_existing:
        err_console.print(f"kept your edits in {result.path} (use --force to re-analyse)", highlight=False)
    show_plan(result.plan)
    if refined is not None and refined.used_llm:
        console.print(agent_line(refined), highlight=False, soft_wrap=True, markup=False)
        for change, why in refined.report.rejected:
            console.print(f"  rejected {change.field}: {why}", style="dim", highlight=False, soft_wrap=True,
                          markup=False)
    # soft_wrap: a long path is left for the terminal to wrap, never split by a hard newline.
    console.print(f"wrote {result.path}", highlight=False, soft_wrap=True)


def agent_line(refined) -> str:
    """One line: what the Recon agent changed and what it cost."""
    report = refined.report
    return (f"agent: {len(report.accepted)} change(s) accepted (marked * in evidence), {len(report.rejected)} "
            f"rejected; {refined.tokens:,} tokens in {refined.requests} request(s); log {refined.log_path}")


# From this width on, the services table has room for a root column.
WIDE_TERMINAL = 120


def show_plan(plan: DeploymentPlan) -> None:
    """Rich tables: services, data stores, then the evidence for each inferred value."""
    services = Table(title=f"{plan.name} ({plan.stage}, {plan.region})", title_justify="left")
    # The root column only matters in a monorepo; on a narrow terminal it would cost the command
    # its room, so the folders go on a line of their own below the table.
    roots_apart = any(s.root != "." for s in plan.services)
    with_root = roots_apart and console.width >= WIDE_TERMINAL
    columns = ("service", "kind", "runtime", "framework", "port", "start command", "health") + (("root",) * with_root)
    for column in columns:
        # Names and short words stay whole; commands and folders wrap when the terminal is narrow.
        services.add_column(column, overflow="fold", no_wrap=column not in ("start command", "root"))
    for s in plan.services:
        row = [s.name, s.kind, s.runtime, s.framework or "-", str(s.port) if s.port else "-",
               s.start_command or "-", s.health_check_path if s.kind == "web" else "-"]
        services.add_row(*row, *([s.root] * with_root))
    console.print(services)
    if roots_apart and not with_root:
        console.print("folders: " + ", ".join(f"{s.name} in {s.root}" for s in plan.services), highlight=False)
    for s in plan.services:
        if s.release_command:
            console.print(f"release ({s.name}, once per release before traffic moves): {s.release_command}",
                          highlight=False, soft_wrap=True, markup=False)
    stores = Table(show_header=True)
    stores.add_column("store")
    stores.add_column("engine")
    stores.add_column("size")
    if plan.database:
        db = plan.database
        stores.add_row("database", f"{db.engine} {db.version}",
                       f"{db.instance_class}, {'Multi-AZ' if db.multi_az else 'single-AZ'}, {db.read_replicas} replica(s), "
                       f"{db.backup_retention_days}-day backups")
    else:
        stores.add_row("database", "none", "-")
    if plan.cache:
        stores.add_row("cache", f"{plan.cache.engine} {plan.cache.version}", f"{plan.cache.node_type} x{plan.cache.num_nodes}")
    else:
        stores.add_row("cache", "none", "-")
    console.print(stores)
    if plan.needs:
        # Deploy refuses until each is set as a service env or secret: say so before it does.
        console.print("needs (set as env or secrets before deploying): " + ", ".join(n.name for n in plan.needs),
                      style="yellow", highlight=False, soft_wrap=True, markup=False)
    obs = plan.observability
    console.print(f"observability: dashboard {'on' if obs.dashboard else 'off'}, alarms {'on' if obs.alarms else 'off'}, "
                  f"X-Ray {'on' if obs.xray else 'off'}" + (f"  description: {plan.description}" if plan.description else ""),
                  highlight=False)
    if plan.evidence:
        show_evidence(plan.evidence)


# Below this many columns for value + reason, a table row wraps into an unreadable column of
# fragments; the evidence is then listed one entry per two lines instead.
MIN_TEXT_COLUMNS = 40
AGENT_STYLE = "bold magenta"


def _field_label(e) -> str:
    # Values the LLM agent chose stand out: marker and style, beside their evidence.
    return e.field + (" *" if e.origin == "agent" else "")


def _section(e) -> tuple[int, int]:
    """Where an evidence entry belongs on screen: the name, each service in order, then data stores."""
    service = re.match(r"services\[(\d+)\]", e.field)
    if service:
        return 1, int(service.group(1))
    return {"name": 0, "database": 2, "cache": 3}.get(re.split(r"[.\[]", e.field, maxsplit=1)[0], 4), 0


def show_evidence(items) -> None:
    """The evidence as a table when field and source fit whole on one line beside some room for
    value and reason; otherwise as a list (field = value, then source and reason, indented).
    Entries are grouped by what they describe, so the agent's changes sit beside the detectors'."""
    items = sorted(items, key=_section)
    field_width = max(len(_field_label(e)) for e in items)
    source_width = max(len(e.source) for e in items)
    # 5 columns: 6 border characters and 2 spaces of padding each.
    fixed = field_width + source_width + len("detector") + 6 + 5 * 2
    if console.width - fixed >= MIN_TEXT_COLUMNS:
        table = Table(title="evidence", title_justify="left")
        table.add_column("field", no_wrap=True)  # a path broken mid-word cannot be read back
        table.add_column("value", overflow="fold")
        table.add_column("source", no_wrap=True)
        table.add_column("reason", overflow="fold")
        table.add_column("by", no_wrap=True)
        for e in items:
            table.add_row(_field_label(e), e.value, e.source, e.reason, e.origin,
                          style=AGENT_STYLE if e.origin == "agent" else None)
        console.print(table)
        return
    console.print("evidence", highlight=False)
    for e in items:
        style = AGENT_STYLE if e.origin == "agent" else None
        head = Text(f"{_field_label(e)} = ", style=style or "bold")
        head.append(e.value, style=style)
        console.print(Padding(head, (0, 0, 0, 2), expand=False), highlight=False)
        where = e.source if e.origin == "detector" or e.source == e.origin else f"{e.source} ({e.origin})"
        detail = Text(f"{where} - {e.reason}", style=style or "dim")
        console.print(Padding(detail, (0, 0, 0, 4), expand=False), highlight=False)
