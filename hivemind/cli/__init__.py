"""`hivemind` command line. Thin: each command parses, calls one workflow, prints."""
from __future__ import annotations

import sys

import typer

# Typer vendors its own copy of click; its exceptions are the ones raised here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from ..errors import HivemindError
from .app import app, err_console

# Importing a command module registers its commands on `app`.
from . import plan_cmd  # noqa: E402,F401


def _load_optional_commands() -> None:
    """Commands of later stages register themselves when their module exists."""
    import importlib

    for module in ("synth_cmd", "deploy_cmd", "status_cmd"):
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module}":
                raise


_load_optional_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; user errors become one line on stderr and a non-zero exit."""
    try:
        result = app(args=argv, prog_name="hivemind", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except HivemindError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        code = exc.exit_code
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        err_console.print("error: aborted", highlight=False)
        code = 130
    except NoArgsIsHelpError:
        code = 2
    except ClickException as exc:
        # Usage errors (unknown option, missing argument): one line, exit 2.
        err_console.print(f"error: {exc.format_message()}", highlight=False, soft_wrap=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        err_console.print("error: interrupted", highlight=False)
        code = 130
    sys.exit(code)
