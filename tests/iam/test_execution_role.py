"""CloudFormation's execution role: what the templates create (cfn-lint's provider-schema
handlers for the resource types of the synthesized examples), scoped by names and tags."""
from __future__ import annotations

import pytest

from hivemind.iam import catalogue
from hivemind.iam.document import Scope, actions_of, shape_errors
from hivemind.iam.execution import (
    NO_RESOURCE_LEVEL, TAG_GUARDED, UNUSED_FEATURES, execution_policy, handler_permissions, template_actions, trust_policy,
)

SCOPE = Scope("shop", "us-east-1", "123456789012")


@pytest.fixture(scope="module")
def policy():
    return execution_policy(catalogue.load()["deployment"], SCOPE)


def test_catalogue_is_what_the_examples_synthesize():
    # Every bundled example at both stages with every optional part: the stored list must match,
    # so a new resource type in a template cannot go without its permissions.
    assert catalogue.derive() == catalogue.load()


def test_actions_are_the_handlers_of_the_template_types(policy):
    actions = actions_of(policy)
    for must in ("ec2:CreateVpc", "rds:CreateDBInstance", "elasticloadbalancing:CreateLoadBalancer",
                 "autoscaling:CreateAutoScalingGroup", "iam:CreateRole", "ssm:PutParameter",
                 "secretsmanager:CreateSecret", "logs:CreateLogGroup", "cloudwatch:PutMetricAlarm"):
        assert must in actions
    assert set(handler_permissions("AWS::EC2::VPC")) <= actions  # every handler action of a present type
    # A type HiveMind never creates brings nothing.
    assert "dynamodb:CreateTable" not in actions


def test_no_wildcard_action_and_unused_features_dropped(policy):
    actions = actions_of(policy)
    assert not [a for a in actions if "*" in a]
    assert not [a for a in actions if a.split(":")[0] in UNUSED_FEATURES]
    assert "s3:REST.PUT.OBJECT" not in actions and "iam:PutUserPolicy" not in actions  # not IAM / not used
    (anywhere,) = _with(policy, "secretsmanager:GetRandomPassword")
    assert anywhere["Resource"] == "*"
    assert shape_errors(policy) == []
    # The Auto Scaling group's handler asks for ec2:Describe*; it is narrowed, not granted whole.
    assert "ec2:DescribeLaunchTemplateVersions" in actions and "ec2:DescribeVpnConnections" not in actions


def test_wildcards_narrow_to_named_actions():
    narrowed = template_actions(["AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate"])
    assert "ec2:DescribeLaunchTemplates" in narrowed         # named by the launch template's handler
    assert "ec2:DescribeLaunchTemplateVersions" in narrowed  # the Auto Scaling group's, from the extras
    assert "ec2:DescribeVpnGateways" not in narrowed
    assert not [a for a in narrowed if "*" in a]


def _with(policy, action):
    return [s for s in policy["Statement"] if action in s["Action"]]


def test_named_resources_are_the_deployments(policy):
    (roles,) = _with(policy, "iam:CreateRole")
    assert "arn:aws:iam::123456789012:role/shop-*" in roles["Resource"]
    (passrole,) = _with(policy, "iam:PassRole")
    assert passrole["Resource"] == ["arn:aws:iam::123456789012:role/shop-*"]
    (params,) = _with(policy, "ssm:PutParameter")
    assert "arn:aws:ssm:us-east-1:123456789012:parameter/hivemind/shop/*" in params["Resource"]
    (secrets,) = _with(policy, "secretsmanager:CreateSecret")
    assert secrets["Resource"] == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:hivemind/shop/db-*"]
    (rds,) = _with(policy, "rds:CreateDBInstance")
    assert {"arn:aws:rds:us-east-1:123456789012:db:shop-*",
            "arn:aws:rds:us-east-1:123456789012:subgrp:shop-*"} <= set(rds["Resource"])
    # Deleting generated-id resources needs the deployment's tag.
    (vpc_delete,) = _with(policy, "ec2:DeleteVpc")
    assert vpc_delete["Condition"] == {"StringEquals": {"aws:ResourceTag/hivemind:deployment": "shop"}}
    assert set(vpc_delete["Action"]) <= TAG_GUARDED
    # "*" resources only for reads and the generated-id services' non-destructive calls.
    for stmt in policy["Statement"]:
        if stmt["Resource"] == "*" and "Condition" not in stmt:
            services = {a.split(":")[0] for a in stmt["Action"]}
            reads = all(a.split(":")[1].startswith(("Describe", "List")) for a in stmt["Action"])
            assert reads or set(stmt["Action"]) <= NO_RESOURCE_LEVEL or services <= {
                "ec2", "autoscaling", "elasticloadbalancing", "acm"}, stmt["Sid"]


def test_any_deployment_requires_the_tag_to_exist():
    policy = execution_policy(catalogue.load()["deployment"], Scope())
    (vpc_delete,) = _with(policy, "ec2:DeleteVpc")
    assert vpc_delete["Condition"] == {"Null": {"aws:ResourceTag/hivemind:deployment": "false"}}


def test_trust_policy_is_cloudformation_only():
    trust = trust_policy()
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]


def test_a_type_without_a_scope_is_refused():
    # A new service in the templates must get a scope decision, never a silent "*".
    from hivemind.iam.document import UnscopedActions

    with pytest.raises(UnscopedActions, match="no scope for dynamodb"):
        execution_policy(["AWS::DynamoDB::Table"], SCOPE)
