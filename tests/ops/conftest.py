"""Ops fixtures: a saved deployment on moto (edge + observability stacks), log writers, a CLI runner."""
from __future__ import annotations

import json
import time

import boto3
import pytest

from hivemind.plan.models import DeploymentPlan
from hivemind.render import names
from hivemind.state import DeploymentState, DeploymentStatus, append_history, save_state

REGION = "us-east-1"
DEPLOYMENT = "orders-api"


@pytest.fixture
def make_plan():
    def make(name: str = DEPLOYMENT, **extra) -> DeploymentPlan:
        data = {"name": name, "services": [{"name": "web", "runtime": "node", "port": 3000},
                                           {"name": "jobs", "kind": "worker", "runtime": "node"}]}
        data.update(extra)
        return DeploymentPlan.model_validate(data)

    return make


def edge_template() -> str:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1b"}},
        "EdgeAlb1A2B3C4D": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Scheme": "internet-facing", "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}},
    }
    return json.dumps({"Resources": resources})


def dashboard_body(sections: tuple[str, ...]) -> str:
    widgets = []
    for title in sections:
        widgets.append({"type": "text", "x": 0, "y": 0, "width": 24, "height": 1, "properties": {"markdown": f"## {title}"}})
        widgets.append({"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6, "properties": {"metrics": [], "region": REGION}})
    return json.dumps({"widgets": widgets})


def observability_template(sections: tuple[str, ...]) -> str:
    return json.dumps({"Resources": {"Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": names.dashboard_name(DEPLOYMENT), "DashboardBody": dashboard_body(sections)}}}})


@pytest.fixture
def deployed(aws, make_plan):
    """orders-api as a finished deploy left it (edge + observability stacks, a saved state)."""
    from hivemind.ops import SECTIONS

    def build(plan: DeploymentPlan | None = None, *, sections: tuple[str, ...] = SECTIONS) -> DeploymentState:
        plan = plan or make_plan()
        cfn = boto3.client("cloudformation", region_name=REGION)
        tags = [{"Key": "hivemind:deployment", "Value": plan.name}]
        cfn.create_stack(StackName=names.stack_name(plan.name, "edge"), TemplateBody=edge_template(), Tags=tags)
        cfn.create_stack(StackName=names.stack_name(plan.name, "observability"),
                         TemplateBody=observability_template(sections), Tags=tags)
        state = DeploymentState.new(plan)
        append_history(state, "deploy", status=DeploymentStatus.COMPLETED)
        state.active_color = "blue"
        save_state(state)
        return state

    return build


class LogWriter:
    """Puts lines into /hivemind/<id>/<service> the way the CloudWatch agent does (one stream per instance)."""

    def __init__(self):
        self.logs = boto3.client("logs", region_name=REGION)
        self.streams: set[tuple[str, str]] = set()

    def write(self, service: str, lines: list[str], *, seconds_ago: float = 5, stream: str = "i-0abc/app",
              deployment: str = DEPLOYMENT) -> None:
        group = names.log_group_name(deployment, service)
        if (group, "") not in self.streams:
            try:
                self.logs.create_log_group(logGroupName=group)
            except self.logs.exceptions.ResourceAlreadyExistsException:
                pass
            self.streams.add((group, ""))
        if (group, stream) not in self.streams:
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
            self.streams.add((group, stream))
        start = int((time.time() - seconds_ago) * 1000)
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
            {"timestamp": start + i, "message": line} for i, line in enumerate(lines)])


@pytest.fixture
def log_writer(aws):
    return LogWriter()
