"""A stack that drops out of the plan (the database or the web service removed from hivemind.yaml)
is shown by the what-if, guarded when it holds data, and deleted after the rest deployed."""
from __future__ import annotations

import boto3
import pytest
import yaml
from rich.console import Console

from hivemind.deploy import ReplacementRefused, StackSpec
from hivemind.cli.what_if import print_what_if
from hivemind.deploy.guard import enforce
from hivemind.state import DeploymentStatus, load_state
from hivemind.workflows.deploy import deploy

from .conftest import NAME, REGION, app_template, bucket_template, live_stacks, network_template, three_stacks

FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}


def test_a_stack_left_out_of_the_plan_is_previewed_guarded_and_deleted_last(make_engine, cfn):
    specs = three_stacks()
    engine = make_engine(specs)
    assert engine.execute(engine.preview(specs)).ok
    assert set(live_stacks(cfn)) == {"t-network", "t-data", "t-app"}

    # The plan no longer renders t-data (its bucket is stateful); the app stack changes too.
    kept = [StackSpec("t-network", network_template()), StackSpec("t-app", app_template("v2"), ("t-network",))]
    engine = make_engine(kept)
    previews = engine.preview(kept, retire=("t-data",))
    retiring = [p for p in previews if p.retire]
    assert [p.name for p in retiring] == ["t-data"]
    assert [(c.action, c.logical_id, c.resource_type) for c in retiring[0].changes] == [
        ("Remove", "Data", "AWS::S3::Bucket")]
    with pytest.raises(ReplacementRefused) as exc:
        enforce(previews, REGION, allow_replacement=False)
    assert str(exc.value).startswith("refusing to delete stateful resource Data (AWS::S3::Bucket) in t-data: "
                                     "would be deleted with its stack (t-data is no longer in the plan)")
    engine.discard(previews)
    assert set(live_stacks(cfn)) == {"t-network", "t-data", "t-app"}  # the refusal deleted nothing

    engine = make_engine(kept, allow_replacement=True)
    previews = engine.preview(kept, retire=("t-data",))
    result = engine.execute(previews)
    assert result.ok and result.deleted == ["t-data"]
    assert set(result.changed) == {"t-app", "t-data"}
    # Deleted only after every stack still in the plan finished (they may read its values).
    last_kept = max(result.outcomes[n].finished_seq for n in ("t-network", "t-app"))
    assert result.outcomes["t-data"].started_seq > last_kept
    assert set(live_stacks(cfn)) == {"t-network", "t-app"}


def test_a_failed_update_keeps_the_retiring_stack(make_engine, cfn):
    specs = three_stacks()
    engine = make_engine(specs)
    assert engine.execute(engine.preview(specs)).ok
    # The app stack's update fails when executed (moto: a GetAtt on a resource it ignores fails
    # the ExecuteChangeSet call): t-data must not be deleted.
    broken_app = {"Resources": {
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "MetricName": "m", "Namespace": "n", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
            "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}},
        "P": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": "/t/alarm", "Type": "String", "Value": {"Fn::GetAtt": ["Alarm", "Arn"]}}},
    }}
    broken = [StackSpec("t-network", network_template()), StackSpec("t-app", broken_app, ("t-network",))]
    engine = make_engine(broken, allow_replacement=True)
    result = engine.execute(engine.preview(broken, retire=("t-data",)))
    assert result.outcomes["t-app"].result == "failed"
    assert result.outcomes["t-data"].result == "skipped" and result.deleted == []
    assert "t-data" in live_stacks(cfn)


def test_stacks_not_tagged_for_the_deployment_are_never_retired(make_engine, cfn):
    # Same name pattern, made by someone else: not ours to delete, not even to mention.
    cfn.create_stack(StackName="t-data", TemplateBody=yaml.safe_dump(bucket_template()))
    kept = [StackSpec("t-network", network_template())]
    engine = make_engine(kept, allow_replacement=True)
    previews = engine.preview(kept, retire=("t-data", "t-edge"))
    assert [p.name for p in previews] == ["t-network"]
    assert engine.execute(previews).deleted == []
    assert "t-data" in live_stacks(cfn)


def test_removing_the_database_from_the_plan_needs_allow_replacement(aws, repo, capsys):
    cfn = boto3.client("cloudformation", region_name=REGION)
    deploy(repo, stage="stage-1", yes=True, **FAST)
    data = f"{NAME}-data"
    assert data in live_stacks(cfn)
    plan_file = repo / "hivemind.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["database"] = None
    plan_file.write_text(yaml.safe_dump(plan))

    capsys.readouterr()
    preview = deploy(repo, what_if=True, **FAST)
    shown = capsys.readouterr().out
    assert [p.name for p in preview.previews if p.retire] == [data]
    assert f"{data}: will be deleted, no longer in the plan" in shown
    assert "would be replaced or deleted: deploying needs" in shown
    assert {(v.stack, v.resource_type) for v in preview.violations} == {
        (data, "AWS::RDS::DBInstance"), (data, "AWS::SecretsManager::Secret")}
    assert data in live_stacks(cfn)

    with pytest.raises(ReplacementRefused) as exc:
        deploy(repo, yes=True, **FAST)
    assert exc.value.exit_code == 3
    assert str(exc.value).startswith("refusing to delete stateful resource DatabaseInstance")
    assert "(AWS::RDS::DBInstance)" in str(exc.value)
    assert data in live_stacks(cfn)
    assert load_state(NAME).status is DeploymentStatus.COMPLETED

    asked: list[str] = []
    result = deploy(repo, allow_replacement=True, confirm=lambda q: asked.append(q) or True, **FAST)
    assert f"and delete 1 stack(s) no longer in the plan ({data})" in asked[0]
    assert result.ok and result.engine.deleted == [data]
    assert data not in live_stacks(cfn)
    assert boto3.client("rds", region_name=REGION).describe_db_instances()["DBInstances"] == []
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and data not in state.stacks


def test_what_if_heading_counts_the_resources_of_a_retiring_stack():
    from hivemind.deploy import ResourceChange
    from hivemind.deploy.changeset import StackPreview

    preview = StackPreview(StackSpec("x-edge", {}), "DELETE", [ResourceChange("Remove", "Alb", "AWS::ElasticLoadBalancingV2::LoadBalancer")],
                           retire=True)
    console = Console(record=True, width=120)
    print_what_if(console, [preview], [])
    text = console.export_text()
    assert "x-edge: will be deleted, no longer in the plan (1 resource)" in text
    assert "Remove" in text and "deleted (stateful!)" not in text  # an ALB holds no data


def test_the_confirmation_names_what_is_deployed_and_what_is_deleted():
    from hivemind.deploy import ResourceChange
    from hivemind.deploy.changeset import StackPreview
    from hivemind.workflows.rollout import confirm_question

    retiring = StackPreview(StackSpec("x-data", {}), "DELETE", [ResourceChange("Remove", "Db", "AWS::RDS::DBInstance")],
                            retire=True)
    updating = StackPreview(StackSpec("x-app-blue", {}), "UPDATE", [ResourceChange("Modify", "Asg", "AWS::AutoScaling::AutoScalingGroup")])
    quiet = StackPreview(StackSpec("x-network", {}), "UPDATE", no_changes=True)
    asked = [confirm_question([quiet, retiring]), confirm_question([quiet, updating, retiring])]
    assert asked == ["Delete 1 stack(s) no longer in the plan (x-data)?",
                     "Deploy changes to 1 stack(s) (x-app-blue) and delete 1 stack(s) no longer in the plan (x-data)?"]
