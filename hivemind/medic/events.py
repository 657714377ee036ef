"""Pick the root-cause event of one failed operation out of raw CloudFormation stack events.

Real CloudFormation reports a failure as a cascade across stacks: the resource that really failed,
then "Resource creation cancelled" for its siblings, then the stack's own "The following resource(s)
failed to create: [...]", then the rollback. A stack's event history also holds earlier operations,
so only the events carrying this operation's ClientRequestToken are read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from ..deploy.events import is_cascade

# The cancel echoes the issue names; `is_cascade` also knows the stack-level summaries.
CANCELLED = ("resource creation cancelled", "resource update cancelled", "resource deletion cancelled")


@dataclass(frozen=True)
class FailedEvent:
    stack: str
    logical_id: str
    resource_type: str
    status: str
    reason: str
    timestamp: datetime
    physical_id: str = ""

    @property
    def is_stack_event(self) -> bool:
        return self.resource_type == "AWS::CloudFormation::Stack" and self.logical_id == self.stack

    def line(self) -> str:
        reason = " ".join(self.reason.split())
        when = self.timestamp.strftime("%H:%M:%S")
        return f"{when} {self.stack} {self.logical_id} ({self.resource_type}) {self.status}: {reason}"


def _timestamp(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def token_matches(event_token: object, client_request_token: str) -> bool:
    """An operation's own token, or one of its later waves' (`<token>-2`, `<token>-3`: a blue-green
    rollout executes change sets in several waves, see workflows/rollout.py)."""
    if not isinstance(event_token, str):
        return False
    return event_token == client_request_token or re.fullmatch(re.escape(client_request_token) + r"-\d+",
                                                                event_token) is not None


def operation_events(events: Iterable[dict], client_request_token: str | None) -> list[dict]:
    """The events of one operation, oldest first.

    With a token, only events carrying it (or a later wave's); if no event carries any token at all
    (an endpoint that does not record them), every event is kept, since nothing can be told apart.
    """
    events = [e for e in events if isinstance(e, dict)]
    if client_request_token:
        mine = [e for e in events if token_matches(e.get("ClientRequestToken"), client_request_token)]
        if mine or any(e.get("ClientRequestToken") for e in events):
            events = mine
    return sorted(events, key=lambda e: (_timestamp(e.get("Timestamp")), str(e.get("EventId", ""))))


def _failed(event: dict) -> FailedEvent:
    return FailedEvent(
        stack=str(event.get("StackName") or ""), logical_id=str(event.get("LogicalResourceId") or ""),
        resource_type=str(event.get("ResourceType") or ""), status=str(event.get("ResourceStatus") or ""),
        reason=str(event.get("ResourceStatusReason") or ""), timestamp=_timestamp(event.get("Timestamp")),
        physical_id=str(event.get("PhysicalResourceId") or ""),
    )


@dataclass(frozen=True)
class Selection:
    root: FailedEvent | None
    chain: list[FailedEvent]  # every failed event of the operation, oldest first


def select_root_cause(events: Iterable[dict], client_request_token: str | None = None) -> Selection:
    """The first *_FAILED event of the operation whose reason is not a cancel echo (nor the stack's
    summary of its failed resources); a stack-level failure counts when no resource failed."""
    ordered = operation_events(events, client_request_token)
    chain = [_failed(e) for e in ordered if str(e.get("ResourceStatus", "")).endswith("_FAILED")]
    candidates = [e for e in chain if e.reason.strip() and not is_cascade(e.reason)
                  and not e.reason.strip().lower().startswith(CANCELLED)]
    resources = [e for e in candidates if not e.is_stack_event]
    chosen = resources or candidates
    return Selection(root=chosen[0] if chosen else None, chain=chain)
