"""Root cause and event following, on event sequences shaped exactly like real CloudFormation's.

moto gap covered: moto writes only stack-level events (no per-resource CREATE_FAILED, no
"Resource creation cancelled" cascade, no ROLLBACK_* events), so these sequences are copied in
the shape of real DescribeStackEvents responses (newest first) instead.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hivemind.deploy.events import EventTracker, StackEvent, is_cascade, root_causes

STACK = "orders-api-data"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/5f1b2c40-8a1e-11ef-9b3a-0affd3c2e1a1"
T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)
SUBNET_REASON = (
    "Resource handler returned message: \"The DB subnet group doesn't meet Availability Zone (AZ) coverage "
    "requirement. Current AZ coverage: us-east-1a. Add subnets to cover at least 2 AZs. (Service: Rds, Status "
    "Code: 400, Request ID: 2b9f0c1e-4a57-4b1c-9a39-9c1d1f5e2b11)\" (RequestToken: 6c1f, HandlerErrorCode: "
    "InvalidRequest)"
)


def event(n: int, logical: str, rtype: str, status: str, reason: str | None = None, physical: str = "") -> dict:
    raw = {
        "StackId": STACK_ID, "EventId": f"{logical}-{status}-{n}", "StackName": STACK,
        "LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": rtype,
        "Timestamp": T0 + timedelta(seconds=n), "ResourceStatus": status,
    }
    if reason is not None:
        raw["ResourceStatusReason"] = reason
    return raw


def failed_create_sequence() -> list[dict]:
    """A first create of the data stack failing on the subnet group; newest first like the API."""
    chronological = [
        event(0, STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated", STACK_ID),
        event(1, "DbSecret", "AWS::SecretsManager::Secret", "CREATE_IN_PROGRESS"),
        event(2, "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "CREATE_IN_PROGRESS"),
        event(3, "DbSecret", "AWS::SecretsManager::Secret", "CREATE_IN_PROGRESS", "Resource creation Initiated",
              "arn:aws:secretsmanager:us-east-1:123456789012:secret:hivemind/orders-api/db-AbCdEf"),
        event(4, "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "CREATE_FAILED", SUBNET_REASON),
        event(5, "DbSecret", "AWS::SecretsManager::Secret", "CREATE_FAILED", "Resource creation cancelled"),
        event(6, STACK, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS",
              "The following resource(s) failed to create: [DbSecret, DbSubnetGroup]. Rollback requested by user.",
              STACK_ID),
        event(7, "DbSecret", "AWS::SecretsManager::Secret", "DELETE_COMPLETE"),
        event(8, "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "DELETE_COMPLETE"),
        event(9, STACK, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", None, STACK_ID),
    ]
    return list(reversed(chronological))


def test_root_cause_is_the_first_real_failure_not_the_cascade():
    causes = root_causes(StackEvent.from_api(e) for e in failed_create_sequence())
    assert [c.logical_id for c in causes] == ["DbSubnetGroup"]
    assert causes[0].resource_type == "AWS::RDS::DBSubnetGroup"
    assert "(AZ) coverage requirement" in causes[0].reason
    line = causes[0].one_line()
    assert line.startswith("orders-api-data: DbSubnetGroup (AWS::RDS::DBSubnetGroup): Resource handler")
    assert "\n" not in line


def test_update_failure_ignores_update_cancelled_and_rollback_noise():
    chronological = [
        event(0, STACK, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated", STACK_ID),
        event(1, "Cache", "AWS::ElastiCache::ReplicationGroup", "UPDATE_IN_PROGRESS"),
        event(2, "Database", "AWS::RDS::DBInstance", "UPDATE_IN_PROGRESS"),
        event(3, "Database", "AWS::RDS::DBInstance", "UPDATE_FAILED",
              "Resource handler returned message: \"Cannot upgrade postgres from 16.4 to 15.7\""),
        event(4, "Cache", "AWS::ElastiCache::ReplicationGroup", "UPDATE_FAILED", "Resource update cancelled"),
        event(5, STACK, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
              "The following resource(s) failed to update: [Cache, Database]. ", STACK_ID),
        event(6, STACK, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", None, STACK_ID),
    ]
    causes = root_causes(StackEvent.from_api(e) for e in reversed(chronological))
    assert [(c.logical_id, c.resource_type) for c in causes] == [("Database", "AWS::RDS::DBInstance")]
    assert "Cannot upgrade postgres" in causes[0].reason


def test_stack_level_reason_counts_when_no_resource_failed():
    # e.g. a template parameter that fails validation at execution: only the stack fails.
    chronological = [
        event(0, STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated", STACK_ID),
        event(1, STACK, "AWS::CloudFormation::Stack", "CREATE_FAILED",
              "Parameters: [VpcId] must have values", STACK_ID),
    ]
    causes = root_causes(StackEvent.from_api(e) for e in reversed(chronological))
    assert [c.reason for c in causes] == ["Parameters: [VpcId] must have values"]


def test_successful_sequence_has_no_root_cause():
    ok = [event(0, STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated", STACK_ID),
          event(1, "Bucket", "AWS::S3::Bucket", "CREATE_COMPLETE"),
          event(2, STACK, "AWS::CloudFormation::Stack", "CREATE_COMPLETE", None, STACK_ID)]
    assert root_causes(StackEvent.from_api(e) for e in reversed(ok)) == []


def test_cascade_reasons_are_recognised():
    assert is_cascade("Resource creation cancelled")
    assert is_cascade("The following resource(s) failed to create: [A, B]. Rollback requested by user.")
    assert not is_cascade(SUBNET_REASON)


def test_tracker_ignores_history_and_dedupes_across_polls():
    history = failed_create_sequence()  # a previous attempt's events
    tracker = EventTracker(STACK)
    tracker.prime(iter(history))

    new_first = [event(20, STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated", STACK_ID),
                 event(21, "Bucket", "AWS::S3::Bucket", "CREATE_IN_PROGRESS")]
    polled = tracker.poll(iter(list(reversed(new_first)) + history))
    assert [e.event_id for e in polled] == [e["EventId"] for e in new_first]  # oldest first

    later = [event(22, "Bucket", "AWS::S3::Bucket", "CREATE_COMPLETE")]
    # The second poll sees the whole list again: only the one unseen event is new.
    polled = tracker.poll(iter(later + list(reversed(new_first)) + history))
    assert [e.event_id for e in polled] == ["Bucket-CREATE_COMPLETE-22"]
    assert len(tracker.events) == 3
    assert tracker.root_causes() == []  # the old attempt's failure is not this operation's


def test_tracker_stops_reading_at_the_first_seen_event():
    tracker = EventTracker(STACK)
    tracker.prime(iter([event(0, "A", "AWS::S3::Bucket", "CREATE_COMPLETE")]))
    consumed = []

    def pages():
        for raw in [event(1, "B", "AWS::S3::Bucket", "CREATE_COMPLETE"), event(0, "A", "AWS::S3::Bucket", "CREATE_COMPLETE"),
                    event(-1, "Z", "AWS::S3::Bucket", "CREATE_COMPLETE")]:
            consumed.append(raw["EventId"])
            yield raw

    tracker.poll(pages())
    assert consumed == ["B-CREATE_COMPLETE-1", "A-CREATE_COMPLETE-0"]  # older pages never fetched
