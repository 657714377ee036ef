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


class _FreeTier:
    """Free-Tier hours/units left this month, consumed in template order."""

    def __init__(self, table: dict) -> None:
        self.left = json.loads(json.dumps(table))

    def take(self, bucket: str, amount: float, key: str | None = None) -> float:
        pool = self.left.get(bucket, 0)
        if key is not None:
            if not isinstance(pool, dict) or key not in pool:
                return 0.0
            used = min(amount, pool[key])
            pool[key] -= used
            return used
        if isinstance(pool, dict):
            return 0.0
        used = min(amount, pool)
        self.left[bucket] = pool - used
        return used


class _Pricer:
    def __init__(self, region: str) -> None:
        table = price_table()
        self.hours = table["hours_per_month"]
        self.price_region = region if region in table["regions"] else DEFAULT_PRICE_REGION
        self.p = table["regions"][self.price_region]
        self.free = _FreeTier(table["free_tier"])
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
    for stack, template in templates:
        resources = template.get("Resources", {})
        for logical_id, resource in resources.items():
            lines.extend(_price(pricer, stack, logical_id, resource, resources))
    assumptions = [
        f"ALB usage at {pricer.lcu_baseline:g} LCU on average; traffic above that costs "
        f"${pricer.p['alb_lcu_hourly']}/LCU-hour",
        f"NAT data processing ${pricer.p['nat_per_gb']}/GB and log ingestion ${pricer.p['logs_ingest_per_gb']}/GB "
        "are usage-based and not included",
        "Free Tier column: 12-month Free Tier of accounts created before 2025-07-15",
    ]
    if pricer.price_region != region:
        assumptions.insert(0, f"no prices for {region} in the table: us-east-1 prices used")
    assumptions.extend(sorted(set(pricer.unknown)))
    return CostEstimate(region=region, price_region=pricer.price_region, source=table["source"], as_of=table["as_of"],
                        lines=lines, assumptions=assumptions)


def _price(pr: _Pricer, stack: str, logical_id: str, resource: dict, resources: dict) -> list[CostLine]:
    rtype = resource.get("Type", "")
    props = resource.get("Properties", {}) or {}
    p, h = pr.p, pr.hours
    if rtype == "AWS::AutoScaling::AutoScalingGroup":
        return _price_group(pr, stack, logical_id, props, resources)
    if rtype == "AWS::RDS::DBInstance":
        cls = props.get("DBInstanceClass", "")
        engine = "mysql" if "mysql" in str(props.get("Engine", "")).lower() else "postgres"
        source = _ref(props.get("SourceDBInstanceIdentifier")) or None
        storage = _int(props.get("AllocatedStorage"))
        if not storage and source in resources:
            storage = _int(resources[source].get("Properties", {}).get("AllocatedStorage"))
        multi = str(props.get("MultiAZ", False)).lower() == "true"
        factor = 2 if multi else 1
        hourly = pr.hourly(p["rds_single_az_hourly"][engine], cls, f"RDS {engine}")
        hours = h * factor
        free_hours = 0.0 if multi else pr.free.take("rds_hours", h, cls)
        compute = _line(stack, logical_id, rtype, f"RDS {engine} {cls} {'Multi-AZ' if multi else 'single-AZ'}"
                        f"{' read replica' if source else ''}", hourly * hours, hourly * free_hours)
        free_gb = 0.0 if multi else pr.free.take("rds_storage_gb", storage)
        gb_price = p["rds_gp3_gb_month"] * factor
        disk = _line(stack, logical_id, rtype, f"RDS storage {storage} GB gp3", storage * gb_price, free_gb * gb_price)
        return [compute, disk]
    if rtype == "AWS::ElastiCache::ReplicationGroup":
        node = props.get("CacheNodeType", "")
        nodes = _int(props.get("NumCacheClusters"), 1)
        hourly = pr.hourly(p["elasticache_hourly"], node, "ElastiCache node")
        free_hours = pr.free.take("elasticache_hours", h * nodes, node)
        return [_line(stack, logical_id, rtype, f"ElastiCache Redis {nodes} x {node}", hourly * h * nodes, hourly * free_hours)]
    if rtype == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        subnets = len(props.get("Subnets", []) or []) or 2
        alb_free = pr.free.take("alb_hours", h)
        lcu_hours = pr.lcu_baseline * h
        lcu_free = pr.free.take("alb_lcu_hours", lcu_hours)
        ip_hours = subnets * h
        ip_free = pr.free.take("public_ipv4_hours", ip_hours)
        return [
            _line(stack, logical_id, rtype, "Application Load Balancer (hours)", p["alb_hourly"] * h, p["alb_hourly"] * alb_free),
            _line(stack, logical_id, rtype, f"ALB capacity, {pr.lcu_baseline:g} LCU baseline", p["alb_lcu_hourly"] * lcu_hours,
                  p["alb_lcu_hourly"] * lcu_free),
            _line(stack, logical_id, rtype, f"ALB public IPv4 x {subnets}", p["public_ipv4_hourly"] * ip_hours,
                  p["public_ipv4_hourly"] * ip_free),
        ]
    if rtype == "AWS::EC2::NatGateway":
        ip_free = pr.free.take("public_ipv4_hours", h)
        return [
            _line(stack, logical_id, rtype, "NAT gateway (hours; data processing extra)", p["nat_hourly"] * h),
            _line(stack, logical_id, rtype, "NAT gateway public IPv4", p["public_ipv4_hourly"] * h, p["public_ipv4_hourly"] * ip_free),
        ]
    if rtype == "AWS::CloudWatch::Dashboard":
        free = pr.free.take("cloudwatch_dashboards", 1)
        return [_line(stack, logical_id, rtype, "CloudWatch dashboard", p["cloudwatch_dashboard_month"], free * p["cloudwatch_dashboard_month"])]
    if rtype == "AWS::CloudWatch::Alarm":
        free = pr.free.take("cloudwatch_alarms", 1)
        return [_line(stack, logical_id, rtype, "CloudWatch alarm", p["cloudwatch_alarm_month"], free * p["cloudwatch_alarm_month"])]
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
    free_hours = pr.free.take("ec2_hours", h * count, instance_type)
    lines.append(_line(stack, logical_id, "AWS::AutoScaling::AutoScalingGroup",
                       f"EC2{where} {count} x {instance_type} (minimum capacity)", hourly * h * count, hourly * free_hours))
    disk_free = pr.free.take("ebs_gb", disk_gb * count)
    lines.append(_line(stack, logical_id, "AWS::AutoScaling::AutoScalingGroup", f"EBS gp3{where} {count} x {disk_gb} GB",
                       p["ebs_gp3_gb_month"] * disk_gb * count, p["ebs_gp3_gb_month"] * disk_free))
    if public_ip and count:
        ip_free = pr.free.take("public_ipv4_hours", h * count)
        lines.append(_line(stack, logical_id, "AWS::AutoScaling::AutoScalingGroup", f"Public IPv4{where} x {count}",
                           p["public_ipv4_hourly"] * h * count, p["public_ipv4_hourly"] * ip_free))
    return lines
