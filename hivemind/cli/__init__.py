"""`hivemind` command line. Thin: each command parses, calls one workflow, prints."""
from __future__ import annotations

import sys

import typer

# Typer vendors its own copy of click; its exceptions are the ones raised here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from ..errors import HivemindError
from .app import app, err_console

# Importing a command module registers its commands on `app`, in this order in `--help`:
# the flow's order (plan, synth, deploy, status).
from . import plan_cmd  # noqa: E402,F401,I001
from . import synth_cmd  # noqa: E402,F401
from . import deploy_cmd  # noqa: E402,F401
from . import lifecycle_cmd  # noqa: E402,F401
from . import destroy_cmd  # noqa: E402,F401
from . import status_cmd  # noqa: E402,F401
from . import diagnose_cmd  # noqa: E402,F401
from . import unlock_cmd  # noqa: E402,F401
from . import verify_cmd  # noqa: E402,F401
from . import ops_cmd  # noqa: E402,F401
from . import report_cmd  # noqa: E402,F401


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
