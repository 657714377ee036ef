"""The Typer application object every command module registers on."""
from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="hivemind",
    help="Turn a repository into a reviewed, typed plan, CDK stacks and a CloudFormation deployment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Human output goes to stdout; errors and warnings to stderr so `--json` output stays clean.
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """HiveMind: plan, synth, deploy, status, update, rollback and destroy apps on AWS."""
