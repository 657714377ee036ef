"""Stack events: follow only this operation's new events, and find the root cause of a failure.

CloudFormation reports one failure as a cascade: the resource that really failed, then every
sibling "Resource creation cancelled", then the stack's own "The following resource(s) failed to
create: [...]". Only the first is worth a user's attention.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

# Reasons that only echo an earlier failure.
_CASCADE_PREFIXES = (
    "resource creation cancelled",
    "resource update cancelled",
    "resource deletion cancelled",
    "the following resource(s) failed to",
    "resource handler returned message: \"resource creation cancelled",
)


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    stack_name: str
    logical_id: str
    resource_type: str
    timestamp: datetime
    status: str
    reason: str = ""
    physical_id: str = ""

    @classmethod
    def from_api(cls, event: dict) -> "StackEvent":
        return cls(
            event_id=event["EventId"],
            stack_name=event.get("StackName", ""),
            logical_id=event.get("LogicalResourceId", ""),
            resource_type=event.get("ResourceType", ""),
            timestamp=event["Timestamp"],
            status=event.get("ResourceStatus", ""),
            reason=event.get("ResourceStatusReason") or "",
            physical_id=event.get("PhysicalResourceId") or "",
        )

    @property
    def is_stack_event(self) -> bool:
        return self.resource_type == "AWS::CloudFormation::Stack" and self.logical_id == self.stack_name

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")


@dataclass(frozen=True)
class RootCause:
    stack_name: str
    logical_id: str
    resource_type: str
    reason: str

    def one_line(self) -> str:
        reason = " ".join(self.reason.split())
        if self.logical_id == self.stack_name:  # the stack itself (or the API call) failed
            return f"{self.stack_name}: {reason}"
        return f"{self.stack_name}: {self.logical_id} ({self.resource_type}): {reason}"


def is_cascade(reason: str) -> bool:
    return reason.strip().lower().startswith(_CASCADE_PREFIXES)


def root_causes(events: Iterable[StackEvent]) -> list[RootCause]:
    """The failed events that explain a failure, oldest first; cascade echoes are dropped.

    A stack-level failure with its own reason (e.g. a bad parameter) counts when no resource failed.
    """
    ordered = sorted(events, key=lambda e: e.timestamp)
    failed = [e for e in ordered if e.failed and e.reason and not is_cascade(e.reason)]
    resources = [e for e in failed if not e.is_stack_event]
    chosen = resources or failed
    return [RootCause(e.stack_name, e.logical_id, e.resource_type, e.reason) for e in chosen]


class EventTracker:
    """New events of one stack since `prime()`, deduplicated by EventId; safe across threads.

    Pages are read newest first and reading stops at the first event already seen, so polling a
    stack with years of history costs one page.
    """

    def __init__(self, stack_name: str):
        self.stack_name = stack_name
        self._seen: set[str] = set()
        self._events: list[StackEvent] = []  # oldest first
        self._lock = threading.Lock()
        # When this stack last showed a sign of life (primed, or a new event): stalls are reported.
        self.last_activity = time.monotonic()

    def prime(self, raw_events: Iterator[dict]) -> None:
        """Mark the stack's existing events as history (not part of this operation)."""
        with self._lock:
            for raw in raw_events:
                self._seen.add(raw["EventId"])
            self.last_activity = time.monotonic()

    def poll(self, raw_events: Iterator[dict]) -> list[StackEvent]:
        """Consume events newest first; return the new ones oldest first."""
        with self._lock:
            fresh: list[StackEvent] = []
            for raw in raw_events:
                if raw["EventId"] in self._seen:
                    break
                self._seen.add(raw["EventId"])
                fresh.append(StackEvent.from_api(raw))
            fresh.reverse()
            self._events.extend(fresh)
            if fresh:
                self.last_activity = time.monotonic()
            return fresh

    def in_progress(self) -> list[StackEvent]:
        """Resources whose latest event of this operation is still *_IN_PROGRESS (what a stall waits on)."""
        latest: dict[str, StackEvent] = {}
        for event in self.events:
            if not event.is_stack_event:
                latest[event.logical_id] = event
        return [e for e in latest.values() if e.status.endswith("_IN_PROGRESS")]

    @property
    def events(self) -> list[StackEvent]:
        with self._lock:
            return list(self._events)

    def root_causes(self) -> list[RootCause]:
        return root_causes(self.events)
