"""On moto: IAM accepts the printed documents (role, trust, managed policies), and with
HIVEMIND_CFN_ROLE_ARN the change sets carry the execution role."""
from __future__ import annotations

import json

import boto3

from hivemind.iam import Scope, policies
from hivemind.iam.document import MANAGED_POLICY_MAX_CHARS, compact_size, split_for_managed_policies


def test_iam_accepts_the_execution_role_and_both_policies(aws, cli):
    code, out, err = cli("iam-policy", "--json", "--account", "123456789012")
    assert code == 0, err
    printed = json.loads(out)
    iam = boto3.client("iam", region_name="us-east-1")
    role = printed["execution_role"]
    iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(role["trust"]))
    attached = []
    for label, doc in (("exec", role["policy"]), ("deployer", printed["deployer"])):
        parts = split_for_managed_policies(doc)
        assert all(compact_size(p) <= MANAGED_POLICY_MAX_CHARS for p in parts)
        # Splitting loses no statement's action.
        assert {a for p in parts for s in p["Statement"] for a in s["Action"]} == {
            a for s in doc["Statement"] for a in s["Action"]}
        for index, part in enumerate(parts):
            arn = iam.create_policy(PolicyName=f"hivemind-{label}-{index + 1}",
                                    PolicyDocument=json.dumps(part, separators=(",", ":")))["Policy"]["Arn"]
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=arn)
            stored = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
            stored = json.loads(stored) if isinstance(stored, str) else stored
            assert stored == part
            attached.append(arn)
    listed = iam.list_attached_role_policies(RoleName=role["name"])["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in listed) == sorted(attached)
    trust = iam.get_role(RoleName=role["name"])["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "cloudformation.amazonaws.com"}


def test_iam_rejects_a_malformed_document_so_the_acceptance_above_means_something(aws):
    import pytest
    from botocore.exceptions import ClientError

    iam = boto3.client("iam", region_name="us-east-1")
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"]}]}  # no Resource
    with pytest.raises(ClientError, match="MalformedPolicyDocument"):
        iam.create_policy(PolicyName="bad", PolicyDocument=json.dumps(bad))


def test_a_deployment_scoped_policy_is_accepted_too(aws):
    iam = boto3.client("iam", region_name="us-east-1")
    found = policies(Scope("shop", "us-east-1", "123456789012"))
    for index, part in enumerate(split_for_managed_policies(found["execution_role"]["policy"])):
        iam.create_policy(PolicyName=f"shop-exec-{index}", PolicyDocument=json.dumps(part))

    for index, part in enumerate(split_for_managed_policies(found["deployer"])):
        iam.create_policy(PolicyName=f"shop-deployer-{index}", PolicyDocument=json.dumps(part))
    names = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert {"shop-exec-0", "shop-deployer-0"} <= names


def test_change_sets_carry_the_execution_role(aws, monkeypatch):
    from hivemind.deploy.cfn import CloudFormationApi
    from hivemind.deploy.changeset import ChangeSetContext, StackSpec, create_change_set

    role_arn = "arn:aws:iam::123456789012:role/hivemind-shop-cfn-exec"
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    api = CloudFormationApi("us-east-1", waiter_delays=(0.05, 0.05))
    ctx = ChangeSetContext(deployment_id="shop", stage="stage-1")

    monkeypatch.setenv("HIVEMIND_CFN_ROLE_ARN", role_arn)
    preview = create_change_set(api, StackSpec("shop-observability", template), ctx)
    assert preview.change_set_id
    # moto 5.2.5 leaves RoleARN out of DescribeChangeSet; the stack it creates carries it.
    assert api.describe_stack("shop-observability")["RoleARN"] == role_arn

    monkeypatch.delenv("HIVEMIND_CFN_ROLE_ARN")
    preview = create_change_set(api, StackSpec("shop-network", template), ctx)
    assert preview.change_set_id
    assert "RoleARN" not in api.describe_stack("shop-network")


def test_a_deploy_with_the_role_runs_every_stack_as_it(aws, repo, cli, monkeypatch):
    """The whole path: create the role from `iam-policy ID`'s documents, export its ARN, deploy."""
    from hivemind.render.names import all_stack_names

    name = "express-postgres"  # the `repo` fixture's plan name
    iam = boto3.client("iam", region_name="us-east-1")
    trust = policies(Scope(name, "us-east-1", "123456789012"))["execution_role"]["trust"]
    role_arn = iam.create_role(RoleName=f"hivemind-{name}-cfn-exec",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    monkeypatch.setenv("HIVEMIND_CFN_ROLE_ARN", role_arn)
    code, out, err = cli("deploy", str(repo), "--stage-1", "--yes")
    assert code == 0, err
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    deployed = {s["StackName"]: s.get("RoleARN") for s in cfn.describe_stacks()["Stacks"]
                if s["StackName"] in all_stack_names(name)}
    assert deployed and set(deployed.values()) == {role_arn}, deployed
    # The bootstrap stack is created with the deployer's own rights (its statement in the policy).
    assert "RoleARN" not in cfn.describe_stacks(StackName="hivemind-bootstrap")["Stacks"][0]
