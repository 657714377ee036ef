"""Stateful-replacement guard: from create-only properties (cfn-lint's schemas) and change sets."""
from __future__ import annotations

import boto3
import pytest

from hivemind.deploy import ReplacementRefused, StackSpec
from hivemind.deploy.changeset import ResourceChange, StackPreview
from hivemind.deploy.guard import (
    create_only_properties, enforce, find_violations, template_violations,
)

from .conftest import REGION, bucket_template, database_template, live_stacks


def test_create_only_properties_come_from_the_provider_schema():
    rds = create_only_properties("AWS::RDS::DBInstance", REGION)
    assert ("DBName",) in rds and ("MasterUsername",) in rds
    assert ("EngineVersion",) not in rds  # an in-place (if disruptive) update
    assert ("BucketName",) in create_only_properties("AWS::S3::Bucket", REGION)
    assert create_only_properties("AWS::Not::AType", REGION) == ()


def test_template_diff_flags_create_only_change_removal_and_ignores_in_place_changes():
    old = {"Resources": {**database_template()["Resources"], **bucket_template()["Resources"]}}
    new_db = database_template(db_name="orders")
    found = template_violations("t-data", old, new_db, REGION)
    by_id = {v.logical_id: v for v in found}
    assert by_id["Database"].properties == ("DBName",)
    assert "DBName is create-only" in by_id["Database"].why
    assert "deleted" in by_id["Data"].why  # the bucket left the template

    in_place = database_template()
    in_place["Resources"]["Database"]["Properties"]["EngineVersion"] = "16.6"
    in_place["Resources"]["Data"] = bucket_template()["Resources"]["Data"]
    assert template_violations("t-data", old, in_place, REGION) == []


def test_change_set_replacement_on_stateful_type_is_flagged_but_not_on_stateless():
    spec = StackSpec("orders-api-data", database_template())
    preview = StackPreview(spec, "UPDATE", changes=[
        ResourceChange("Modify", "Database", "AWS::RDS::DBInstance", "Conditional", ("Engine",)),
        ResourceChange("Modify", "AppSg", "AWS::EC2::SecurityGroup", "True", ("GroupDescription",)),
        ResourceChange("Modify", "Cache", "AWS::ElastiCache::ReplicationGroup", "False", ("CacheNodeType",)),
    ])
    with pytest.raises(ReplacementRefused) as exc:
        enforce([preview], REGION, allow_replacement=False)
    message = str(exc.value)
    assert message.startswith("refusing to replace stateful resource Database (AWS::RDS::DBInstance) in "
                              "orders-api-data: may be replaced (property Engine)")
    assert message.endswith("rerun with --allow-replacement after taking a snapshot")
    assert "\n" not in message
    assert [v.logical_id for v in enforce([preview], REGION, allow_replacement=True)] == ["Database"]


def test_no_change_previews_are_never_flagged():
    preview = StackPreview(StackSpec("s", bucket_template("x")), "UPDATE", no_changes=True,
                           old_template=bucket_template("y"))
    assert find_violations([preview], REGION) == []


def _db_name(stack: str) -> str:
    rds = boto3.client("rds", region_name=REGION)
    return rds.describe_db_instances(DBInstanceIdentifier="t-db")["DBInstances"][0]["DBName"]


def test_guard_refuses_a_create_only_db_change_before_executing_anything(make_engine, cfn):
    first = [StackSpec("t-data", database_template("app")), StackSpec("t-files", bucket_template())]
    engine = make_engine(first)
    assert engine.execute(engine.preview(first)).ok
    assert _db_name("t-data") == "app"
    before = {s["StackName"]: s.get("LastUpdatedTime") for s in cfn.describe_stacks()["Stacks"]}

    # DBName is create-only; the bucket change (different, non-stateful tag) is harmless on its own.
    changed = [StackSpec("t-data", database_template("orders")),
               StackSpec("t-files", {"Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {
                   "BucketName": "t-data-bucket", "Tags": [{"Key": "k", "Value": "v"}]}}}})]
    engine = make_engine(changed)
    previews = engine.preview(changed)
    with pytest.raises(ReplacementRefused, match=r"Database \(AWS::RDS::DBInstance\) in t-data: property DBName"):
        enforce(previews, REGION, allow_replacement=False)
    engine.discard(previews)
    after = {s["StackName"]: s.get("LastUpdatedTime") for s in cfn.describe_stacks()["Stacks"]}
    assert after == before and _db_name("t-data") == "app"  # nothing executed, in any stack

    # With --allow-replacement the same change goes through.
    engine = make_engine(changed, allow_replacement=True)
    previews = engine.preview(changed)
    assert enforce(previews, REGION, allow_replacement=True)
    result = engine.execute(previews)
    assert result.ok and set(result.changed) == {"t-data", "t-files"}
    assert live_stacks(cfn)["t-data"] == "UPDATE_COMPLETE"


def test_guard_also_runs_on_change_sets_made_later_in_the_dag(make_engine, cfn):
    # t-data depends on t-net; t-net changes, so t-data's change set is re-made at execution
    # time and must be checked again there.
    net = {"Resources": {"P": {"Type": "AWS::SSM::Parameter",
                               "Properties": {"Name": "/t/x", "Type": "String", "Value": "1"}}}}
    specs = [StackSpec("t-net", net), StackSpec("t-data", database_template("app"), ("t-net",))]
    engine = make_engine(specs)
    assert engine.execute(engine.preview(specs)).ok
    net2 = {"Resources": {"P": {"Type": "AWS::SSM::Parameter",
                                "Properties": {"Name": "/t/x", "Type": "String", "Value": "2"}}}}
    specs2 = [StackSpec("t-net", net2), StackSpec("t-data", database_template("orders"), ("t-net",))]
    engine = make_engine(specs2)
    # Skip the up-front enforce on purpose: the engine's own check must catch it.
    result = engine.execute(engine.preview(specs2))
    assert result.outcomes["t-net"].result == "completed"
    assert result.outcomes["t-data"].result == "refused"
    assert "DBName" in result.error_line()
    assert _db_name("t-data") == "app"
