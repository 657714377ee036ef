"""Monthly cost estimate read off the synthesized templates, priced from prices.json.

Quantities (instance counts and types, storage, Multi-AZ, node counts, NAT gateways, public IPs)
come from the resources and their properties, not from the plan, so what is priced is what
would be deployed. Usage-based charges are stated as assumptions.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .model import CostEstimate, CostLine

PRICES_FILE = Path(__file__).with_name("prices.json")
DEFAULT_PRICE_REGION = "us-east-1"


@lru_cache(maxsize=1)
def price_table() -> dict:
    return json.loads(PRICES_FILE.read_text(encoding="utf-8"))


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _ref(value) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def _source_instance(value, resources: dict) -> str | None:
    """Logical id of a replica's source: a Ref, or a Ref inside the ARN that CDK builds with Fn::Join."""
    if _ref(value):
        return _ref(value)
    parts = value.get("Fn::Join", [None, []])[1] if isinstance(value, dict) else []
    return next((_ref(p) for p in parts if _ref(p) in resources), None)


class _FreeTier:
    """Always-free allowances left this month (per account), consumed in template order."""

    def __init__(self, table: dict) -> None:
        self.left = json.loads(json.dumps(table))

    def take(self, bucket: str, amount: float) -> float:
        pool = self.left.get(bucket, 0)
        used = min(amount, pool)
        self.left[bucket] = pool - used
        return used


class _Pricer:
    def __init__(self, region: str) -> None:
        table = price_table()
        self.hours = table["hours_per_month"]
        self.price_region = region if region in table["regions"] else DEFAULT_PRICE_REGION
        self.p = table["regions"][self.price_region]
        self.free = _FreeTier(table["always_free"])
        self.lcu_baseline = table["assumptions"]["alb_lcu_baseline"]
        self.unknown: list[str] = []

    def hourly(self, table: dict, key: str, what: str) -> float:
        if key not in table:
            self.unknown.append(f"no price for {what} {key} in the table; counted as $0")
            return 0.0
        return table[key]


def _line(stack, logical_id, rtype, description, monthly, free=0.0) -> CostLine:
    return CostLine(stack, logical_id, rtype, description, round(monthly, 2), round(min(free, monthly), 2))


def estimate(templates: Iterable[tuple[str, dict]], region: str) -> CostEstimate:
    """Price every template's billable resources for `region` (falls back to us-east-1 prices)."""
    pricer = _Pricer(region)
    table = price_table()
    lines: list[CostLine] = []
    templates_seen: list[dict] = []
    for stack, template in templates:
        templates_seen.append(template)
        resources = template.get("Resources", {})
        for logical_id, resource in resources.items():
            lines.extend(_price(pricer, stack, logical_id, resource, resources))
    lcu_month = pricer.p["alb_lcu_hourly"] * pricer.hours
    assumptions = [
        f"ALB capacity is usage-based: ${pricer.p['alb_lcu_hourly']}/LCU-hour (${lcu_month:.2f}/month per average LCU)"
        + (f", {pricer.lcu_baseline:g} LCU included" if pricer.lcu_baseline else "; an idle ALB uses about 0 LCU"),
        f"NAT data processing ${pricer.p['nat_per_gb']}/GB and log ingestion ${pricer.p['logs_ingest_per_gb']}/GB "
        "are usage-based and not included",
        "After always-free: CloudWatch's always-free tier (3 dashboards, 10 alarm metrics per account and month) "
        "covers these only if the account has no other dashboards/alarms; the 12-month Free Tier has ended for "
        "every account that had it",
        f"Prices compiled offline on {table['as_of']}, not fetched: verify on the AWS pricing pages before relying on them",
    ]
    assumptions.extend(_feature_notes(templates_seen))
    if pricer.price_region != region:
        assumptions.insert(0, f"no prices for {region} in the table: us-east-1 prices used")
    assumptions.extend(sorted(set(pricer.unknown)))
    return CostEstimate(region=region, price_region=pricer.price_region, source=table["source"], as_of=table["as_of"],
                        lines=lines, assumptions=assumptions)


def _feature_notes(templates: list[dict]) -> list[str]:
    """Usage-based charges of features the templates turn on, said instead of guessed."""
    resources = [r for t in templates for r in (t.get("Resources") or {}).values()]
    props = [r.get("Properties") or {} for r in resources if r.get("Type") == "AWS::RDS::DBInstance"]
    notes = []
    if any(_int(p.get("MonitoringInterval")) > 0 for p in props):
        notes.append("RDS enhanced monitoring: its OS metrics are CloudWatch Logs ingestion (RDSOSMetrics), "
                     "usage-based and not included")
    if any(p.get("EnablePerformanceInsights") for p in props):
        notes.append("RDS Performance Insights with the default 7-day retention is free")
    if any(r.get("Type") == "AWS::S3::Bucket" for r in resources):
        notes.append("S3 storage of ALB access logs (kept 90 days) is usage-based and not included")
    return notes


