"""The rendered templates deploy on a moto server, and the SSM handoff wires the stacks together.

moto gaps this test lives with (see AWS-OFFLINE-NOTES.md): Secrets, SecretTargetAttachment,
SecurityGroupEgress and Alarms are accepted but not created, so only what moto models is asserted.
"""
from __future__ import annotations

import warnings

import boto3
import pytest

from hivemind.render import RenderOptions
from synth_support import example_plan


def _deploy(result) -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    statuses = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns about each resource type it does not model
        for stack in result.stacks:  # dependency order
            cfn.create_stack(StackName=stack.name, TemplateBody=stack.template_path.read_text(),
                             Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
            statuses[stack.name] = cfn.describe_stacks(StackName=stack.name)["Stacks"][0]["StackStatus"]
    return statuses


@pytest.mark.parametrize("name", ["express-postgres", "fastapi-redis"])
def test_stage1_stacks_deploy_and_hand_off_through_ssm(aws, synths, name):
    plan = example_plan(name, "stage-1")
    result = synths.get(f"moto-{name}", plan, options=RenderOptions(colors=("blue", "green")), checks=False)
    statuses = _deploy(result)
    assert set(statuses.values()) == {"CREATE_COMPLETE"}, statuses

    ssm = boto3.client("ssm", region_name="us-east-1")
    elbv2 = boto3.client("elbv2", region_name="us-east-1")
    autoscaling = boto3.client("autoscaling", region_name="us-east-1")
    for colour in ("blue", "green"):
        arn = ssm.get_parameter(Name=f"/hivemind/{plan.name}/edge/web/{colour}/target-group-arn")["Parameter"]["Value"]
        assert elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]["HealthCheckPath"] == \
            plan.services[0].health_check_path
        group = autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[f"{plan.name}-web-{colour}"])["AutoScalingGroups"][0]
        # Each colour's fleet is attached to its own target group, resolved from SSM at deploy time.
        assert group["TargetGroupARNs"] == [arn]
    subnet_ids = {ssm.get_parameter(Name=f"/hivemind/{plan.name}/network/subnets/public/{i}")["Parameter"]["Value"]
                  for i in range(2)}
    assert set(group["VPCZoneIdentifier"].split(",")) == subnet_ids  # stage 1: public subnets, no NAT


def test_database_secret_name_is_new_for_every_creation_of_the_data_stack(aws, synths):
    """Destroy then redeploy: the old secret keeps its name for a 7-30 day recovery window on real
    AWS, so the new data stack must not ask for the same name. The name (not a Ref to the secret,
    which moto drops) reaches the app stack through SSM."""
    plan = example_plan("express-postgres", "stage-1")
    result = synths.get("moto-express-postgres", plan, options=RenderOptions(colors=("blue", "green")), checks=False)
    _deploy(result)
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    parameter = f"/hivemind/{plan.name}/data/database-secret-name"
    data_stack = result.stack(f"{plan.name}-data")

    def secret_name_and_stack_uuid() -> tuple[str, str]:
        stack_id = cfn.describe_stacks(StackName=data_stack.name)["Stacks"][0]["StackId"]
        return ssm.get_parameter(Name=parameter)["Parameter"]["Value"], stack_id.split("/")[2]

    first, uuid = secret_name_and_stack_uuid()
    assert first == f"hivemind/{plan.name}/db-{uuid}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfn.delete_stack(StackName=data_stack.name)
        cfn.create_stack(StackName=data_stack.name, TemplateBody=data_stack.template_path.read_text())
    second, uuid = secret_name_and_stack_uuid()
    assert second == f"hivemind/{plan.name}/db-{uuid}" and second != first
