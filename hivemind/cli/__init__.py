"""`hivemind` command line. Thin: each command parses, calls one workflow, prints."""
from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

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
from . import iam_cmd  # noqa: E402,F401
from . import report_cmd  # noqa: E402,F401


# SIGTERM (CI runners cancelling a job, `kill`, container stops) and SIGHUP (the terminal closed)
# end a command the way Ctrl-C does: the operation records `interrupted`, the lease is released.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class _Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM/SIGHUP; a KeyboardInterrupt so every cleanup path sees it."""


@contextmanager
def _signals_as_interrupts(received: list[int]) -> Iterator[None]:
    """While the block runs, SIGTERM/SIGHUP raise _Terminated (once: a repeat during the cleanup is
    ignored, so the state and the lease are written; a runner's SIGKILL still ends it)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. main() in a worker thread)
        return

    def stop(signum, frame):
        if received:
            return
        received.append(signum)
        raise _Terminated()

    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; user errors become one line on stderr and a non-zero exit."""
    received: list[int] = []
    try:
        with _signals_as_interrupts(received):
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
    if received and code == 130:
        # Stopped by SIGTERM/SIGHUP: exit as a shell reports a process that signal ended (128 + n:
        # 143, 129), so a CI runner's log tells a cancelled job from a Ctrl-C (130).
        code = 128 + received[0]
    sys.exit(code)
