"""`hivemind upgrade ID --to-production` on moto from a machine with no repository and no local
state: what-if changes nothing; the upgrade keeps the database's logical and physical id.

moto gap: an RDS property change made through a CloudFormation update completes but
describe_db_instances keeps the old values, so MultiAZ, backups and deletion protection are
checked in the deployed template, and the database by its unchanged physical id."""
from __future__ import annotations

import json
import shutil

import boto3
import pytest

from hivemind.errors import HivemindError
from hivemind.paths import deployment_dir
from hivemind.render.names import stack_name
from hivemind.state import load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.upgrade import upgrade

from .test_releases_moto import FAST, NAME, REGION, TUNING, live_stacks

HTTP_ONLY = "test deployment on a moto server, no certificate"


def data_template() -> dict:
    return boto3.client("cloudformation", region_name=REGION).get_template(
        StackName=stack_name(NAME, "data"))["TemplateBody"]


def test_upgrade_to_production_in_place(aws, repo, tmp_path, monkeypatch):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    rds = boto3.client("rds", region_name=REGION)
    db_before = rds.describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"][0]["DbiResourceId"]
    # A CI runner: empty folder, fresh HIVEMIND_HOME; the plan and state come from AWS.
    shutil.rmtree(deployment_dir(NAME))
    monkeypatch.chdir(tmp_path)

    stacks = live_stacks()
    preview = upgrade(NAME, what_if=True, http_only_reason=HTTP_ONLY, tuning=TUNING)
    assert preview.what_if and any(not p.no_changes for p in preview.previews)
    assert live_stacks() == stacks
    assert preview.violations == []  # nothing stateful would be replaced
    assert load_state(NAME).stage == "stage-1"

    with pytest.raises(HivemindError, match="--certificate-arn") as exc:
        upgrade(NAME, yes=True, tuning=TUNING)
    assert exc.value.exit_code == 2

    try:
        result = upgrade(NAME, bake=0, yes=True, http_only_reason=HTTP_ONLY, tuning=TUNING, healthy_timeout=2)
    except HivemindError as exc:
        # moto 5.2.5 gap: after the first wave updated the production edge (its listeners' tags),
        # moto's second listener update (the traffic shift) fails inside moto with
        # KeyError 'TargetGroupArn' (HTTP 500), although the template's forward action names its
        # target group. Real CloudFormation has no such failure; the shift is proven on stage-1
        # (test_releases_moto). What the first wave did in place is still checked below.
        assert "edge" in str(exc) and "HTTP 500" in str(exc), str(exc)
        state = load_state(NAME)
        assert state.failure.stack == stack_name(NAME, "edge") and state.failure.phase == "shift"
        assert state.active_color == "blue" and state.stage == "stage-1"  # not recorded as done
        _check_data_upgraded_in_place(rds, db_before)
        pytest.xfail("moto cannot update the production edge's listener a second time (see comment)")
    assert result.lifecycle.status == "succeeded" and result.lifecycle.active_color == "green"
    state = load_state(NAME)
    assert state.stage == "production" and state.plan.stage == "production"
    assert state.live_release.strategy == "upgrade"
    _check_data_upgraded_in_place(rds, db_before)
    _check_production_fleet_and_protection()

    with pytest.raises(HivemindError, match="in production already") as exc:
        upgrade(NAME, yes=True, http_only_reason=HTTP_ONLY, tuning=TUNING)
    assert exc.value.exit_code == 2


def _check_data_upgraded_in_place(rds, db_before: str) -> None:
    """Same logical id, same physical id, production settings in the deployed template."""
    template = data_template()
    dbs = {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::RDS::DBInstance"}
    primary = next(r for r in dbs.values() if "SourceDBInstanceIdentifier" not in r["Properties"])
    assert primary["Properties"]["MultiAZ"] is True
    assert int(primary["Properties"]["BackupRetentionPeriod"]) >= 7
    assert primary["Properties"]["DeletionProtection"] is True
    assert rds.describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"][0]["DbiResourceId"] == db_before
    assert any("SourceDBInstanceIdentifier" in r["Properties"] for r in dbs.values())  # a read replica
    # (moto does not show the replica itself: describing it answers HTTP 500, since its production
    # parameter group is a Ref moto keeps unresolved; the deployed template above is the proof.)


def _check_production_fleet_and_protection() -> None:
    # Every Auto Scaling group has at least two instances; the stage-1 colour is gone.
    groups = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups()["AutoScalingGroups"]
    live_groups = [g for g in groups if g["AutoScalingGroupName"].endswith("-green")]
    assert live_groups and all(g["MinSize"] >= 2 for g in live_groups)
    assert stack_name(NAME, "app", "blue") not in live_stacks()
    # The data stack refuses replacement and deletion by policy; data and network are protected.
    cfn = boto3.client("cloudformation", region_name=REGION)
    policy = json.loads(cfn.get_stack_policy(StackName=stack_name(NAME, "data"))["StackPolicyBody"])
    assert {"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Principal": "*",
            "Resource": "*"} in policy["Statement"]
    for name in (stack_name(NAME, "data"), stack_name(NAME, "network")):
        assert cfn.describe_stacks(StackName=name)["Stacks"][0]["EnableTerminationProtection"] is True
