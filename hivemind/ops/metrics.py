"""The deployment's key metrics from CloudWatch (get_metric_data, paginated): instances (CPU,
memory, disk from the agent), the ALB (requests, p95 latency, 5xx, healthy hosts), RDS (CPU,
connections, free storage, replica lag) and Redis (CPU, memory).

Each metric comes back as a time series over the asked window plus the 24 hours before it; a
value of the window beyond mean ± 3σ of those 24 hours is an anomaly, said in words.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from botocore.exceptions import BotoCoreError, ClientError

from .util import aws_reason, read_client
from ..render import names
from ..state.models import DeploymentState

BASELINE = timedelta(hours=24)
_MAX_QUERIES = 500  # get_metric_data's limit per call


@dataclass
class MetricSpec:
    key: str
    label: str
    namespace: str
    name: str
    dimensions: dict[str, str]
    stat: str
    unit: str = ""


@dataclass
class MetricSeries:
    key: str
    label: str
    unit: str
    stat: str
    timestamps: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    baseline_mean: float | None = None
    baseline_stdev: float | None = None
    anomalies: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "unit": self.unit, "stat": self.stat,
                "points": [{"time": t.isoformat(), "value": v} for t, v in zip(self.timestamps, self.values)],
                "latest": self.latest, "min": min(self.values) if self.values else None,
                "max": max(self.values) if self.values else None,
                "baseline_mean": self.baseline_mean, "baseline_stdev": self.baseline_stdev,
                "anomalies": self.anomalies, "error": self.error}


@dataclass
class MetricsReport:
    deployment: str
    since: datetime
    until: datetime
    period_seconds: int
    series: list[MetricSeries] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def anomalies(self) -> list[str]:
        return [a for s in self.series for a in s.anomalies]

    def to_dict(self) -> dict:
        return {"deployment": self.deployment, "since": self.since.isoformat(), "until": self.until.isoformat(),
                "period_seconds": self.period_seconds, "metrics": [s.to_dict() for s in self.series],
                "anomalies": self.anomalies, "notes": self.notes}


def _parameter(ssm, name: str) -> str | None:
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except (ClientError, BotoCoreError):
        return None


def metric_specs(state: DeploymentState) -> tuple[list[MetricSpec], list[str]]:
    """What to read for this plan, with dimensions from the edge's SSM parameters; notes on what is left out."""
    plan, notes = state.plan, []
    color = state.active_color or "blue"
    specs: list[MetricSpec] = []
    for service in plan.services:
        group = {"AutoScalingGroupName": names.group_name(state.id, service.name, color)}
        prefix = f"{service.name} " if len(plan.services) > 1 else ""
        specs += [
            MetricSpec(f"{service.name}.cpu", f"{prefix}CPU", "AWS/EC2", "CPUUtilization", group, "Average", "%"),
            MetricSpec(f"{service.name}.memory", f"{prefix}memory", "CWAgent", "mem_used_percent", group, "Average", "%"),
            MetricSpec(f"{service.name}.disk", f"{prefix}disk", "CWAgent", "disk_used_percent", group, "Average", "%"),
        ]
    if plan.web_services:
        ssm = read_client("ssm", state.region)
        alb = _parameter(ssm, names.load_balancer_dimension_parameter(state.id))
        if alb:
            lb = {"LoadBalancer": alb}
            specs += [
                MetricSpec("alb.requests", "ALB requests", "AWS/ApplicationELB", "RequestCount", lb, "Sum"),
                MetricSpec("alb.p95", "ALB p95 latency", "AWS/ApplicationELB", "TargetResponseTime", lb, "p95", "s"),
                MetricSpec("alb.5xx", "ALB 5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "Sum"),
                MetricSpec("alb.elb5xx", "ALB 5xx (load balancer)", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum"),
            ]
            for service in plan.web_services:
                tg = _parameter(ssm, names.target_group_dimension_parameter(state.id, service.name, color))
                if tg:
                    specs.append(MetricSpec(f"{service.name}.healthy", f"{service.name} healthy hosts ({color})",
                                            "AWS/ApplicationELB", "HealthyHostCount", {"TargetGroup": tg, **lb}, "Minimum"))
        else:
            notes.append("the load balancer's metric dimension is not published yet (edge stack not deployed?): "
                         "ALB metrics left out")
    if plan.database:
        db = {"DBInstanceIdentifier": names.database_identifier(state.id)}
        specs += [
            MetricSpec("db.cpu", "DB CPU", "AWS/RDS", "CPUUtilization", db, "Average", "%"),
            MetricSpec("db.connections", "DB connections", "AWS/RDS", "DatabaseConnections", db, "Average"),
            MetricSpec("db.free_storage", "DB free storage", "AWS/RDS", "FreeStorageSpace", db, "Minimum", "bytes"),
        ]
        for i in range(plan.database.read_replicas):
            replica = {"DBInstanceIdentifier": names.replica_identifier(state.id, i + 1)}
            specs.append(MetricSpec(f"db.replica{i + 1}.lag", f"replica {i + 1} lag", "AWS/RDS", "ReplicaLag",
                                    replica, "Maximum", "s"))
    if plan.cache:
        cache = {"ReplicationGroupId": names.cache_group_id(state.id)}
        specs += [
            MetricSpec("cache.cpu", "Redis CPU", "AWS/ElastiCache", "EngineCPUUtilization", cache, "Average", "%"),
            MetricSpec("cache.memory", "Redis memory", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", cache, "Average", "%"),
        ]
    return specs, notes


def choose_period(since: datetime, until: datetime) -> int:
    """A period giving at most ~120 points for the window (a multiple of 60 s)."""
    seconds = (until - since).total_seconds()
    return max(60, int(math.ceil(seconds / 120 / 60)) * 60)


def _query(i: int, spec: MetricSpec, period: int) -> dict:
    return {"Id": f"m{i}", "Label": spec.key, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": spec.namespace, "MetricName": spec.name,
                   "Dimensions": [{"Name": k, "Value": v} for k, v in spec.dimensions.items()]},
        "Period": period, "Stat": spec.stat}}


def _fetch(cloudwatch, specs: list[tuple[int, MetricSpec]], start: datetime, end: datetime, period: int) -> dict[int, list]:
    points: dict[int, list] = {i: [] for i, _ in specs}
    for chunk in range(0, len(specs), _MAX_QUERIES):
        queries = [_query(i, spec, period) for i, spec in specs[chunk:chunk + _MAX_QUERIES]]
        for page in cloudwatch.get_paginator("get_metric_data").paginate(
                MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"):
            for result in page.get("MetricDataResults", []):
                points[int(result["Id"][1:])] += list(zip(result.get("Timestamps", []), result.get("Values", [])))
    return points


def _describe(value: float, spec: MetricSpec) -> str:
    if spec.unit == "%":
        return f"{value:.1f}%"
    if spec.unit == "s":
        return f"{value * 1000:.0f} ms"
    if spec.unit == "bytes":
        return f"{value / 1e9:.2f} GB"
    return f"{value:g}"


def _anomalies(series: MetricSeries, spec: MetricSpec, baseline: list[float], window: list[tuple[datetime, float]]) -> None:
    if len(baseline) < 3:
        return
    mean = sum(baseline) / len(baseline)
    stdev = math.sqrt(sum((v - mean) ** 2 for v in baseline) / len(baseline))
    series.baseline_mean, series.baseline_stdev = round(mean, 4), round(stdev, 4)
    low, high = mean - 3 * stdev, mean + 3 * stdev
    outside = [(t, v) for t, v in window if v > high or v < low]
    if not outside or (stdev == 0 and all(abs(v - mean) < 1e-9 for _, v in outside)):
        return
    peak_t, peak = max(outside, key=lambda tv: abs(tv[1] - mean))
    direction = "above" if peak > mean else "below"
    series.anomalies.append(
        f"{series.label} was {_describe(peak, spec)} at {peak_t.strftime('%H:%M UTC')}, {direction} its usual range "
        f"({_describe(low, spec)} to {_describe(high, spec)}, mean ± 3σ of "
        f"the previous 24 h); {len(outside)} of {len(window)} points outside")


def read_metrics(state: DeploymentState, *, since: datetime, until: datetime | None = None) -> MetricsReport:
    """Every metric of metric_specs() over [since, until], with the 24 h before `since` as baseline.

    Percentile statistics (p95) go in a call of their own: a backend that cannot serve them
    (moto answers HTTP 500) then costs those metrics only, each marked with the error.
    """
    until = until or datetime.now(timezone.utc)
    period = choose_period(since, until)
    specs, notes = metric_specs(state)
    report = MetricsReport(deployment=state.id, since=since, until=until, period_seconds=period, notes=notes)
    cloudwatch = read_client("cloudwatch", state.region)
    indexed = list(enumerate(specs))
    plain = [(i, s) for i, s in indexed if not s.stat.startswith("p")]
    percentiles = [(i, s) for i, s in indexed if s.stat.startswith("p")]
    points: dict[int, list] = {}
    errors: dict[int, str] = {}
    for batch in (plain, percentiles):
        if not batch:
            continue
        try:
            points.update(_fetch(cloudwatch, batch, since - BASELINE, until, period))
        except (ClientError, BotoCoreError) as exc:
            for i, _ in batch:
                errors[i] = aws_reason(exc)
    for i, spec in indexed:
        series = MetricSeries(key=spec.key, label=spec.label, unit=spec.unit, stat=spec.stat, error=errors.get(i))
        data = sorted(points.get(i, []), key=lambda tv: tv[0])
        window = [(t, v) for t, v in data if t >= since]
        baseline = [v for t, v in data if t < since]
        series.timestamps = [t for t, _ in window]
        series.values = [v for _, v in window]
        _anomalies(series, spec, baseline, window)
        report.series.append(series)
    return report
