"""Small CloudFormation templates shaped like the renderer's stacks, for moto-backed tests."""
from __future__ import annotations

import json


def edge_template(with_outputs: bool = False) -> str:
    """VPC + two public subnets + ALB + target group + listener (what `<id>-edge` holds)."""
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1b"}},
        "AlbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "alb", "VpcId": {"Ref": "Vpc"}}},
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Scheme": "internet-facing", "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "SecurityGroups": [{"Ref": "AlbSg"}]}},
        "BlueTg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 3000, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}}},
        "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "Alb"}, "Port": 80, "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "BlueTg"}}]}},
    }
    template = {"Resources": resources}
    if with_outputs:
        template["Outputs"] = {"AppUrl": {"Value": {"Fn::Join": ["", ["http://", {"Fn::GetAtt": ["Alb", "DNSName"]}]]}}}
    return json.dumps(template)


def dashboard_template(name: str) -> str:
    return json.dumps({"Resources": {"Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": name, "DashboardBody": json.dumps({"widgets": []})}}}})


def tags(deployment_id: str) -> list[dict[str, str]]:
    return [{"Key": "hivemind:deployment", "Value": deployment_id}]
