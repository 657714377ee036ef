"""QA fixtures: plans, a deployment on moto (edge stack + fleet + target groups), local servers, a CLI runner."""
from __future__ import annotations

import json

import boto3
import pytest

from hivemind.plan.models import DeploymentPlan
from hivemind.render import names
from hivemind.state import DeploymentState, DeploymentStatus, append_history, save_state

from .servers import App, Pki

REGION = "us-east-1"


@pytest.fixture
def make_plan():
    def make(name: str = "orders-api", **extra) -> DeploymentPlan:
        data = {"name": name, "services": [{"name": "web", "runtime": "node", "port": 3000, "health_check_path": "/health"}]}
        data.update(extra)
        return DeploymentPlan.model_validate(data)

    return make


def edge_template(deployment_id: str) -> str:
    """The shape of `<id>-edge`: ALB + listener + a blue and a green target group (logical ids as
    constructs_lib.WebEdge names them: Edge<Service><Colour><hash>)."""
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1b"}},
        "AlbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "alb", "VpcId": {"Ref": "Vpc"}}},
        "EdgeAlb1A2B3C4D": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Scheme": "internet-facing", "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "SecurityGroups": [{"Ref": "AlbSg"}]}},
        "EdgeWebBlue0A1B2C3D": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 3000, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}}},
        "EdgeWebGreen4E5F6A7B": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 3000, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}}},
        "EdgeHttpListener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "EdgeAlb1A2B3C4D"}, "Port": 80, "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "EdgeWebBlue0A1B2C3D"}}]}},
    }
    return json.dumps({"Resources": resources})


class Deployment:
    """Handles on a moto deployment built by the `deployed` fixture."""

    def __init__(self, deployment_id: str):
        self.id = deployment_id
        self.cfn = boto3.client("cloudformation", region_name=REGION)
        self.elbv2 = boto3.client("elbv2", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.autoscaling = boto3.client("autoscaling", region_name=REGION)
        resources = self.cfn.describe_stack_resources(StackName=names.stack_name(deployment_id, "edge"))["StackResources"]
        self.physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        self.target_groups = {"blue": self.physical["EdgeWebBlue0A1B2C3D"], "green": self.physical["EdgeWebGreen4E5F6A7B"]}
        [lb] = self.elbv2.describe_load_balancers(LoadBalancerArns=[self.physical["EdgeAlb1A2B3C4D"]])["LoadBalancers"]
        self.dns_name = lb["DNSName"]
        self.instances: dict[str, list[str]] = {}

    def fleet(self, color: str, count: int = 1) -> list[str]:
        """An Auto Scaling group named like the renderer's (moto launches its instances), its
        instances registered in the colour's target group."""
        image = self.ec2.describe_images()["Images"][0]["ImageId"]
        template = self.ec2.create_launch_template(
            LaunchTemplateName=f"{self.id}-{color}", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=names.group_name(self.id, "web", color), MinSize=count, MaxSize=count, DesiredCapacity=count,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]},
            VPCZoneIdentifier=self.physical["SubnetA"])
        [group] = self.autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[names.group_name(self.id, "web", color)])["AutoScalingGroups"]
        ids = [i["InstanceId"] for i in group["Instances"]]
        self.elbv2.register_targets(TargetGroupArn=self.target_groups[color], Targets=[{"Id": i} for i in ids])
        self.instances[color] = ids
        return ids


@pytest.fixture
def deployed(aws, make_plan):
    """orders-api on moto: the edge stack (ALB, blue/green target groups), the SSM parameters the
    edge publishes, a blue fleet with one healthy registered instance, and a saved state."""
    def build(plan: DeploymentPlan | None = None, *, publish_parameters: bool = True) -> Deployment:
        plan = plan or make_plan()
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=names.stack_name(plan.name, "edge"), TemplateBody=edge_template(plan.name),
                         Tags=[{"Key": "hivemind:deployment", "Value": plan.name}])
        d = Deployment(plan.name)
        if publish_parameters:
            for color, arn in d.target_groups.items():
                d.ssm.put_parameter(Name=names.target_group_parameter(plan.name, "web", color), Value=arn, Type="String")
        d.fleet("blue")
        state = DeploymentState.new(plan)
        append_history(state, "deploy", status=DeploymentStatus.COMPLETED)
        state.active_color = "blue"
        save_state(state)
        return d

    return build


@pytest.fixture
def pki(tmp_path):
    return Pki(tmp_path)


@pytest.fixture
def app_server():
    """Start local apps: app_server(status=200, paths={...}, tls=(cert, key)) -> base URL."""
    apps: list[App] = []

    def start(status: int = 200, *, paths: dict[str, int] | None = None, tls=None) -> str:
        app = App(status, paths)
        apps.append(app)
        url = app.start(tls)
        start.last = app
        return url

    yield start
    for app in apps:
        app.stop()
