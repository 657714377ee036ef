"""App logs from CloudWatch Logs (`/hivemind/<id>/<service>`, shipped by the CloudWatch agent).

read_logs() returns events oldest first (newest last) and error-pattern counts; follow_logs()
yields new events as they arrive. Data only: the CLI prints.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

from botocore.exceptions import ClientError

from ..aws import aws_errors
from ..errors import HivemindError
from ..redact import redact
from ..render import names
from ..state.models import DeploymentState
from .util import read_client

# name -> pattern; an access line with a 5xx status: `"GET / HTTP/1.1" 502` or `status=503`.
ERROR_PATTERNS: dict[str, re.Pattern[str]] = {
    # ERROR as logging libraries write it, structured `level=error`, and an uncaught JS/Go `TypeError: ...`
    "ERROR": re.compile(r'\bERROR\b|\blevel"?\s*[=:]\s*"?(error|fatal)\b|^\s*(Uncaught )?\w*Error: ', re.MULTILINE),
    "Traceback": re.compile(r"\bTraceback \(most recent call last\)"),
    "panic": re.compile(r"\bpanic:"),
    "Exception": re.compile(r"\b\w*Exception\b"),
    # access lines: combined log format, key=value / JSON status, gin's `| 500 |`, morgan's `GET / 500`
    "5xx": re.compile(r'("\s+5\d\d\s|\bstatus"?\s*[=:]\s*"?5\d\d\b|\|\s*5\d\d\s*\||'
                      r'\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\S+\s+5\d\d\b)'),
}
DEFAULT_LIMIT = 1000


@dataclass
class LogEvent:
    time: datetime
    service: str
    stream: str
    message: str
    event_id: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


@dataclass
class LogsResult:
    deployment: str
    since: datetime
    services: list[str]
    events: list[LogEvent] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    missing_groups: list[str] = field(default_factory=list)
    truncated: bool = False
    grep: str | None = None

    def to_dict(self) -> dict:
        return {
            "deployment": self.deployment, "since": self.since.isoformat(), "services": self.services,
            "grep": self.grep, "events": [e.to_dict() for e in self.events], "errors": self.errors,
            "error_lines": sum(1 for e in self.events if error_kinds(e.message)),
            "missing_groups": self.missing_groups, "truncated": self.truncated,
        }


def error_kinds(message: str) -> list[str]:
    """The error patterns a log line shows (ERROR, Traceback, panic, Exception, 5xx)."""
    return [name for name, pattern in ERROR_PATTERNS.items() if pattern.search(message)]


def count_errors(events: list[LogEvent]) -> dict[str, int]:
    counts = {name: 0 for name in ERROR_PATTERNS}
    for event in events:
        for kind in error_kinds(event.message):
            counts[kind] += 1
    return {k: v for k, v in counts.items() if v}


def services_for(state: DeploymentState, service: str | None) -> list[str]:
    known = [s.name for s in state.plan.services]
    if service is None:
        return known
    if service not in known:
        raise HivemindError(f"'{state.id}' has no service '{service}' (services: {', '.join(known)})")
    return [service]


def _filter(logs, group: str, start_ms: int, end_ms: int | None) -> Iterator[dict]:
    kwargs = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    if end_ms is not None:
        kwargs["endTime"] = end_ms
    for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
        yield from page.get("events", [])


def _event(service: str, raw: dict) -> LogEvent:
    return LogEvent(time=datetime.fromtimestamp(raw["timestamp"] / 1000, timezone.utc), service=service,
                    stream=raw.get("logStreamName", ""), message=redact(raw.get("message", "").rstrip("\n")),
                    event_id=str(raw.get("eventId", "")))


def _matches(message: str, grep: str | None) -> bool:
    return grep is None or grep.lower() in message.lower()


def read_logs(state: DeploymentState, *, service: str | None = None, since: datetime, grep: str | None = None,
              until: datetime | None = None, limit: int = DEFAULT_LIMIT) -> LogsResult:
    """Events of the deployment's services (or one) since `since`, oldest first; the last `limit`
    are kept. `grep` keeps lines containing the text (case-insensitive). Error counts are over
    the kept lines. A service whose log group does not exist yet is listed in missing_groups."""
    wanted = services_for(state, service)
    result = LogsResult(deployment=state.id, since=since, services=wanted, grep=grep)
    logs = read_client("logs", state.region)
    start_ms = int(since.timestamp() * 1000)
    end_ms = int(until.timestamp() * 1000) if until else None
    events: list[LogEvent] = []
    with aws_errors(f"reading the logs of '{state.id}'"):
        for name in wanted:
            group = names.log_group_name(state.id, name)
            try:
                events += [e for e in (_event(name, raw) for raw in _filter(logs, group, start_ms, end_ms))
                           if _matches(e.message, grep)]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                result.missing_groups.append(group)
    events.sort(key=lambda e: (e.time, e.service, e.stream, e.event_id))
    if len(events) > limit:
        events, result.truncated = events[-limit:], True
    result.events = events
    result.errors = count_errors(events)
    return result


def follow_logs(state: DeploymentState, *, service: str | None = None, since: datetime, grep: str | None = None,
                poll_seconds: float = 2.0, keep_going: Callable[[], bool] = lambda: True,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[LogEvent]:
    """Yield events since `since`, then new ones as they arrive (polling), each once, in time order,
    while `keep_going()` is true (the CLI stops on Ctrl-C)."""
    seen: set[tuple[str, str, str, int]] = set()
    cursor = since
    while True:
        batch = read_logs(state, service=service, since=cursor, grep=grep, limit=10_000).events
        fresh = [e for e in batch if (e.service, e.stream, e.event_id, int(e.time.timestamp() * 1000)) not in seen]
        for event in fresh:
            seen.add((event.service, event.stream, event.event_id, int(event.time.timestamp() * 1000)))
            yield event
        if batch:
            # Re-read from the newest timestamp seen: late events with the same timestamp are not lost.
            cursor = max(cursor, batch[-1].time)
            floor = int(cursor.timestamp() * 1000)
            seen = {key for key in seen if key[3] >= floor}
        if not keep_going():
            return
        sleep(poll_seconds)
