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


class PhaseOp(Op):
    def __init__(self, answer):
        from hivemind.workflows.ui import QuietUI

        self.ui = QuietUI(answer=answer)
        self.changed_aws, self.stacks_changed, self.phases = False, [], []

    def phase(self, name, **kwargs):
        from contextlib import contextmanager

        @contextmanager
        def run():
            self.phases.append(name)
            yield type("P", (), {"detail": "", "outcome": "running"})()
        return run()


class FakeCfn:
    def __init__(self):
        self.deletes = []

    def delete_stack(self, **kwargs):
        self.deletes.append(kwargs)

    def get_waiter(self, name):
        assert name == "stack_delete_complete"
        return type("W", (), {"wait": lambda self, **kw: None})()


def test_delete_failed_retain_and_continue_only_with_consent(monkeypatch):
    """A data stack in DELETE_FAILED (an ENI blocks its subnet group's deletion) and the network
    that waited on it: with consent in a terminal, the data stack is deleted again retaining the
    ENI, then the network; without consent, one line names the blockers."""
    import pytest

    from hivemind.deploy.errors import DeployError
    from hivemind.state.models import DeploymentState
    from hivemind.workflows import destroy as module
    from hivemind.workflows.rollout import Tuning

    cfn = FakeCfn()
    later: list[set] = []
    monkeypatch.setattr(module, "client", lambda service, region: cfn)
    monkeypatch.setattr(module, "_delete_stacks", lambda op, state, scope, tuning: later.append(scope) or [])
    monkeypatch.setattr(module, "verify", lambda *a, **k: [{"type": "AWS::EC2::NetworkInterface", "id": "eni-9",
                                                          "why": "retained", "monthly_usd": 0.0}])
    state = DeploymentState.model_validate({"id": "shop", "plan": _plan()})
    remaining = [{"type": "AWS::CloudFormation::Stack", "id": "shop-data", "status": "DELETE_FAILED"},
                 {"type": "AWS::CloudFormation::Stack", "id": "shop-network", "status": "CREATE_COMPLETE"}]
    failures = [{"stack": "shop-data", "blocking": [{"logical_id": "DbEni", "type": "AWS::EC2::NetworkInterface",
                                                     "reason": "has a dependent object"}]}]
    op = PhaseOp(answer=True)
    left = module._retain_and_continue(op, state, remaining, list(failures), confirm_id=lambda q: "shop", found=None,
                                       kept=set(), final_snapshot=None, tuning=Tuning(1, (0.01, 0.01), 0.01))
    assert cfn.deletes == [{"StackName": "shop-data", "RetainResources": ["DbEni"]}]
    assert later == [{"shop-network"}] and left[0]["id"] == "eni-9" and op.changed_aws
    assert op.ui.questions and "Retain DbEni" in op.ui.questions[0]

    cfn.deletes.clear()
    for answer, confirm_id, words in ((False, lambda q: "shop", "blocked by DbEni"),
                                      (None, None, "offers to retain them")):
        with pytest.raises(DeployError) as exc:
            module._retain_and_continue(PhaseOp(answer=answer), state, remaining, list(failures), confirm_id=confirm_id,
                                        found=None, kept=set(), final_snapshot=None, tuning=Tuning())
        assert words in str(exc.value) and "\n" not in str(exc.value)
        assert exc.value.failure.stack == "shop-data"
    assert cfn.deletes == []  # no consent: nothing retained


def _plan() -> dict:
    from pathlib import Path

    from hivemind.workflows.plan import build_plan

    example = Path(__file__).resolve().parents[2] / "examples" / "express-postgres"
    plan = build_plan(example, use_llm=False, write=False).plan
    return {**plan.model_dump(mode="json"), "name": "shop"}


def test_issues_from_history():
    from hivemind.state.models import DeploymentState, FailureInfo, OperationRecord, PhaseRecord
    from hivemind.workflows.janitor import issues

    state = DeploymentState.model_validate({"id": "shop", "plan": _plan()})
    state.operations = [
        OperationRecord(id="a", action="deploy", status="failed", error="data stack: DBInstance failed",
                        phases=[PhaseRecord(name="execute", outcome="failed")]),
        OperationRecord(id="b", action="retry", status="succeeded"),
        OperationRecord(id="c", action="update", status="cancelled"),
    ]
    state.retry_count = 1
    state.failure = FailureInfo(stack="shop-data", logical_id="Database", reason="storage too small")
    state.diagnosis = {"root_cause": "storage below the engine's minimum", "fix": "set database.storage_gb: 20",
                       "plan_patch": [{"op": "replace"}]}
    found = issues(state)
    kinds = [i["kind"] for i in found]
    assert kinds == ["failure", "retry", "retries", "last failure", "diagnosis"]
    assert found[0]["phase"] == "execute" and "DBInstance" in found[0]["detail"]
    assert found[-1]["fix"] == "set database.storage_gb: 20" and found[-1]["plan_patch"] is True
