"""The engine against a real moto server: create, no-op, what-if, ordering, failures, big templates."""
from __future__ import annotations

import json

import boto3
import pytest

from hivemind.deploy import DeployError, StackSpec
from hivemind.deploy.changeset import TEMPLATE_BODY_LIMIT

from .conftest import REGION, app_template, bucket_template, live_stacks, network_template, three_stacks


def pending_change_sets(cfn) -> list[tuple[str, str]]:
    """Change sets not yet executed, in any stack. (moto gap: it ignores ListChangeSets' StackName
    and keeps executed change sets, which real CloudFormation deletes on execution.)"""
    summaries = []
    for name in live_stacks(cfn):
        summaries += cfn.list_change_sets(StackName=name)["Summaries"]
    return sorted({(s["StackName"], s["ChangeSetName"]) for s in summaries
                   if s.get("ExecutionStatus") != "EXECUTE_COMPLETE"})


def test_first_deploy_creates_every_stack_with_tags(make_engine, cfn):
    specs = three_stacks()
    engine = make_engine(specs)
    previews = engine.preview(specs)
    # data and app read the network's SSM value, so their change sets wait for it to exist.
    assert [(p.name, p.change_set_type, p.deferred) for p in previews] == [
        ("t-network", "CREATE", False), ("t-data", "CREATE", True), ("t-app", "CREATE", True)]
    result = engine.execute(previews)
    assert result.ok, result.error_line()
    assert {n: o.result for n, o in result.outcomes.items()} == dict.fromkeys(["t-network", "t-data", "t-app"], "completed")
    assert live_stacks(cfn) == dict.fromkeys(["t-network", "t-data", "t-app"], "CREATE_COMPLETE")
    tags = {t["Key"]: t["Value"] for t in cfn.describe_stacks(StackName="t-app")["Stacks"][0]["Tags"]}
    assert tags == {"hivemind:deployment": "t", "hivemind:stage": "stage-1"}
    # The app's security group really landed in the network's VPC (resolved through SSM).
    vpc_id = boto3.client("ssm", region_name=REGION).get_parameter(Name="/t/vpc")["Parameter"]["Value"]
    sg_id = cfn.describe_stack_resource(StackName="t-app", LogicalResourceId="AppSg")["StackResourceDetail"]["PhysicalResourceId"]
    sg = boto3.client("ec2", region_name=REGION).describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
    assert sg["VpcId"] == vpc_id


def test_second_identical_deploy_is_a_no_op(make_engine, cfn):
    specs = three_stacks()
    make_engine(specs).execute(make_engine(specs).preview(specs))
    before = {s["StackName"]: s.get("LastUpdatedTime") for s in cfn.describe_stacks()["Stacks"]}
    engine = make_engine(specs)
    previews = engine.preview(specs)
    assert all(p.no_changes and p.change_set_id is None for p in previews)
    result = engine.execute(previews)
    assert result.ok and result.changed == []
    assert {o.result for o in result.outcomes.values()} == {"no changes"}
    after = {s["StackName"]: s.get("LastUpdatedTime") for s in cfn.describe_stacks()["Stacks"]}
    assert after == before
    assert live_stacks(cfn) == dict.fromkeys(["t-network", "t-data", "t-app"], "CREATE_COMPLETE")
    assert pending_change_sets(cfn) == []


def test_update_of_one_stack_leaves_the_others_alone(make_engine, cfn):
    specs = three_stacks()
    make_engine(specs).execute(make_engine(specs).preview(specs))
    changed = three_stacks(app=app_template("app v2"))
    engine = make_engine(changed)
    previews = engine.preview(changed)
    assert [p.no_changes for p in previews] == [True, True, False]
    assert previews[2].change_set_type == "UPDATE"
    result = engine.execute(previews)
    assert result.changed == ["t-app"]
    assert live_stacks(cfn)["t-app"] == "UPDATE_COMPLETE"
    assert live_stacks(cfn)["t-network"] == "CREATE_COMPLETE"


def test_what_if_on_fresh_account_leaves_nothing_behind(make_engine, cfn):
    specs = three_stacks()
    engine = make_engine(specs)
    previews = engine.preview(specs, what_if=True)
    assert [c.logical_id for c in previews[0].changes] == ["Vpc", "VpcIdParam"]
    assert [c.action for p in previews for c in p.changes] == ["Add"] * 4
    engine.discard(previews)
    assert live_stacks(cfn) == {}  # the REVIEW_IN_PROGRESS preview stack is gone too
    assert boto3.client("ec2", region_name=REGION).describe_vpcs(
        Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"] == []


def test_what_if_on_deployed_stacks_changes_nothing(make_engine, cfn):
    specs = three_stacks()
    make_engine(specs).execute(make_engine(specs).preview(specs))
    before = {s["StackName"]: (s["StackStatus"], s.get("LastUpdatedTime")) for s in cfn.describe_stacks()["Stacks"]}
    resources_before = {n: cfn.list_stack_resources(StackName=n)["StackResourceSummaries"] for n in before}
    changed = three_stacks(network=network_template("10.1.0.0/16"), app=app_template("v2"))
    engine = make_engine(changed)
    previews = engine.preview(changed, what_if=True)
    assert {p.name: [c.action for c in p.changes] for p in previews if not p.no_changes}["t-app"] == ["Modify"]
    engine.discard(previews)
    after = {s["StackName"]: (s["StackStatus"], s.get("LastUpdatedTime")) for s in cfn.describe_stacks()["Stacks"]}
    assert after == before
    assert {n: cfn.list_stack_resources(StackName=n)["StackResourceSummaries"] for n in after} == resources_before
    assert pending_change_sets(cfn) == []


def test_dependent_never_starts_before_its_dependency_finishes(make_engine):
    specs = three_stacks()
    result = make_engine(specs, max_parallel=4).execute(make_engine(specs).preview(specs))
    o = result.outcomes
    assert o["t-network"].finished_seq < o["t-data"].started_seq
    assert o["t-network"].finished_seq < o["t-app"].started_seq


def test_max_parallel_one_runs_strictly_one_after_another(make_engine):
    specs = three_stacks()
    engine = make_engine(specs, max_parallel=1)
    result = engine.execute(engine.preview(specs))
    spans = sorted((o.started_seq, o.finished_seq) for o in result.outcomes.values())
    assert all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1))


