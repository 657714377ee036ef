"""Cost estimate: priced from template resources and properties with the shipped table."""
from __future__ import annotations

import pytest

from hivemind.costs import estimate, price_table


def _asg_template(instance_type: str, count: int, public_ip: bool = False, disk: int = 8) -> dict:
    return {"Resources": {
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "InstanceType": instance_type,
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": disk}}],
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": public_ip}],
        }}},
        "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "MinSize": str(count), "MaxSize": "4", "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}}}},
    }}


def test_price_table_states_source_date_and_regions():
    table = price_table()
    # Honest provenance: compiled offline, not fetched, with the pages to verify against.
    assert "not fetched" in table["source"].lower() and "https://aws.amazon.com/ec2/pricing/on-demand/" in table["source"]
    assert table["as_of"] == "2026-11-24"
    assert {"us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-1"} <= set(table["regions"])
    for prices in table["regions"].values():
        assert {"t3.micro", "t4g.micro", "m5.large", "m6i.large", "c5.large"} <= set(prices["ec2_hourly"])
        assert {"db.t3.micro", "db.t4g.micro", "db.m5.large"} <= set(prices["rds_single_az_hourly"]["postgres"])
        assert {"cache.t3.micro", "cache.t4g.micro", "cache.m5.large"} <= set(prices["elasticache_hourly"])


def test_instances_are_priced_from_the_launch_template():
    table = price_table()
    hourly = table["regions"]["us-east-1"]["ec2_hourly"]["m5.large"]
    cost = estimate([("s", _asg_template("m5.large", 3, disk=20))], "us-east-1")
    compute = next(line for line in cost.lines if line.description.startswith("EC2"))
    assert compute.monthly_usd == pytest.approx(round(hourly * 730 * 3, 2))
    ebs = next(line for line in cost.lines if line.description.startswith("EBS"))
    assert ebs.monthly_usd == pytest.approx(round(0.08 * 20 * 3, 2))
    assert not any("IPv4" in line.description for line in cost.lines)
    with_ip = estimate([("s", _asg_template("m5.large", 3, public_ip=True))], "us-east-1")
    assert any(line.description == "Public IPv4 x 3" for line in with_ip.lines)
    named = _asg_template("t3.micro", 1)
    named["Resources"]["Asg"]["Properties"]["AutoScalingGroupName"] = "shop-web-blue"
    assert estimate([("s", named)], "us-east-1").lines[0].description == "EC2 shop-web-blue 1 x t3.micro (minimum capacity)"


def test_multi_az_doubles_rds_and_no_12_month_free_tier():
    def db(multi: bool) -> dict:
        return {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceClass": "db.t3.micro", "Engine": "postgres", "MultiAZ": multi, "AllocatedStorage": "20"}}}}

    single = estimate([("d", db(False))], "us-east-1")
    multi = estimate([("d", db(True))], "us-east-1")
    assert multi.total_usd == pytest.approx(2 * single.total_usd, abs=0.02)
    # The 12-month Free Tier ended for every account that had it (created before 2025-07-15).
    assert single.free_tier_total_usd == single.total_usd
    assert multi.free_tier_total_usd == multi.total_usd


def test_read_replica_storage_follows_its_source():
    """CDK names a replica's source by an ARN built with Fn::Join; its storage is the primary's."""
    template = {"Resources": {
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceClass": "db.t3.small", "Engine": "postgres", "AllocatedStorage": "50"}},
        "Replica": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceClass": "db.t3.small", "SourceDBInstanceIdentifier": {"Fn::Join": ["", [
                "arn:", {"Ref": "AWS::Partition"}, ":rds:us-east-1:", {"Ref": "AWS::AccountId"}, ":db:", {"Ref": "Db"}]]}}},
    }}
    lines = [line for line in estimate([("d", template)], "us-east-1").lines if line.resource == "Replica"]
    assert [line.description for line in lines] == ["RDS postgres db.t3.small single-AZ read replica", "RDS storage 50 GB gp3"]
    assert lines[1].monthly_usd == pytest.approx(round(50 * price_table()["regions"]["us-east-1"]["rds_gp3_gb_month"], 2))


def test_idle_alb_capacity_and_cloudwatch_always_free():
    template = {"Resources": {
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": ["a", "b"]}},
        "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
        **{f"Alarm{i}": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}} for i in range(12)},
    }}
    cost = estimate([("o", template)], "us-east-1")
    # LCUs are usage-based (an idle ALB uses ~0): stated, not added.
    assert [line.description for line in cost.lines if line.resource == "Alb"] == \
        ["Application Load Balancer (hours)", "ALB public IPv4 x 2"]
    assert any("LCU-hour" in note for note in cost.assumptions)
    # Always-free: 3 dashboards and 10 alarms per account; the 11th and 12th alarm are paid.
    assert cost.total_usd == pytest.approx(16.43 + 7.30 + 3.00 + 1.20, abs=0.01)
    assert cost.free_tier_total_usd == pytest.approx(16.43 + 7.30 + 0.20, abs=0.01)


def test_regional_prices_and_fallback():
    dublin = estimate([("s", _asg_template("t3.micro", 1))], "eu-west-1")
    virginia = estimate([("s", _asg_template("t3.micro", 1))], "us-east-1")
    assert dublin.total_usd > virginia.total_usd
    far = estimate([("s", _asg_template("t3.micro", 1))], "sa-east-1")
    assert far.price_region == "us-east-1" and "us-east-1 prices used" in far.assumptions[0]
    unknown = estimate([("s", _asg_template("x9.huge", 1))], "us-east-1")
    assert any("x9.huge" in note for note in unknown.assumptions)


def test_metric_math_alarm_is_billed_per_metric():
    stat = {"Metric": {"MetricName": "HTTPCode_ELB_5XX_Count", "Namespace": "AWS/ApplicationELB"}, "Period": 300, "Stat": "Sum"}
    template = {"Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": [
        {"Id": "expr", "Expression": "elb + targets"},
        {"Id": "elb", "MetricStat": stat, "ReturnData": False},
        {"Id": "targets", "MetricStat": stat, "ReturnData": False},
    ]}}}}
    line = estimate([("o", template)], "us-east-1").lines[0]
    assert line.description == "CloudWatch alarm (2 metrics)"
    assert line.monthly_usd == pytest.approx(2 * price_table()["regions"]["us-east-1"]["cloudwatch_alarm_month"])
