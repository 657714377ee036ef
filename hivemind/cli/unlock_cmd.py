"""`hivemind unlock ID`: break a dead command's lock in AWS (its lease), after a confirmation."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from .app import app, console


@app.command("unlock")
def unlock_command(
    deployment_id: str = typer.Argument(..., metavar="ID", help="Deployment id (the plan's name)."),
    force: bool = typer.Option(False, "--force", help="Break the lock even though its holder still looks alive "
                               "(heartbeat within its expiry): only when you know that command is dead."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask to type the id to confirm."),
    region: Optional[str] = typer.Option(None, "--region", help="AWS region of the deployment "
                                         "(default: AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."),
) -> None:
    """Break the lock a dead command left on a deployment (its lease in AWS).

    A lock whose holder died expires by itself (2 minutes after its last heartbeat by default);
    `unlock` ends it now. A live-looking lock is only broken with --force. The command whose
    lock is broken notices at its next heartbeat and stops writing the deployment's state."""
    from ..aws import default_region
    from ..errors import HivemindError
    from ..state import check_deployment_id
    from ..state.lease import break_lease, read_lease

    check_deployment_id(deployment_id)
    region = default_region(region)
    lease = read_lease(deployment_id, region)
    if lease is None or lease.released:
        console.print(f"'{deployment_id}' is not locked in {region}", highlight=False)
        return
    state = "expired" if lease.expired else "live"
    heartbeat = f"last heartbeat {lease.age:.0f} s ago, expires after {lease.ttl:.0f} s"
    if not lease.expired and not force:
        raise HivemindError(
            f"deployment '{deployment_id}' is locked by {lease.describe()} ({heartbeat}): it looks alive; "
            f"if that command is dead, rerun with --force")
    console.print(f"lock of '{deployment_id}' in {region}: held by {lease.describe()} ({state}, {heartbeat})",
                  highlight=False, soft_wrap=True)
    if not yes:
        if not sys.stdin.isatty():
            raise HivemindError("unlocking needs confirmation: rerun with --yes (stdin is not a terminal)")
        typed = typer.prompt(f"Type the deployment id ({deployment_id}) to break its lock")
        if typed.strip() != deployment_id:
            raise HivemindError("not unlocked: the id typed does not match")
    broken = break_lease(deployment_id, region, expected_etag=lease.etag)
    if broken is None:
        console.print(f"'{deployment_id}' is not locked in {region}", highlight=False)
        return
    console.print(f"unlocked '{deployment_id}' in {region} (was held by {broken.describe()})",
                  highlight=False, soft_wrap=True)
