"""X-Ray trace summaries of a deployment: count, p95 response time, faults, errors, slowest paths."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from ..aws import aws_errors, client
from ..qa.net import percentile
from ..render import names
from ..state.models import DeploymentState

# get_trace_summaries accepts at most 6 hours per call (AWS limit): longer spans are split.
WINDOW = timedelta(hours=6)
MAX_SUMMARIES = 5000


def xray_off_message(deployment_id: str) -> str:
    return (f"X-Ray is off for '{deployment_id}': set `observability: {{xray: true}}` in hivemind.yaml and run "
            f"`hivemind update {deployment_id}` to turn it on")


@dataclass
class TraceReport:
    deployment: str
    enabled: bool
    since: datetime
    group: str | None = None
    count: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    faults: int = 0
    errors: int = 0
    throttles: int = 0
    slowest_paths: list[dict] = field(default_factory=list)
    message: str | None = None
    truncated: bool = False

    def to_dict(self) -> dict:
        return {"deployment": self.deployment, "enabled": self.enabled, "since": self.since.isoformat(),
                "group": self.group, "count": self.count, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms,
                "faults": self.faults, "errors": self.errors, "throttles": self.throttles,
                "slowest_paths": self.slowest_paths, "message": self.message, "truncated": self.truncated}


def _path(summary: dict) -> str:
    http = summary.get("Http") or {}
    url = http.get("HttpURL")
    if not url:
        return "(no HTTP URL recorded)"
    method = http.get("HttpMethod", "")
    return f"{method} {urlsplit(url).path or '/'}".strip()


def trace_summaries(state: DeploymentState, *, since: datetime, until: datetime | None = None) -> TraceReport:
    """Summaries of the deployment's X-Ray group since `since`; when xray is off, a report with
    `enabled=False` and the one line saying how to turn it on (no AWS call)."""
    until = until or datetime.now(timezone.utc)
    if not state.plan.observability.xray:
        return TraceReport(deployment=state.id, enabled=False, since=since, message=xray_off_message(state.id))
    group = names.xray_group_name(state.id)
    report = TraceReport(deployment=state.id, enabled=True, since=since, group=group)
    xray = client("xray", state.region)
    summaries: list[dict] = []
    start = since
    with aws_errors(f"reading the X-Ray traces of '{state.id}'"):
        while start < until and len(summaries) < MAX_SUMMARIES:
            end = min(start + WINDOW, until)
            # The deployment's group filter (annotation.deployment / service name), as the
            # observability stack defines it; a group name filter is not a get_trace_summaries input.
            expression = f'annotation.deployment = "{state.id}" OR service("{state.id}")'
            kwargs = {"StartTime": start, "EndTime": end, "Sampling": False, "FilterExpression": expression}
            for page in xray.get_paginator("get_trace_summaries").paginate(**kwargs):
                summaries += page.get("TraceSummaries", [])
                if len(summaries) >= MAX_SUMMARIES:
                    report.truncated = True
                    break
            start = end
    report.count = len(summaries)
    times = [float(s["ResponseTime"]) * 1000 for s in summaries if s.get("ResponseTime") is not None]
    if times:
        report.p50_ms, report.p95_ms = round(percentile(times, 50), 1), round(percentile(times, 95), 1)
    report.faults = sum(1 for s in summaries if s.get("HasFault"))
    report.errors = sum(1 for s in summaries if s.get("HasError"))
    report.throttles = sum(1 for s in summaries if s.get("HasThrottle"))
    by_path: dict[str, list[float]] = defaultdict(list)
    for s in summaries:
        if s.get("ResponseTime") is not None:
            by_path[_path(s)].append(float(s["ResponseTime"]) * 1000)
    ranked = sorted(by_path.items(), key=lambda kv: percentile(kv[1], 95), reverse=True)[:5]
    report.slowest_paths = [{"path": p, "count": len(v), "p95_ms": round(percentile(v, 95), 1),
                             "max_ms": round(max(v), 1)} for p, v in ranked]
    if not summaries:
        report.message = f"no traces since {since.strftime('%Y-%m-%d %H:%M UTC')}"
    return report
