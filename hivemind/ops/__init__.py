"""Ops: read a deployment's logs, metrics, costs, traces and dashboard from AWS (read-only calls).

Every function returns data (dataclasses with `to_dict()` for `--json`); the CLI prints.

    read_logs(state, service=None, since=..., grep=None) -> LogsResult      (ops.logs)
    follow_logs(state, service=None, since=..., grep=None) -> Iterator[LogEvent]
    read_metrics(state, since=...) -> MetricsReport                         (ops.metrics)
    deployment_costs(state) -> CostReport                                   (ops.costs)
    trace_summaries(state, since=...) -> TraceReport                        (ops.traces)
    dashboard_info(state) -> DashboardInfo                                  (ops.dashboard)
    parse_since("10m") -> datetime                                          (ops.timespec)
"""
from .costs import CostReport, activation_hint, deployment_costs
from .dashboard import SECTIONS, DashboardInfo, dashboard_info
from .logs import ERROR_PATTERNS, LogEvent, LogsResult, error_kinds, follow_logs, read_logs
from .metrics import MetricSeries, MetricsReport, read_metrics
from .timespec import parse_since
from .traces import TraceReport, trace_summaries, xray_off_message

__all__ = [
    "CostReport", "DashboardInfo", "ERROR_PATTERNS", "LogEvent", "LogsResult", "MetricSeries", "MetricsReport",
    "SECTIONS", "TraceReport", "activation_hint", "dashboard_info", "deployment_costs", "error_kinds",
    "follow_logs", "parse_since", "read_logs", "read_metrics", "trace_summaries", "xray_off_message",
]
