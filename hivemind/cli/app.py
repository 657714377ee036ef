"""The Typer application object every command module registers on."""
from __future__ import annotations

import typer
from rich.console import Console

from .. import __version__

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


def _print_version(value: bool) -> None:
    """`--version`: eager, so it answers before typer asks for a command."""
    if value:
        console.print(f"hivemind {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", is_eager=True, expose_value=False, callback=_print_version,
        help="Print HiveMind's version and exit.",
    ),
) -> None:
    """HiveMind: plan, synth, deploy, status, update, rollback and destroy apps on AWS."""
