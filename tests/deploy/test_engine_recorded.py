"""The engine on recorded CloudFormation behaviour moto cannot produce.

moto gaps covered here: per-resource events, CREATE_FAILED with a "Resource creation cancelled"
cascade, ROLLBACK_COMPLETE after a failed first create (which must be deleted before creating
again), and change sets that FAIL for a reason other than "no changes". A small fake of our own
CloudFormationApi interface replays responses shaped like the real API's; no boto3 mocking.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hivemind.deploy import ChangeSetContext, DeployEngine, DeployError, StackSpec
from hivemind.deploy.cfn import WaitFailed

from .conftest import bucket_template, database_template
from .test_events import SUBNET_REASON

ACCOUNT_ARN = "arn:aws:cloudformation:us-east-1:123456789012"
T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)


class RecordedCloudFormation:
    """Our CloudFormationApi interface, answering from scripted stack histories."""

    def __init__(self, *, stacks=None, on_execute=None, change_set_failure=None):
        self.stacks: dict[str, dict] = stacks or {}  # name -> {"status":..., "template":..., "events": [...]}
        self.on_execute = on_execute or {}  # name -> (final status, events to append oldest first)
        self.change_set_failure = change_set_failure or {}  # name -> StatusReason
        self.calls: list[tuple[str, str]] = []
        self.tokens: list[str | None] = []
        self.change_sets: dict[str, dict] = {}

    def _stack(self, name):
        return self.stacks.get(name)

    def describe_stack(self, name):
        self.calls.append(("describe_stack", name))
        s = self._stack(name)
        if s is None:
            return None
        return {"StackName": name, "StackId": f"{ACCOUNT_ARN}:stack/{name}/1", "StackStatus": s["status"],
                "StackStatusReason": s.get("reason"), "Outputs": s.get("outputs", [])}

    def get_template(self, name):
        return self.stacks[name]["template"]

    def iter_events(self, name):
        yield from reversed(self.stacks.get(name, {}).get("events", []))

    def delete_stack(self, name):
        self.calls.append(("delete_stack", name))
        self.stacks.pop(name, None)

    def create_change_set(self, **kw):
        name = kw["StackName"]
        self.calls.append(("create_change_set", f"{name}:{kw['ChangeSetType']}"))
        if kw["ChangeSetType"] == "CREATE" and name not in self.stacks:
            self.stacks[name] = {"status": "REVIEW_IN_PROGRESS", "template": {}, "events": []}
        cs_id = f"{ACCOUNT_ARN}:changeSet/{kw['ChangeSetName']}/{len(self.change_sets)}"
        self.change_sets[cs_id] = {"stack": name, "type": kw["ChangeSetType"], "template": kw["TemplateBody"]}
        return {"Id": cs_id, "StackId": f"{ACCOUNT_ARN}:stack/{name}/1"}

    def wait_change_set(self, cs_id, stack_name):
        reason = self.change_set_failure.get(stack_name)
        if reason:
            raise WaitFailed("Waiter encountered a terminal failure state: For expression \"Status\" we matched "
                             "expected path: \"FAILED\"", {"Status": "FAILED", "StatusReason": reason})

    def describe_change_set(self, cs_id, stack_name):
        return {"Changes": [{"Type": "Resource", "ResourceChange": {
            "Action": "Add", "LogicalResourceId": lid, "ResourceType": r["Type"]}}
            for lid, r in self.stacks_template(cs_id).get("Resources", {}).items()]}

    def stacks_template(self, cs_id):
        import json
        return json.loads(self.change_sets[cs_id]["template"])

    def delete_change_set(self, cs_id, stack_name):
        self.calls.append(("delete_change_set", stack_name))
        self.change_sets.pop(cs_id, None)

    def execute_change_set(self, cs_id, stack_name, token=None):
        self.calls.append(("execute_change_set", stack_name))
        self.tokens.append(token)
        final, events = self.on_execute[stack_name]
        stack = self.stacks[stack_name]
        stack["events"].extend(events)
        stack["status"] = final

    def wait_stack(self, name, change_set_type):
        status = self.stacks[name]["status"]
        if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise WaitFailed("Waiter encountered a terminal failure state",
                             {"Stacks": [{"StackName": name, "StackStatus": status}]})


def ev(n, stack, logical, rtype, status, reason=None):
    raw = {"StackId": f"{ACCOUNT_ARN}:stack/{stack}/1", "EventId": f"{stack}-{logical}-{status}-{n}",
           "StackName": stack, "LogicalResourceId": logical, "PhysicalResourceId": "", "ResourceType": rtype,
           "Timestamp": T0 + timedelta(seconds=n), "ResourceStatus": status}
    if reason:
        raw["ResourceStatusReason"] = reason
    return raw


def engine_on(fake, **kw):
    return DeployEngine(lambda: fake, ChangeSetContext("orders-api", "stage-1"), region="us-east-1",
                        poll_interval=0.01, **kw)


def failed_data_create(stack="orders-api-data"):
    S = "AWS::CloudFormation::Stack"
    return [
        ev(1, stack, stack, S, "CREATE_IN_PROGRESS", "User Initiated"),
        ev(2, stack, "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "CREATE_IN_PROGRESS"),
        ev(3, stack, "DbSecret", "AWS::SecretsManager::Secret", "CREATE_IN_PROGRESS"),
        ev(4, stack, "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "CREATE_FAILED", SUBNET_REASON),
        ev(5, stack, "DbSecret", "AWS::SecretsManager::Secret", "CREATE_FAILED", "Resource creation cancelled"),
        ev(6, stack, stack, S, "ROLLBACK_IN_PROGRESS",
           "The following resource(s) failed to create: [DbSecret, DbSubnetGroup]. Rollback requested by user."),
        ev(7, stack, "DbSecret", "AWS::SecretsManager::Secret", "DELETE_COMPLETE"),
        ev(8, stack, "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "DELETE_COMPLETE"),
        ev(9, stack, stack, S, "ROLLBACK_COMPLETE"),
    ]


def test_failed_create_reports_the_resource_root_cause_and_skips_dependents():
    fake = RecordedCloudFormation(
        stacks={"orders-api-network": {"status": "CREATE_COMPLETE", "template": bucket_template(), "events": []}},
        on_execute={"orders-api-data": ("ROLLBACK_COMPLETE", failed_data_create())},
    )
    specs = [StackSpec("orders-api-network", bucket_template()),
             StackSpec("orders-api-data", database_template(), ("orders-api-network",)),
             StackSpec("orders-api-app-blue", bucket_template("b"), ("orders-api-data",))]
    fake.on_execute["orders-api-network"] = ("UPDATE_COMPLETE", [])
    engine = engine_on(fake)
    result = engine.execute(engine.preview(specs))
    data = result.outcomes["orders-api-data"]
    assert data.result == "failed" and data.stack_status == "ROLLBACK_COMPLETE"
    assert (data.root_cause.logical_id, data.root_cause.resource_type) == ("DbSubnetGroup", "AWS::RDS::DBSubnetGroup")
    assert result.error_line().startswith("orders-api-data: DbSubnetGroup (AWS::RDS::DBSubnetGroup): ")
    assert "cancelled" not in result.error_line()
    assert result.outcomes["orders-api-app-blue"].result == "skipped"
    assert ("execute_change_set", "orders-api-app-blue") not in fake.calls


def test_rollback_complete_stack_is_deleted_then_created_again():
    stack = "orders-api-data"
    fake = RecordedCloudFormation(
        stacks={stack: {"status": "ROLLBACK_COMPLETE", "template": {}, "events": failed_data_create()}},
        on_execute={stack: ("CREATE_COMPLETE", [ev(20, stack, stack, "AWS::CloudFormation::Stack", "CREATE_COMPLETE")])},
    )
    engine = engine_on(fake)
    previews = engine.preview([StackSpec(stack, bucket_template())])
    assert previews[0].change_set_type == "CREATE"
    result = engine.execute(previews)
    assert result.ok
    deleted_at = fake.calls.index(("delete_stack", stack))
    assert deleted_at < fake.calls.index(("create_change_set", f"{stack}:CREATE"))
    # The old failure's events are history, not this deploy's error.
    assert result.outcomes[stack].root_cause is None


def test_what_if_never_deletes_a_rollback_complete_stack():
    stack = "orders-api-data"
    fake = RecordedCloudFormation(stacks={stack: {"status": "ROLLBACK_COMPLETE", "template": {}, "events": []}})
    engine = engine_on(fake)
    previews = engine.preview([StackSpec(stack, database_template())], what_if=True)
    assert previews[0].recreate and [c.logical_id for c in previews[0].changes] == ["Database"]
    engine.discard(previews)
    assert not any(call[0] in ("delete_stack", "create_change_set") for call in fake.calls)
    assert fake.stacks[stack]["status"] == "ROLLBACK_COMPLETE"


def test_change_set_failing_for_a_real_reason_is_an_error_not_a_no_op():
    stack = "orders-api-edge"
    reason = "Template format error: Unresolved resource dependencies [TargetGroupBlue] in the Resources block"
    fake = RecordedCloudFormation(
        stacks={stack: {"status": "UPDATE_COMPLETE", "template": bucket_template(), "events": []}},
        change_set_failure={stack: reason})
    with pytest.raises(DeployError, match="orders-api-edge: change set failed: Template format error"):
        engine_on(fake).preview([StackSpec(stack, bucket_template("other"))])
    assert ("delete_change_set", stack) in fake.calls  # the failed change set is cleaned up


def test_change_set_without_changes_is_a_no_op_and_deleted():
    stack = "orders-api-edge"
    fake = RecordedCloudFormation(
        stacks={stack: {"status": "UPDATE_COMPLETE", "template": bucket_template(), "events": []}},
        change_set_failure={stack: "The submitted information didn't contain changes. Submit different "
                                   "information to create a change set."})
    engine = engine_on(fake)
    previews = engine.preview([StackSpec(stack, bucket_template())])
    assert previews[0].no_changes
    result = engine.execute(previews)
    assert result.outcomes[stack].result == "no changes"
    assert ("execute_change_set", stack) not in fake.calls
    assert ("delete_change_set", stack) in fake.calls


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED"])
def test_busy_or_stuck_stack_is_refused_with_one_line(status):
    stack = "orders-api-edge"
    fake = RecordedCloudFormation(stacks={stack: {"status": status, "template": {}, "events": []}})
    with pytest.raises(DeployError, match=f"orders-api-edge (is busy \\({status}\\)|is {status})"):
        engine_on(fake).preview([StackSpec(stack, bucket_template())])


def test_progress_shows_only_this_operations_newest_resource_events():
    from io import StringIO

    from rich.console import Console

    from hivemind.cli.progress import DeployProgress

    stack = "orders-api-data"
    old = failed_data_create()  # an earlier attempt, already in the stack's history
    fake = RecordedCloudFormation(
        stacks={stack: {"status": "UPDATE_COMPLETE", "template": bucket_template(), "events": list(old)}},
        on_execute={stack: ("UPDATE_ROLLBACK_COMPLETE", [
            ev(30, stack, stack, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
            ev(31, stack, "Data", "AWS::S3::Bucket", "UPDATE_IN_PROGRESS"),
            ev(32, stack, "Data", "AWS::S3::Bucket", "UPDATE_FAILED", "Bucket policy is invalid"),
            ev(33, stack, stack, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
               "The following resource(s) failed to update: [Data]. "),
            ev(34, stack, "Data", "AWS::S3::Bucket", "UPDATE_COMPLETE"),
            ev(35, stack, stack, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE"),
        ])})
    out = StringIO()
    progress = DeployProgress([stack], Console(file=out, width=200))
    engine = DeployEngine(lambda: fake, ChangeSetContext("orders-api", "stage-1"), region="us-east-1",
                          poll_interval=0.01, progress=progress)
    previews = engine.preview([StackSpec(stack, bucket_template("new-name"))])
    with progress:
        result = engine.execute(previews)
    assert result.outcomes[stack].root_cause.reason == "Bucket policy is invalid"
    shown = out.getvalue()
    assert "Data UPDATE_FAILED: Bucket policy is invalid" in shown and "Data UPDATE_COMPLETE" in shown
    assert "DbSubnetGroup" not in shown  # the old attempt's events are not this deploy's
    assert progress.status(stack) == "failed"


def test_abandoned_review_stack_is_cleared_before_a_fresh_create():
    """An interrupted run left a change set that was never executed (REVIEW_IN_PROGRESS: no
    resource exists). It is deleted first, so the new CREATE finds one stack by that name (moto
    would otherwise keep a second, stale record; real CloudFormation reuses the review stack)."""
    stack = "orders-api-edge"
    fake = RecordedCloudFormation(
        stacks={stack: {"status": "REVIEW_IN_PROGRESS", "template": {}, "events": []}},
        on_execute={stack: ("CREATE_COMPLETE", [])})
    engine = engine_on(fake)
    previews = engine.preview([StackSpec(stack, bucket_template())])
    assert previews[0].change_set_type == "CREATE"
    calls = [c for c in fake.calls if c[0] in ("delete_stack", "create_change_set")]
    assert calls[:2] == [("delete_stack", stack), ("create_change_set", f"{stack}:CREATE")]
    assert engine.execute(previews).ok


class SlowStackCloudFormation(RecordedCloudFormation):
    """The execution starts a resource (one IN_PROGRESS event), then CloudFormation is quiet for a while:
    a real RDS create shows exactly this for 5-15 minutes (moto gap: it emits no per-resource events)."""

    def __init__(self, quiet_for: float, **kw):
        super().__init__(**kw)
        self.quiet_for = quiet_for

    def wait_stack(self, name, change_set_type):
        import time
        time.sleep(self.quiet_for)
        stack = self.stacks[name]
        stack["events"].append(ev(30, name, "Database", "AWS::RDS::DBInstance", "CREATE_COMPLETE"))
        stack["status"] = "CREATE_COMPLETE"


class StatusLog:
    def __init__(self):
        self.statuses: list[tuple[str, str]] = []

    def set_status(self, stack, status):
        self.statuses.append((stack, status))

    def add_events(self, stack, events):
        pass


def test_a_quiet_stack_is_reported_with_what_it_waits_on_never_in_silence():
    stack = "orders-api-data"
    started = [ev(10, stack, stack, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"),
               ev(11, stack, "Database", "AWS::RDS::DBInstance", "CREATE_IN_PROGRESS", "Resource creation Initiated")]
    fake = SlowStackCloudFormation(0.6, on_execute={stack: ("CREATE_IN_PROGRESS", started)})
    log = StatusLog()
    engine = engine_on(fake, progress=log, stall_notice=0.2)
    result = engine.execute(engine.preview([StackSpec(stack, database_template())]))
    assert result.ok
    stalls = [s for name, s in log.statuses if name == stack and s.startswith("no new event for")]
    assert stalls, log.statuses
    assert "still in progress: Database (AWS::RDS::DBInstance)" in stalls[0]
    # Said once per quiet window, not on every poll.
    assert len(stalls) <= 3


def test_a_stack_with_steady_events_is_never_called_quiet():
    stack = "orders-api-data"
    started = [ev(10, stack, "Database", "AWS::RDS::DBInstance", "CREATE_IN_PROGRESS")]
    fake = SlowStackCloudFormation(0.3, on_execute={stack: ("CREATE_IN_PROGRESS", started)})
    log = StatusLog()
    engine = engine_on(fake, progress=log, stall_notice=5.0)
    assert engine.execute(engine.preview([StackSpec(stack, database_template())])).ok
    assert not [s for _, s in log.statuses if s.startswith("no new event")]
