"""A traffic shift carries CloudFormation rollback triggers on the new colour's alarms, and an
alarm that fires during the bake is reported as CloudFormation's rollback of the edge.

moto gaps covered here: its CloudFormation creates no CloudWatch alarms (so the test creates the
colour's two alarms itself with put_metric_alarm, as the observability stack would) and it never
evaluates rollback triggers nor rolls a stack back (so the edge's completion wait is answered the
way real CloudFormation answers it when a trigger fires: the stack ends UPDATE_ROLLBACK_COMPLETE,
with the trigger named in the stack's reason)."""
from __future__ import annotations

import boto3
import pytest

from hivemind.deploy.cfn import CloudFormationApi, WaitFailed
from hivemind.errors import HivemindError
from hivemind.render.names import colour_alarm_names, stack_name
from hivemind.state import DeploymentStatus, load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.update import update

from .test_releases_moto import FAST, NAME, REGION, TUNING, change_code, listener_colour, live_stacks


def test_the_shift_is_watched_by_the_new_colours_alarms_and_a_firing_alarm_is_reported(aws, repo, monkeypatch):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for alarm in colour_alarm_names(NAME, "web", "green"):
        cloudwatch.put_metric_alarm(AlarmName=alarm, MetricName="HTTPCode_Target_5XX_Count",
                                    Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60,
                                    EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    edge = stack_name(NAME, "edge")
    sent: dict[str, dict] = {}
    real_create = CloudFormationApi.create_change_set

    def recording_create(self, **kwargs):
        if kwargs["StackName"] == edge:
            sent[kwargs["ChangeSetName"]] = kwargs
        return real_create(self, **kwargs)

    def trigger_fires(self, name, change_set_type):
        if name == edge and any("RollbackConfiguration" in k for k in sent.values()):
            raise WaitFailed("Waiter encountered a terminal failure state", {"Stacks": [{
                "StackName": edge, "StackStatus": "UPDATE_ROLLBACK_COMPLETE",
                "StackStatusReason": f"Rollback trigger {colour_alarm_names(NAME, 'web', 'green')[1]} is in ALARM "
                                     "state during the monitoring period"}]})
        return real_wait(self, name, change_set_type)

    real_wait = CloudFormationApi.wait_stack
    monkeypatch.setattr(CloudFormationApi, "create_change_set", recording_create)
    monkeypatch.setattr(CloudFormationApi, "wait_stack", trigger_fires)

    change_code(repo, "v2")
    with pytest.raises(HivemindError) as exc:
        update(NAME, repo, bake=120, yes=True, tuning=TUNING, healthy_timeout=2)
    # The shift's change set named both alarms as triggers and asked for the bake as monitoring time.
    configs = [k["RollbackConfiguration"] for k in sent.values() if "RollbackConfiguration" in k]
    assert len(configs) == 1
    assert configs[0]["MonitoringTimeInMinutes"] == 2
    arns = sorted(t["Arn"] for t in configs[0]["RollbackTriggers"])
    assert arns == sorted(f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{a}" for a in colour_alarm_names(NAME, "web", "green"))
    # Reported as the rollback it is; traffic is where it was; the release did not go live.
    assert "rolled back by CloudFormation" in str(exc.value) and "traffic is on blue" in str(exc.value)
    assert "Rollback trigger" in str(exc.value)
    state = load_state(NAME)
    assert state.status is DeploymentStatus.AWAITING_FIX and state.failed_stage == "shift"
    assert state.active_color == "blue" and state.live_release.label == "v1"
    assert [r.outcome for r in state.releases] == ["live", "failed"]
    assert state.failure.stack == edge and state.failure.phase == "shift"
    assert state.failure.status == "UPDATE_ROLLBACK_COMPLETE"
    # (moto applied the edge update and cannot roll it back, so its listener is not checked here.)


def test_without_alarms_or_bake_the_shift_carries_no_rollback_configuration(aws, repo, monkeypatch):
    """Stage-1 defaults (bake 0) and no alarms in the account (moto creates none): CloudFormation
    refuses a trigger naming a missing alarm, so none is sent."""
    deploy(repo, stage="stage-1", yes=True, **FAST)
    sent: list[dict] = []
    real_create = CloudFormationApi.create_change_set
    monkeypatch.setattr(CloudFormationApi, "create_change_set",
                        lambda self, **kw: sent.append(kw) or real_create(self, **kw))
    change_code(repo, "v2")
    update(NAME, repo, yes=True, tuning=TUNING, healthy_timeout=2)
    assert sent and not any("RollbackConfiguration" in k for k in sent)
    assert listener_colour() == "green" and stack_name(NAME, "app", "blue") not in live_stacks()
