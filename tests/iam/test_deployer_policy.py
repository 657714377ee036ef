"""The deployer's policy is derived from HiveMind's code: the scan finds the calls, the policy covers
them, and a call the scan cannot attribute or the policy does not cover is reported."""
from __future__ import annotations

import textwrap

import pytest

from hivemind.iam import deployer
from hivemind.iam.actions import actions_for, is_known_action
from hivemind.iam.document import Scope, actions_of, shape_errors
from hivemind.iam.scan import default_sources, scan

SCOPE = Scope("shop", "eu-west-1", "123456789012")


@pytest.fixture(scope="module")
def found():
    return scan()


@pytest.fixture(scope="module")
def policy(found):
    return deployer.deployer_policy(SCOPE, found)


def _methods(found, service):
    return {c.method for c in found.calls if c.service == service}


def test_scan_finds_the_calls_hivemind_makes(found):
    assert {"create_change_set", "execute_change_set", "describe_stack_events", "describe_change_set",
            "delete_stack", "list_stack_resources"} <= _methods(found, "cloudformation")
    assert {"put_parameter", "get_parameters_by_path", "send_command"} <= _methods(found, "ssm")
    assert {"put_object", "upload_file", "head_object", "list_object_versions"} <= _methods(found, "s3")
    assert "create_db_snapshot" in _methods(found, "rds")
    # A waiter becomes the describe call it polls; a paginator its operation.
    waiters = {(c.method, c.operation) for c in found.calls if c.via == "waiter"}
    assert ("stack_create_complete", "DescribeStacks") in waiters
    assert ("db_snapshot_available", "DescribeDBSnapshots") in waiters
    assert ("target_in_service", "DescribeTargetHealth") in waiters
    assert any(c.via == "paginator" and c.operation == "DescribeStackEvents" for c in found.calls)


def test_scan_follows_clients_through_self_closures_and_arguments(found):
    where = {(c.method, c.where.split(":")[0]) for c in found.calls}
    assert ("create_change_set", "hivemind/deploy/cfn.py") in where            # self.client = _new_client(...)
    assert ("put_object", "hivemind/workflows/rollout.py") in where            # a closure over `s3`
    assert ("head_object", "hivemind/artifact/publish.py") in where            # object_exists(s3, ...)
    assert ("put_parameter", "hivemind/state/remote.py") in where              # _put(ssm, ...)
    # The deploy engine's _wait(waiter_name) resolves to every waiter named in that module.
    cfn_waiters = {c.method for c in found.calls if c.via == "waiter" and c.where.startswith("hivemind/deploy/cfn.py")}
    assert {"stack_create_complete", "stack_update_complete", "stack_delete_complete",
            "change_set_create_complete", "stack_rollback_complete"} <= cfn_waiters


def test_real_code_has_no_unattributed_and_no_uncovered_call(found, policy):
    assert found.unresolved == []
    assert deployer.uncovered(found.calls, policy) == []


def test_an_uncovered_or_unattributable_call_is_reported(tmp_path, policy):
    planted = tmp_path / "planted.py"
    planted.write_text(textwrap.dedent("""
        from hivemind.aws import client

        def notify(region):
            queue = client("sqs", region)
            queue.send_message(QueueUrl="https://example", MessageBody="x")

        def snapshot(mystery):
            mystery.create_db_snapshot(DBSnapshotIdentifier="x", DBInstanceIdentifier="y")
    """))
    with_planted = scan(default_sources() + [planted])
    missing = deployer.uncovered(with_planted.calls, policy)
    assert [(c.method, a) for c, a in missing] == [("send_message", "sqs:SendMessage")]
    assert missing[0][0].where.endswith("planted.py:6")
    assert [(u.method, u.where.rsplit("/", 1)[-1]) for u in with_planted.unresolved] == [
        ("create_db_snapshot", "planted.py:9")]
    # Nor is a policy built for a call nobody scoped: it would otherwise land on "*".
    with pytest.raises(deployer.UnscopedActions, match="sqs:SendMessage"):
        deployer.deployer_policy(SCOPE, with_planted)


