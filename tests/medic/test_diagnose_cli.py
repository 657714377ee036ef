"""`hivemind diagnose` and diagnose_state on the moto server: bad input is one line and exit 2; a failed
deployment's diagnosis is printed and stored in its state.

moto gap covered: moto records no per-resource events and no ClientRequestToken, so the failed operation's
events read back from it hold no *_FAILED event; diagnose_state then uses state.failure as the evidence."""
from __future__ import annotations

import json

import pytest

from hivemind.cli import main
from hivemind.medic import diagnose_state
from hivemind.state import DeploymentState, deployment_lock, load_state, save_state
from hivemind.state.models import FailureInfo, OperationRecord

REASON = ("Resource handler returned message: \"Your requested instance type (t3.micro) is not supported in your "
          "requested Availability Zone (us-east-1e). Please retry your request by not specifying an Availability Zone "
          "or choosing us-east-1a, us-east-1b. (Service: AutoScaling, Status Code: 400)\" (HandlerErrorCode: "
          "InvalidRequest)")


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    # The in-process moto server warns on stderr about templates it cannot model (the bootstrap
    # stack's BucketPolicy, made when the region's lock is first taken): not HiveMind's output.
    err = "".join(line for line in err.splitlines(keepends=True)
                  if "No Moto CloudFormation support" not in line and "moto/cloudformation" not in line
                  and not line.startswith("  parse_resource("))
    return exit_info.value.code, out, err


def _failed_state(plan, *, remote: bool = True) -> DeploymentState:
    state = DeploymentState.new(plan)
    state.operations.append(OperationRecord(id="op-1", action="deploy", status="failed",
                                            client_request_token="hivemind-deploy-op-1"))
    state.failure = FailureInfo(operation_id="op-1", action="deploy", phase="execute", stack="shop-app-blue",
                                logical_id="WebGroup", resource_type="AWS::AutoScaling::AutoScalingGroup",
                                status="CREATE_FAILED", reason=REASON)
    state.last_error = REASON
    with deployment_lock(state.id, remote=remote):
        save_state(state, remote=remote)
    return state


def test_message_json(capsys):
    code, out, err = run(["diagnose", "--message", "Throttling: Rate exceeded", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and err == ""
    assert set(data) == {"category", "root_cause", "fix", "retry_alone_fixes", "rule", "evidence", "plan_patch",
                         "commands", "confidence"}
    assert data["category"] == "throttling" and data["retry_alone_fixes"] is True
    assert data["confidence"] is None  # a rule matched: only the text classifier gives a confidence


def test_message_with_resource_type_prints_plain_words(capsys):
    code, out, _ = run(["diagnose", "--message", "The bucket you tried to delete is not empty (Service: Amazon S3; "
                        "Status Code: 409; Error Code: BucketNotEmpty)", "--resource-type", "AWS::S3::Bucket"], capsys)
    assert code == 0 and "dependency" in out and "retry alone: no" in out and "aws s3 rm" in out


@pytest.mark.parametrize("argv, text", [
    (["diagnose", "--message", "   "], "--message is empty"),
    (["diagnose"], "nothing to diagnose"),
    (["diagnose", "shop", "--message", "x"], "not both"),
])
def test_bad_input_is_one_line_and_exit_2(argv, text, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "" and text in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_deployment_is_exit_2(aws, capsys):
    code, out, err = run(["diagnose", "ghost"], capsys)
    assert code == 2 and "unknown deployment 'ghost'" in err and len(err.strip().splitlines()) == 1


def test_a_deployment_that_never_failed_is_exit_2(aws, make_plan, capsys):
    state = DeploymentState.new(make_plan())
    with deployment_lock(state.id):
        save_state(state)
    code, out, err = run(["diagnose", "shop"], capsys)
    assert code == 2 and "has not failed" in err
    assert load_state("shop").diagnosis is None  # nothing changed


def test_diagnose_id_prints_the_diff_and_stores_the_diagnosis(aws, make_plan, capsys):
    _failed_state(make_plan())
    code, out, err = run(["diagnose", "shop"], capsys)
    assert code == 0 and err == ""
    assert "capacity" in out and "proposed change to hivemind.yaml" in out
    assert "+  instance_type: t3a.micro" in out and "WebGroup" in out
    stored = load_state("shop").diagnosis
    assert stored["rule"] == "capacity.unsupported-type" and stored["evidence"]["logical_id"] == "WebGroup"
    assert stored["plan_patch"] == [{"op": "replace", "path": "/services/0/instance_type", "value": "t3a.micro"}]


def test_diagnose_state_uses_the_failure_when_cloudformation_is_unreachable(make_plan, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    state = _failed_state(make_plan(), remote=False)
    diagnosis = diagnose_state(state, use_agent=False)
    assert diagnosis.category == "capacity" and diagnosis.evidence.stack == "shop-app-blue"
    assert diagnosis.plan_patch[0]["value"] == "t3a.micro"
