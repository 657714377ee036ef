"""`hivemind cancel ID`: stop an update in progress with CloudFormation's cancel-update-stack.

It takes no lock: the command it stops holds it. CloudFormation rolls each cancelled stack back
to its last good state, and the running command reports that truthfully when it sees it.
"""
from __future__ import annotations

from ..aws import aws_errors
from ..deploy.cfn import CloudFormationApi
from ..state import load_state, stack_names
from .operation import Refused


def cancel(deployment_id: str, *, region: str | None = None) -> list[str]:
    """Cancel every stack of the deployment that is UPDATE_IN_PROGRESS; returns their names."""
    state = load_state(deployment_id, region)
    api = CloudFormationApi(state.region)
    cancelled, busy = [], []
    for name in stack_names(deployment_id):
        with aws_errors(f"reading {name}"):
            stack = api.describe_stack(name)
        status = (stack or {}).get("StackStatus", "")
        if status == "UPDATE_IN_PROGRESS":
            with aws_errors(f"cancelling the update of {name}"):
                api.cancel_update(name)
            cancelled.append(name)
        elif status.endswith("_IN_PROGRESS"):
            busy.append(f"{name} ({status})")
    if not cancelled:
        extra = f"; {', '.join(busy)} cannot be cancelled (only an update can)" if busy else ""
        raise Refused(f"no update of '{deployment_id}' is in progress{extra}")
    return cancelled


__all__ = ["cancel"]
