"""--show-metrics: CloudWatch series from moto (put_metric_data), sparklines, anomalies in words."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from hivemind.cli.ops_cmd import sparkline
from hivemind.ops import read_metrics
from hivemind.ops.metrics import choose_period, metric_specs
from hivemind.render import names
from hivemind.state import DeploymentState

from .conftest import REGION


def _put(namespace: str, name: str, dimensions: dict, points: list[tuple[datetime, float]]) -> None:
    cw = boto3.client("cloudwatch", region_name=REGION)
    dims = [{"Name": k, "Value": v} for k, v in dimensions.items()]
    for i in range(0, len(points), 500):
        cw.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": name, "Dimensions": dims, "Timestamp": t, "Value": v} for t, v in points[i:i + 500]])


def _cpu_history(now: datetime, spike: float | None) -> list[tuple[datetime, float]]:
    """27 h of CPU around 10 % every 10 minutes, plus (optionally) one spike 30 minutes ago."""
    points = [(now - timedelta(minutes=10 * i), 10.0 + (i % 3)) for i in range(1, 27 * 6)]
    if spike is not None:
        points.append((now - timedelta(minutes=35), spike))
    return points


@pytest.fixture
def group():
    return {"AutoScalingGroupName": names.group_name("orders-api", "web", "blue")}


def test_show_metrics_reports_series_and_an_anomaly_in_words(deployed, cli, group):
    deployed()
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    _put("AWS/EC2", "CPUUtilization", group, _cpu_history(now, spike=95.0))
    code, out, err = cli("status", "orders-api", "--show-metrics", "--json")
    assert code == 0, err
    metrics = json.loads(out)["metrics"]
    cpu = next(m for m in metrics["metrics"] if m["key"] == "web.cpu")
    assert cpu["max"] == 95.0 and len(cpu["points"]) >= 10
    assert cpu["baseline_mean"] == pytest.approx(11.0, abs=0.1)
    [anomaly] = metrics["anomalies"]
    assert anomaly.startswith("web CPU was 95.0% at ") and "above its usual range" in anomaly
    assert "previous 24 h" in anomaly
    memory = next(m for m in metrics["metrics"] if m["key"] == "web.memory")
    assert memory["points"] == [] and memory["error"] is None  # no agent data yet: just empty
    code, out, _ = cli("status", "orders-api", "--show-metrics")
    assert code == 0
    assert "anomaly: web CPU was 95.0%" in out and "▁" in out and "█" in out  # a sparkline with the spike
    assert "no data" in out


def test_steady_metrics_have_no_anomaly(deployed, group):
    state = deployed()
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    _put("AWS/EC2", "CPUUtilization", group, _cpu_history(now, spike=None))
    report = read_metrics(state, since=now - timedelta(hours=3))
    assert report.anomalies == []
    assert next(s for s in report.series if s.key == "web.cpu").values


def test_which_metrics_follow_the_plan(aws, make_plan):
    plan = make_plan(database={"engine": "postgres", "version": "16", "read_replicas": 1}, cache={"engine": "redis"})
    state = DeploymentState.new(plan)
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=names.load_balancer_dimension_parameter("orders-api"), Value="app/orders/123", Type="String")
    ssm.put_parameter(Name=names.target_group_dimension_parameter("orders-api", "web", "blue"),
                      Value="targetgroup/web-blue/456", Type="String")
    specs, notes = metric_specs(state)
    keys = {s.key for s in specs}
    assert {"web.cpu", "web.memory", "web.disk", "jobs.cpu", "alb.requests", "alb.p95", "alb.5xx", "web.healthy",
            "db.cpu", "db.connections", "db.free_storage", "db.replica1.lag", "cache.cpu", "cache.memory"} <= keys
    healthy = next(s for s in specs if s.key == "web.healthy")
    assert healthy.dimensions == {"TargetGroup": "targetgroup/web-blue/456", "LoadBalancer": "app/orders/123"}
    assert next(s for s in specs if s.key == "alb.p95").stat == "p95" and notes == []


def test_without_the_edge_parameters_alb_metrics_are_left_out_with_a_note(aws, make_plan):
    specs, notes = metric_specs(DeploymentState.new(make_plan()))
    assert not any(s.key.startswith("alb.") for s in specs)
    assert notes and "ALB metrics left out" in notes[0]


def test_a_percentile_failure_costs_only_the_percentile_metrics(aws, make_plan, group):
    # moto answers get_metric_data with HTTP 500 when a percentile statistic (p95) meets data
    # (its serializer gets None). HiveMind reads percentiles in a call of their own, so only
    # those metrics are marked unavailable.
    state = DeploymentState.new(make_plan())
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=names.load_balancer_dimension_parameter("orders-api"), Value="app/orders/123", Type="String")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    _put("AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/orders/123"},
         [(now - timedelta(minutes=m), 0.2) for m in range(1, 30)])
    _put("AWS/EC2", "CPUUtilization", group, [(now - timedelta(minutes=m), 20.0) for m in range(1, 30)])
    report = read_metrics(state, since=now - timedelta(hours=1))
    by_key = {s.key: s for s in report.series}
    assert by_key["web.cpu"].values and by_key["web.cpu"].error is None
    p95 = by_key["alb.p95"]
    assert p95.error == "HTTP 500 with an HTML page, not an AWS answer" and p95.values == []
    assert by_key["alb.requests"].error is None  # a plain statistic of the same load balancer: unaffected


def test_sparkline_and_period():
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▁▁▁" and sparkline([]) == ""
    assert len(sparkline(list(range(500)), width=40)) == 40
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert choose_period(start, start + timedelta(hours=3)) == 120
    assert choose_period(start, start + timedelta(minutes=10)) == 60

