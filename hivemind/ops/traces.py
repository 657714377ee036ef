"""X-Ray trace summaries of a deployment: count, p95 response time, faults, errors, slowest paths."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from ..qa.net import percentile
from ..render import names
from ..state.models import DeploymentState
from .util import aws_reason, read_client

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
    error: str | None = None
    filter_expression: str | None = None
    truncated: bool = False

    def to_dict(self) -> dict:
        return {"deployment": self.deployment, "enabled": self.enabled, "since": self.since.isoformat(),
                "group": self.group, "count": self.count, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms,
                "faults": self.faults, "errors": self.errors, "throttles": self.throttles,
                "slowest_paths": self.slowest_paths, "message": self.message, "error": self.error,
                "filter_expression": self.filter_expression, "truncated": self.truncated}


def _path(summary: dict) -> str:
    http = summary.get("Http") or {}
    url = http.get("HttpURL")
    if not url:
        return "(no HTTP URL recorded)"
    method = http.get("HttpMethod", "")
    return f"{method} {urlsplit(url).path or '/'}".strip()


def default_filter(deployment_id: str) -> str:
    """The traces of this deployment when its X-Ray group cannot be read: HiveMind's annotation or
    the service name the app reports."""
    return f'annotation.deployment = "{deployment_id}" OR service("{deployment_id}")'


def group_filter(xray, group: str, deployment_id: str) -> str:
    """The deployment's X-Ray group's own filter expression (the observability stack owns it)."""
    try:
        return xray.get_group(GroupName=group)["Group"].get("FilterExpression") or default_filter(deployment_id)
    except (ClientError, BotoCoreError):
        return default_filter(deployment_id)


def summarize(report: TraceReport, summaries: list[dict]) -> TraceReport:
    """Count, p50/p95 response time, faults/errors/throttles and the five slowest paths."""
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
    if not summaries and not report.error:
        report.message = f"no traces since {report.since.strftime('%Y-%m-%d %H:%M UTC')}"
    return report


def trace_summaries(state: DeploymentState, *, since: datetime, until: datetime | None = None) -> TraceReport:
    """Summaries of the deployment's traces since `since` (filtered by its X-Ray group's
    expression); when xray is off, `enabled=False` and the line saying how to turn it on (no AWS
    call). A failed read is kept in `error` (one line), not raised."""
    until = until or datetime.now(timezone.utc)
    if not state.plan.observability.xray:
        return TraceReport(deployment=state.id, enabled=False, since=since, message=xray_off_message(state.id))
    group = names.xray_group_name(state.id)
    report = TraceReport(deployment=state.id, enabled=True, since=since, group=group)
    xray = read_client("xray", state.region)
    report.filter_expression = group_filter(xray, group, state.id)
    summaries: list[dict] = []
    start = since
    try:
        while start < until and not report.truncated:
            end = min(start + WINDOW, until)
            pages = xray.get_paginator("get_trace_summaries").paginate(
                StartTime=start, EndTime=end, Sampling=False, FilterExpression=report.filter_expression)
            for page in pages:
                summaries += page.get("TraceSummaries", [])
                if len(summaries) >= MAX_SUMMARIES:
                    report.truncated = True
                    break
            start = end
    except (ClientError, BotoCoreError) as exc:
        report.error = f"could not read X-Ray traces: {aws_reason(exc)}"
    return summarize(report, summaries[:MAX_SUMMARIES])