def _price(pr: _Pricer, stack: str, logical_id: str, resource: dict, resources: dict) -> list[CostLine]:
    rtype = resource.get("Type", "")
    props = resource.get("Properties", {}) or {}
    p, h = pr.p, pr.hours
    if rtype == "AWS::AutoScaling::AutoScalingGroup":
        return _price_group(pr, stack, logical_id, props, resources)
    if rtype == "AWS::RDS::DBInstance":
        cls = props.get("DBInstanceClass", "")
        engine = "mysql" if "mysql" in str(props.get("Engine", "")).lower() else "postgres"
        source = _source_instance(props.get("SourceDBInstanceIdentifier"), resources)
        storage = _int(props.get("AllocatedStorage"))
        if not storage and source in resources:
            storage = _int(resources[source].get("Properties", {}).get("AllocatedStorage"))
        multi = str(props.get("MultiAZ", False)).lower() == "true"
        factor = 2 if multi else 1
        hourly = pr.hourly(p["rds_single_az_hourly"][engine], cls, f"RDS {engine}")
        hours = h * factor
        compute = _line(stack, logical_id, rtype, f"RDS {engine} {cls} {'Multi-AZ' if multi else 'single-AZ'}"
                        f"{' read replica' if source else ''}", hourly * hours)
        gb_price = p["rds_gp3_gb_month"] * factor
        disk = _line(stack, logical_id, rtype, f"RDS storage {storage} GB gp3", storage * gb_price)
        return [compute, disk]
    if rtype == "AWS::ElastiCache::ReplicationGroup":
        node = props.get("CacheNodeType", "")
        nodes = _int(props.get("NumCacheClusters"), 1)
        hourly = pr.hourly(p["elasticache_hourly"], node, "ElastiCache node")
        return [_line(stack, logical_id, rtype, f"ElastiCache Redis {nodes} x {node}", hourly * h * nodes)]
    if rtype == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        subnets = len(props.get("Subnets", []) or []) or 2
        # An internet-facing ALB holds one public IPv4 address per subnet (AZ).
        lines = [
            _line(stack, logical_id, rtype, "Application Load Balancer (hours)", p["alb_hourly"] * h),
            _line(stack, logical_id, rtype, f"ALB public IPv4 x {subnets}", p["public_ipv4_hourly"] * subnets * h),
        ]
        if pr.lcu_baseline:
            lines.insert(1, _line(stack, logical_id, rtype, f"ALB capacity, {pr.lcu_baseline:g} LCU baseline",
                                  p["alb_lcu_hourly"] * pr.lcu_baseline * h))
        return lines
    if rtype == "AWS::EC2::NatGateway":
        return [
            _line(stack, logical_id, rtype, "NAT gateway (hours; data processing extra)", p["nat_hourly"] * h),
            _line(stack, logical_id, rtype, "NAT gateway public IPv4", p["public_ipv4_hourly"] * h),
        ]
    if rtype == "AWS::CloudWatch::Dashboard":
        free = pr.free.take("cloudwatch_dashboards", 1)
        return [_line(stack, logical_id, rtype, "CloudWatch dashboard", p["cloudwatch_dashboard_month"], free * p["cloudwatch_dashboard_month"])]
    if rtype == "AWS::CloudWatch::Alarm":
        # Billed per alarm metric: a metric-math alarm pays for every metric its expression reads.
        metrics = sum(1 for m in props.get("Metrics", []) or [] if "MetricStat" in m) or 1
        free = pr.free.take("cloudwatch_alarms", metrics)
        label = "CloudWatch alarm" if metrics == 1 else f"CloudWatch alarm ({metrics} metrics)"
        return [_line(stack, logical_id, rtype, label, p["cloudwatch_alarm_month"] * metrics, free * p["cloudwatch_alarm_month"])]
    if rtype == "AWS::SecretsManager::Secret":
        return [_line(stack, logical_id, rtype, "Secrets Manager secret", p["secret_month"])]
    return []


def _price_group(pr: _Pricer, stack: str, logical_id: str, props: dict, resources: dict) -> list[CostLine]:
    p, h = pr.p, pr.hours
    count = _int(props.get("DesiredCapacity"), _int(props.get("MinSize"), 0))
    spec = props.get("LaunchTemplate", {}) or {}
    template_id = _ref(spec.get("LaunchTemplateId"))
    data = resources.get(template_id, {}).get("Properties", {}).get("LaunchTemplateData", {}) if template_id else {}
    instance_type = data.get("InstanceType", "")
    disk_gb = sum(
        _int(mapping.get("Ebs", {}).get("VolumeSize")) for mapping in data.get("BlockDeviceMappings", []) or []
    ) or 8
    public_ip = any(ni.get("AssociatePublicIpAddress") is True for ni in data.get("NetworkInterfaces", []) or [])
    hourly = pr.hourly(p["ec2_hourly"], instance_type, "EC2 instance type")
    name = props.get("AutoScalingGroupName")
    where = f" {name}" if isinstance(name, str) else ""
    lines = []
    lines.append(_line(stack, logical_id, "AWS::AutoScaling::AutoScalingGroup",
                       f"EC2{where} {count} x {instance_type} (minimum capacity)", hourly * h * count))
    lines.append(_line(stack, logical_id, "AWS::AutoScaling::AutoScalingGroup", f"EBS gp3{where} {count} x {disk_gb} GB",
                       p["ebs_gp3_gb_month"] * disk_gb * count))
    if public_ip and count:
        lines.append(_line(stack, logical_id, "AWS::AutoScaling::AutoScalingGroup", f"Public IPv4{where} x {count}",
                           p["public_ipv4_hourly"] * h * count))
    return lines
