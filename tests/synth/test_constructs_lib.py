"""constructs_lib on its own: usable in any CDK app (no HiveMind imports), secure defaults."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from synth_support import REPO


def test_constructs_lib_has_no_hivemind_imports():
    for path in (REPO / "constructs_lib").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            assert not any(n == "hivemind" or n.startswith("hivemind.") for n in names), path


@pytest.fixture(scope="module")
def stack_template():
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk.assertions import Match, Template

    from constructs_lib import AppFleet, Network, RelationalDatabase, WebEdge, WebTarget

    app = cdk.App()
    stack = cdk.Stack(app, "Lib")
    net = Network(stack, "Net", nat_gateways=0)
    sg = ec2.SecurityGroup(stack, "Sg", vpc=net.vpc)
    edge = WebEdge(stack, "Edge", vpc=net.vpc, security_group=sg, subnets=net.subnets("public"),
                   targets=[WebTarget("api", 8080, "/up")], weights={"blue": 0, "green": 100})
    AppFleet(stack, "Fleet", vpc=net.vpc, subnets=net.subnets("public"), security_group=sg,
             user_data=ec2.UserData.for_linux(), min_capacity=1, max_capacity=3,
             target_group_arns=[edge.target_groups[("api", "green")].target_group_arn])
    RelationalDatabase(stack, "Db", vpc=net.vpc, subnets=net.subnets("isolated"), security_group=sg,
                       engine="postgres", version="16.4")
    return Template.from_stack(stack), Match


def test_network_without_nat_has_no_nat_and_keeps_three_tiers(stack_template):
    template, _ = stack_template
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::Subnet", 6)  # 2 AZs x public/private/isolated
    template.resource_count_is("AWS::EC2::FlowLog", 1)


def test_edge_forwards_to_the_weighted_colour(stack_template):
    template, match = stack_template
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {
        "Port": 80,
        "DefaultActions": [match.object_like({"Type": "forward", "TargetGroupArn": match.any_value()})],
    })
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/up", "Port": 8080})


def test_fleet_scales_on_cpu_and_requires_imdsv2(stack_template):
    template, match = stack_template
    template.has_resource_properties("AWS::AutoScaling::ScalingPolicy", {"PolicyType": "TargetTrackingScaling"})
    template.has_resource_properties("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": match.object_like({
        "MetadataOptions": match.object_like({"HttpTokens": "required"})})})
    template.has_resource("AWS::AutoScaling::AutoScalingGroup", {"UpdatePolicy": match.object_like({
        "AutoScalingRollingUpdate": match.any_value()})})


def test_database_secure_defaults(stack_template):
    template, _ = stack_template
    template.has_resource("AWS::RDS::DBInstance", {
        "DeletionPolicy": "Snapshot",
        "Properties": {"StorageEncrypted": True, "PubliclyAccessible": False, "EngineVersion": "16.4",
                       "EnableIAMDatabaseAuthentication": True},
    })


def test_edge_rejects_all_zero_weights():
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2

    from constructs_lib import Network, WebEdge, WebTarget

    stack = cdk.Stack(cdk.App(), "Bad")
    net = Network(stack, "Net")
    with pytest.raises(Exception, match="positive weight"):
        WebEdge(stack, "Edge", vpc=net.vpc, security_group=ec2.SecurityGroup(stack, "Sg", vpc=net.vpc),
                subnets=net.subnets("public"), targets=[WebTarget("a", 80)], weights={"blue": 0, "green": 0})


@pytest.mark.parametrize(("instance_type", "ami_arch"), [("t4g.micro", "arm64"), ("m7g.large", "arm64"),
                                                          ("t3.micro", "x86_64")])
def test_fleet_image_matches_the_instance_architecture(instance_type, ami_arch):
    """An x86_64 AMI does not boot on a Graviton type: the default image follows the instance type."""
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk.assertions import Template

    from constructs_lib import AppFleet, Network

    stack = cdk.Stack(cdk.App(), "Arch")
    net = Network(stack, "Net")
    AppFleet(stack, "Fleet", vpc=net.vpc, subnets=net.subnets("public"),
             security_group=ec2.SecurityGroup(stack, "Sg", vpc=net.vpc), user_data=ec2.UserData.for_linux(),
             instance_type=instance_type)
    template = Template.from_stack(stack).to_json()
    image = template["Resources"][next(k for k, v in template["Resources"].items()
                                       if v["Type"] == "AWS::EC2::LaunchTemplate")]["Properties"]["LaunchTemplateData"]["ImageId"]
    assert template["Parameters"][image["Ref"]]["Default"] == \
        f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-{ami_arch}"