def test_every_action_is_a_real_operation_and_none_is_a_wildcard(found, policy):
    assert shape_errors(policy) == []
    actions = actions_of(policy)
    assert not [a for a in actions if "*" in a]
    code = deployer.code_actions(found)
    bootstrap = {a for s in policy["Statement"] if s["Sid"] == "BootstrapBucket" for a in s["Action"]}
    assert not [a for a in code if not is_known_action(a, found.services)]
    # Every action is either one the code needs, PassRole, or the bootstrap bucket's.
    assert actions - code - bootstrap == {"iam:PassRole"}
    assert not is_known_action("cloudformation:CreateChangeSets", found.services)  # a typo is caught


def test_done_means_change_sets_events_ssm_s3_and_snapshots(policy):
    actions = actions_of(policy)
    assert {"cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DescribeChangeSet",
            "cloudformation:DescribeStackEvents", "ssm:PutParameter", "ssm:GetParameter", "s3:PutObject",
            "s3:GetObject", "rds:CreateDBSnapshot", "rds:DescribeDBSnapshots"} <= actions
    assert "sts:GetCallerIdentity" not in actions  # needs no permission


def _statements_with(policy, action):
    return [s for s in policy["Statement"] if action in s["Action"]]


def test_resources_are_scoped_to_the_deployment(policy):
    (stacks,) = _statements_with(policy, "cloudformation:ExecuteChangeSet")
    assert "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-edge/*" in stacks["Resource"]
    assert all(("shop-" in r or "hivemind-" in r) for r in stacks["Resource"])
    (put,) = _statements_with(policy, "ssm:PutParameter")
    assert put["Resource"] == ["arn:aws:ssm:eu-west-1:123456789012:parameter/hivemind/deployments/shop/state",
                               "arn:aws:ssm:eu-west-1:123456789012:parameter/hivemind/deployments/shop/state/*"]
    (snap,) = _statements_with(policy, "rds:CreateDBSnapshot")
    assert "arn:aws:rds:eu-west-1:123456789012:snapshot:shop-final-*" in snap["Resource"]
    objects = _statements_with(policy, "s3:PutObject")
    assert any("artifactbucket*/artifacts/shop/*" in r for s in objects for r in s["Resource"])
    (passrole,) = _statements_with(policy, "iam:PassRole")
    assert passrole["Resource"] == ["arn:aws:iam::123456789012:role/hivemind-shop-cfn-exec"]
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    # "*" only for the table of actions without resource-level permissions.
    star = {a for s in policy["Statement"] if s["Resource"] == "*" for a in s["Action"]}
    assert star == set(deployer.ANY_RESOURCE) & star and "cloudformation:CreateChangeSet" not in star
    (send_to_instance,) = [s for s in _statements_with(policy, "ssm:SendCommand") if "Condition" in s]
    assert send_to_instance["Condition"] == {"StringEquals": {"aws:ResourceTag/hivemind:deployment": "shop"}}


def test_any_deployment_matches_hivemind_stack_names_only(found):
    policy = deployer.deployer_policy(Scope(region="us-east-1"), found)
    (stacks,) = _statements_with(policy, "cloudformation:CreateChangeSet")
    assert "arn:aws:cloudformation:us-east-1:*:stack/*-app-blue/*" in stacks["Resource"]
    assert not any(r.endswith(":stack/*") for r in stacks["Resource"])


def test_exception_table_maps_s3_object_calls():
    from hivemind.iam.scan import ApiCall

    def acts(method, op):
        return actions_for(ApiCall("s3", method, op, "call", "x:1"))
    assert acts("head_object", "HeadObject") == ("s3:GetObject", "s3:ListBucket")
    assert acts("list_objects_v2", "ListObjectsV2") == ("s3:ListBucket",)
    assert acts("put_object", "PutObject") == ("s3:PutObject",)
    assert actions_for(ApiCall("elbv2", "describe_target_health", "DescribeTargetHealth", "call", "x:1")) == (
        "elasticloadbalancing:DescribeTargetHealth",)
    assert actions_for(ApiCall("sts", "get_caller_identity", "GetCallerIdentity", "call", "x:1")) == ()
