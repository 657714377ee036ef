"""Offline: the deletion order and the blocking resources of a DELETE_FAILED stack.

moto has no per-resource stack events (AWS-OFFLINE-NOTES.md), so `blocking_resources` is fed
events shaped exactly like real CloudFormation's."""
from __future__ import annotations

from hivemind.deploy.changeset import StackPreview, StackSpec
from hivemind.deploy.engine import DELETED, EngineResult, StackOutcome
from hivemind.workflows.destroy import blocking_resources, snapshot_name
from hivemind.workflows.rollback import execute_deletions

NAME = "shop"


class FakeRollout:
    def __init__(self):
        self.waves: list[list[str]] = []

    def execute(self, engine, previews):
        assert all(p.spec.dependencies == () for p in previews)  # one wave never waits inside
        self.waves.append(sorted(p.name for p in previews))
        return EngineResult({p.name: StackOutcome(p.name, DELETED) for p in previews})


def retire(name: str, dependents: tuple[str, ...]) -> StackPreview:
    return StackPreview(StackSpec(name, {}, dependents), "DELETE", [], retire=True)


def test_deletions_run_in_reverse_dependency_waves():
    colours = (f"{NAME}-app-blue", f"{NAME}-app-green", f"{NAME}-observability")
    previews = [
        retire(f"{NAME}-network", (f"{NAME}-data", f"{NAME}-edge", *colours)),
        retire(f"{NAME}-data", colours),
        retire(f"{NAME}-edge", colours),
        *[retire(c, ()) for c in colours],
    ]
    rollout = FakeRollout()
    result = execute_deletions(rollout, None, previews)
    assert rollout.waves == [sorted(colours), [f"{NAME}-data", f"{NAME}-edge"], [f"{NAME}-network"]]
    assert set(result.deleted) == {p.name for p in previews}


class EventsApi:
    def __init__(self, events):
        self.events = events

    def iter_events(self, name):
        yield from self.events


def test_blocking_resources_named_from_delete_failed_events():
    events = [  # newest first, as describe_stack_events returns them
        {"LogicalResourceId": "shop-network", "ResourceType": "AWS::CloudFormation::Stack",
         "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": "The following resource(s) failed to delete: [Vpc, AppSubnet1]."},
        {"LogicalResourceId": "Vpc", "ResourceType": "AWS::EC2::VPC", "PhysicalResourceId": "vpc-1",
         "ResourceStatus": "DELETE_FAILED",
         "ResourceStatusReason": "The vpc 'vpc-1' has dependencies and cannot be deleted. (Service: Ec2, Status Code: 400)"},
        {"LogicalResourceId": "AppSubnet1", "ResourceType": "AWS::EC2::Subnet", "PhysicalResourceId": "subnet-1",
         "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": "The subnet 'subnet-1' has dependencies (ENI eni-9)"},
        {"LogicalResourceId": "Vpc", "ResourceType": "AWS::EC2::VPC", "ResourceStatus": "DELETE_IN_PROGRESS"},
        {"LogicalResourceId": "Vpc", "ResourceType": "AWS::EC2::VPC", "PhysicalResourceId": "vpc-1",
         "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": "an older attempt"},
    ]
    blocking = blocking_resources(EventsApi(events), "shop-network")
    assert [(b["logical_id"], b["type"]) for b in blocking] == [("Vpc", "AWS::EC2::VPC"), ("AppSubnet1", "AWS::EC2::Subnet")]
    assert "has dependencies" in blocking[0]["reason"] and "eni-9" in blocking[1]["reason"]


def test_snapshot_name_is_id_final_utc_timestamp():
    from datetime import datetime, timezone

    assert snapshot_name("shop", datetime(2026, 12, 1, 9, 5, 7, tzinfo=timezone.utc)) == "shop-final-20261201090507"


class Op:
    deployment_id = "shop"

    def __init__(self):
        from hivemind.workflows.ui import QuietUI

        self.ui = QuietUI()


def test_confirmation_by_typed_id():
    import pytest

    from hivemind.workflows.destroy import _confirmed
    from hivemind.workflows.operation import Refused

    asked: list[str] = []

    def typing(*answers):
        it = iter(answers)
        return lambda question: asked.append(question) or next(it)

    common = {"databases": ["shop-db"], "stacks": ["shop-network"]}
    assert _confirmed(Op(), yes=False, confirm_id=typing("shop"), skip_final_snapshot=False, **common)
    assert not _confirmed(Op(), yes=False, confirm_id=typing("shp"), skip_final_snapshot=False, **common)
    # --skip-final-snapshot: the id typed a second time, or it is cancelled.
    asked.clear()
    assert _confirmed(Op(), yes=False, confirm_id=typing("shop", " shop "), skip_final_snapshot=True, **common)
    assert len(asked) == 2 and "WITHOUT a final snapshot" in asked[1]
    assert not _confirmed(Op(), yes=False, confirm_id=typing("shop", "y"), skip_final_snapshot=True, **common)
    # No terminal, no --yes: refused (exit 2); --yes needs no typing.
    with pytest.raises(Refused) as exc:
        _confirmed(Op(), yes=False, confirm_id=None, skip_final_snapshot=False, **common)
    assert exc.value.exit_code == 2 and "--yes" in str(exc.value)
    assert _confirmed(Op(), yes=True, confirm_id=None, skip_final_snapshot=False, **common)
