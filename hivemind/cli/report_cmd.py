"""`hivemind report ID [--format md|html] [-o FILE]`, and what `hivemind status ID --report` prints."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, console

_REGION_HELP = "AWS region (default: the deployment's, else AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."


def _state(deployment_id: str, region: str | None):
    from ..state import check_deployment_id, load_state
    from .ops_cmd import user_input

    with user_input():  # an id with brackets in it is quoted back safely
        return load_state(check_deployment_id(deployment_id), region)


@app.command("report")
def report_command(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan's name)."),
    fmt: str = typer.Option("md", "--format", help="md (markdown) or html."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to FILE instead of stdout."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """A fresh report of a deployment: timeline, resources, configuration, verification, access,
    costs, next steps and troubleshooting (read-only; also saved after every deploy/update/upgrade)."""
    from ..errors import HivemindError
    from ..reports import FORMATS, build_report, render_report

    if fmt not in FORMATS:
        raise HivemindError(f"--format must be md or html, not '{fmt}'")
    text = render_report(build_report(_state(deployment_id, region)), fmt)
    if output is None:
        typer.echo(text, nl=False)  # plain text: rich would read [brackets] in it as markup
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise HivemindError(f"cannot write {output}: {exc.strerror or exc}") from None
    console.print(f"report written to {output}", highlight=False, soft_wrap=True, markup=False)


def print_status_report(deployment_id: str, region: str | None) -> None:
    """`status ID --report`: the latest saved report, else a fresh one."""
    from ..reports import build_report, latest_report, render_report

    saved = latest_report(deployment_id)
    if saved is not None:
        typer.echo(saved.read_text(encoding="utf-8"), nl=False)
        return
    typer.echo(render_report(build_report(_state(deployment_id, region)), "md"), nl=False)