def test_failure_skips_stacks_not_started_and_keeps_moto_api_error_as_root_cause(make_engine, cfn):
    # moto gap: the bad VPC id is raised by ExecuteChangeSet itself (no CREATE_FAILED event),
    # so the API's message must become the root cause.
    bad_network = {"Resources": {"Subnet": {"Type": "AWS::EC2::Subnet",
                                            "Properties": {"VpcId": "vpc-0000dead", "CidrBlock": "10.0.0.0/24"}}}}
    specs = three_stacks(network=bad_network)
    engine = make_engine(specs)
    result = engine.execute(engine.preview(specs))
    assert not result.ok
    assert result.outcomes["t-network"].result == "failed"
    assert {result.outcomes[n].result for n in ("t-data", "t-app")} == {"skipped"}
    assert result.outcomes["t-data"].error == "not started: dependency t-network failed"
    line = result.error_line()
    assert line.startswith("t-network: ") and "vpc-0000dead" in line
    assert "t-data" not in live_stacks(cfn) and "t-app" not in live_stacks(cfn)


def test_with_one_slot_a_failure_skips_every_stack_not_started(make_engine, cfn):
    bad = {"Resources": {"Subnet": {"Type": "AWS::EC2::Subnet",
                                    "Properties": {"VpcId": "vpc-0000dead", "CidrBlock": "10.0.0.0/24"}}}}
    specs = [StackSpec("t-bad", bad), StackSpec("t-ok", bucket_template()),
             StackSpec("t-after", bucket_template("t-after-bucket"), ("t-ok",))]
    engine = make_engine(specs, max_parallel=1)
    result = engine.execute(engine.preview(specs))
    assert [o.result for o in result.outcomes.values()] == ["failed", "skipped", "skipped"]
    # The skipped stacks' prepared CREATE change sets are discarded with their review stacks.
    assert "t-ok" not in live_stacks(cfn)
    assert [stack for stack, _ in pending_change_sets(cfn)] == ["t-bad"]  # moto: failed one stays AVAILABLE


def test_running_stacks_finish_after_a_sibling_fails(aws, cfn):
    import threading

    from botocore.exceptions import ClientError

    from hivemind.deploy import ChangeSetContext, DeployEngine
    from hivemind.deploy.cfn import CloudFormationApi

    bad_failed = threading.Event()

    class Api(CloudFormationApi):
        """moto, with t-ok held in its completion wait until t-bad has failed."""

        def execute_change_set(self, change_set_id, stack_name, token=None):
            try:
                super().execute_change_set(change_set_id, stack_name, token)
            except ClientError:
                bad_failed.set()
                raise

        def wait_stack(self, name, change_set_type):
            if name == "t-ok":
                assert bad_failed.wait(30)
            super().wait_stack(name, change_set_type)

    local = threading.local()

    def factory():
        if getattr(local, "api", None) is None:
            local.api = Api(REGION, waiter_delays=(0.01, 0.01))
        return local.api

    bad = {"Resources": {"Subnet": {"Type": "AWS::EC2::Subnet",
                                    "Properties": {"VpcId": "vpc-0000dead", "CidrBlock": "10.0.0.0/24"}}}}
    specs = [StackSpec("t-ok", bucket_template()), StackSpec("t-bad", bad)]
    engine = DeployEngine(factory, ChangeSetContext("t", "stage-1"), region=REGION, max_parallel=2,
                          poll_interval=0.01)
    result = engine.execute(engine.preview(specs))
    assert result.outcomes["t-bad"].result == "failed"
    assert result.outcomes["t-ok"].result == "completed"  # already running when t-bad failed: it finishes
    assert result.outcomes["t-ok"].started_seq < result.outcomes["t-bad"].finished_seq
    assert live_stacks(cfn)["t-ok"] == "CREATE_COMPLETE"


def test_template_over_the_body_limit_goes_by_template_url(make_engine, cfn):
    from hivemind.workflows.rollout import template_uploader

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="t-artifacts")
    template = bucket_template("t-big-bucket")
    template["Metadata"] = {"Padding": "x" * (TEMPLATE_BODY_LIMIT + 10)}
    specs = [StackSpec("t-big", template)]
    engine = make_engine(specs, upload=template_uploader("t-artifacts", "t", REGION))
    result = engine.execute(engine.preview(specs))
    assert result.ok
    assert live_stacks(cfn) == {"t-big": "CREATE_COMPLETE"}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="t-artifacts")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("templates/t/t-big-") and keys[0].endswith(".json")
    uploaded = json.loads(s3.get_object(Bucket="t-artifacts", Key=keys[0])["Body"].read())
    assert uploaded == template

    engine = make_engine(specs, upload=None)
    with pytest.raises(DeployError, match="over CloudFormation's 51200"):
        engine.preview([StackSpec("t-big2", template)])


def test_cycle_is_refused(make_engine):
    specs = [StackSpec("a", bucket_template(), ("b",)), StackSpec("b", bucket_template(), ("a",))]
    with pytest.raises(DeployError, match="cycle"):
        make_engine(specs).preview(specs)
