"""Every example in both stages: snapshots, zero blocking findings, and the properties that matter."""
from __future__ import annotations

import json

import pytest

from synth_support import EXAMPLE_NAMES, STAGES, all_resources, example_plan, resources

CASES = [(name, stage) for name in EXAMPLE_NAMES for stage in STAGES]


def test_examples_exist():
    # The examples are the fixtures of this suite; an empty list would make it vacuous.
    assert {"express-postgres", "celery-worker"} <= set(EXAMPLE_NAMES)


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_templates_snapshot(example_synth, snapshot, name, stage):
    result = example_synth(name, stage)
    # Nothing in the templates is random (no assets, no timestamps), so they are compared whole.
    assert {stack.name: stack.template for stack in result.stacks} == snapshot


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_no_blocking_findings(example_synth, name, stage):
    result = example_synth(name, stage)
    lint_errors = [f for f in result.findings if f.source == "cfn-lint" and f.severity == "error"]
    nag_open = [f for f in result.findings if f.source == "cdk-nag" and f.blocking]
    assert lint_errors == []
    assert nag_open == []
    assert result.ok
    # cdk-nag did run: every stage acknowledges at least the public ALB/managed-policy findings.
    acknowledged = [f for f in result.findings if f.acknowledged]
    assert acknowledged and all(f.reason for f in acknowledged)


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_stack_layout(example_synth, name, stage):
    plan = example_plan(name, stage)
    result = example_synth(name, stage)
    expected = [f"{plan.name}-network"]
    if plan.database or plan.cache:
        expected.append(f"{plan.name}-data")
    if plan.web_services:
        expected.append(f"{plan.name}-edge")
    expected += [f"{plan.name}-app-blue", f"{plan.name}-observability"]
    assert sorted(s.name for s in result.stacks) == sorted(expected)
    # Dependency order: every stack comes after the stacks it depends on.
    seen: set[str] = set()
    for stack in result.stacks:
        assert set(stack.dependencies) <= seen, stack.name
        seen.add(stack.name)


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_alb_iff_web_port(example_synth, name, stage):
    plan = example_plan(name, stage)
    result = example_synth(name, stage)
    albs = all_resources(result, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert len(albs) == (1 if plan.web_services else 0)
    groups = all_resources(result, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert len(groups) == 2 * len(plan.web_services)  # blue + green per web service
    for group in groups.values():
        service = next(s for s in plan.web_services if s.port == group["Properties"]["Port"])
        assert group["Properties"]["HealthCheckPath"] == service.health_check_path


def test_worker_only_app_has_no_load_balancer(example_synth):
    result = example_synth("celery-worker", "stage-1")
    assert all(not s.name.endswith("-edge") for s in result.stacks)
    assert all_resources(result, "AWS::ElasticLoadBalancingV2::LoadBalancer") == {}
    group = next(iter(all_resources(result, "AWS::AutoScaling::AutoScalingGroup").values()))
    assert "TargetGroupARNs" not in group["Properties"]
    assert group["Properties"]["HealthCheckType"] == "EC2"


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_dashboard_always(example_synth, name, stage):
    dashboards = all_resources(example_synth(name, stage), "AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1
    body = json.dumps(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    # Eight sections always, in this order, each with a text header (a note where it does not apply).
    sections = ("Overview", "Infrastructure", "Load balancer", "Database", "Logs", "X-Ray", "Cost", "Alarms")
    positions = [body.find(f"## {section}") for section in sections]
    assert -1 not in positions and positions == sorted(positions), dict(zip(sections, positions))
    assert body.count("## ") == len(sections)
    assert "SOURCE '/hivemind/" in body and "(?i)(error" in body  # the Logs Insights widget queries for errors
    assert '\\"type\\":\\"alarm\\"' in body and "Alarm status" in body  # the alarm status widget


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_imdsv2_and_encrypted_volumes(example_synth, name, stage):
    templates = all_resources(example_synth(name, stage), "AWS::EC2::LaunchTemplate")
    assert templates
    for lt in templates.values():
        data = lt["Properties"]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"
        assert all(m["Ebs"]["Encrypted"] is True for m in data["BlockDeviceMappings"])
        assert "KeyName" not in data  # no SSH key pair


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_stateful_stores_encrypted(example_synth, name, stage):
    result = example_synth(name, stage)
    for logical_id, db in all_resources(result, "AWS::RDS::DBInstance").items():
        if "SourceDBInstanceIdentifier" not in db["Properties"]:  # replicas inherit encryption
            assert db["Properties"]["StorageEncrypted"] is True, logical_id
        assert db["DeletionPolicy"] == "Snapshot"
        assert db["Properties"]["PubliclyAccessible"] is False
    for group in all_resources(result, "AWS::ElastiCache::ReplicationGroup").values():
        assert group["Properties"]["AtRestEncryptionEnabled"] is True
        assert group["Properties"]["TransitEncryptionEnabled"] is True


@pytest.mark.parametrize("name", [n for n in EXAMPLE_NAMES if example_plan(n, "stage-1").database])
def test_multi_az_and_replica_only_in_production(example_synth, name):
    stage1 = all_resources(example_synth(name, "stage-1"), "AWS::RDS::DBInstance")
    prod = all_resources(example_synth(name, "production"), "AWS::RDS::DBInstance")
    assert len(stage1) == 1
    assert next(iter(stage1.values()))["Properties"]["MultiAZ"] is False
    primaries = [d for d in prod.values() if "SourceDBInstanceIdentifier" not in d["Properties"]]
    replicas = [d for d in prod.values() if "SourceDBInstanceIdentifier" in d["Properties"]]
    assert len(primaries) == 1 and primaries[0]["Properties"]["MultiAZ"] is True
    assert primaries[0]["Properties"]["DeletionProtection"] is True
    assert len(replicas) == 1
    # CDK's replica default is gp2; the replica stays on the primary's gp3, and its storage is priced.
    assert all(r["Properties"]["StorageType"] == "gp3" for r in replicas)
    storage = [line for line in example_synth(name, "production").cost.lines if line.description.startswith("RDS storage")]
    assert len(storage) == 2 and all(line.monthly_usd > 0 for line in storage)


@pytest.mark.parametrize("name", [n for n in EXAMPLE_NAMES if example_plan(n, "stage-1").database])
def test_database_reachable_only_from_app_security_group(example_synth, name):
    result = example_synth(name, "stage-1")
    network = result.stack(f"{example_plan(name, 'stage-1').name}-network").template
    groups = resources(network, "AWS::EC2::SecurityGroup")
    db_sg = next(k for k in groups if k.startswith("DbSecurityGroup"))
    app_sg = next(k for k in groups if k.startswith("AppSecurityGroup"))
    inline = groups[db_sg]["Properties"].get("SecurityGroupIngress", [])
    assert inline == []  # no CIDR-based ingress
    rules = [r for r in resources(network, "AWS::EC2::SecurityGroupIngress").values()
             if r["Properties"]["GroupId"] == {"Fn::GetAtt": [db_sg, "GroupId"]}]
    assert rules and all(r["Properties"]["SourceSecurityGroupId"] == {"Fn::GetAtt": [app_sg, "GroupId"]} for r in rules)
    assert all("CidrIp" not in r["Properties"] for r in rules)


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_nat_only_in_production_and_instances_placed_accordingly(example_synth, name, stage):
    result = example_synth(name, stage)
    nats = all_resources(result, "AWS::EC2::NatGateway")
    assert (len(nats) > 0) == (stage == "production")
    for lt in all_resources(result, "AWS::EC2::LaunchTemplate").values():
        interfaces = lt["Properties"]["LaunchTemplateData"].get("NetworkInterfaces", [])
        public = any(i.get("AssociatePublicIpAddress") for i in interfaces)
        assert public == (stage == "stage-1")


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_no_cross_stack_exports(example_synth, name, stage):
    for stack in example_synth(name, stage).stacks:
        text = json.dumps(stack.template)
        assert "Fn::ImportValue" not in text
        assert "Export" not in json.dumps(stack.template.get("Outputs", {}))
        assert "vpc-not-used-by-this-stack" not in text
        assert "Rules" not in stack.template  # no CDK bootstrap version rule


def test_stage1_node_postgres_cost(example_synth):
    cost = example_synth("express-postgres", "stage-1").cost
    kinds = {line.resource_type for line in cost.lines}
    assert {"AWS::AutoScaling::AutoScalingGroup", "AWS::RDS::DBInstance",
            "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::CloudWatch::Dashboard"} <= kinds
    assert "AWS::EC2::NatGateway" not in kinds
    # Honest figures, not a target: ~$55 on-demand (ALB ~$24 with its two IPv4 addresses, RDS ~$15,
    # EC2 ~$12); CloudWatch's always-free allowance can take off the dashboard and alarms.
    assert not any("LCU" in line.description for line in cost.lines)  # usage-based, an assumption
    cloudwatch = sum(line.monthly_usd for line in cost.lines if line.resource_type.startswith("AWS::CloudWatch"))
    # The always-free tier covers one dashboard ($3) and ten alarm metrics ($0.10 each), no more.
    assert cost.total_usd - cost.free_tier_total_usd == pytest.approx(min(cloudwatch, 3.0 + 10 * 0.10), abs=0.01)
    assert cloudwatch > 4.0  # more than ten alarm metrics: the alarms are not all free
    production = example_synth("express-postgres", "production").cost
    assert production.total_usd > cost.total_usd
    assert any(line.resource_type == "AWS::EC2::NatGateway" for line in production.lines)


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_no_fixed_secret_names(example_synth, name, stage):
    """A destroyed secret keeps its name for a 7-30 day recovery window: a fixed name would make
    redeploying the same app fail, so every secret's name carries the stack id (unique per creation)."""
    for logical_id, secret in all_resources(example_synth(name, stage), "AWS::SecretsManager::Secret").items():
        secret_name = secret["Properties"].get("Name")
        assert secret_name is None or '{"Ref": "AWS::StackId"}' in json.dumps(secret_name), logical_id
