"""The prompt right after a failed deploy in a terminal (hivemind/cli/fix_prompt.py), on the moto server:
the Medic's diagnosis, the fix (a diff of hivemind.yaml, or what to do first) and "Apply the fix and retry?
[y/N]". y: the fix is applied and the retry completes; n: nothing applied, status awaiting_fix; --json and
no terminal never prompt.

The failure is real where moto can make one (someone else's database holds the identifier HiveMind derives,
as in test_medic_retry). moto accepts any instance type, so the plan-patch path starts from a real deploy
whose failure is recorded the way a real one is (a CloudFormation-shaped reason; the Medic's own diagnosis)."""
from __future__ import annotations

import boto3
import pytest

from hivemind.cli import fix_prompt
from hivemind.errors import HivemindError
from hivemind.medic import diagnose_state
from hivemind.state import DeploymentStatus, deployment_lock, load_state, save_state
from hivemind.state.models import FailureInfo, OperationRecord
from hivemind.workflows.deploy import deploy

from .test_releases_moto import FAST, NAME, REGION, live_stacks

UNSUPPORTED = ("Resource handler returned message: \"Your requested instance type (t3.micro) is not supported in "
               "your requested Availability Zone (us-east-1e). Please retry your request by not specifying an "
               "Availability Zone or choosing us-east-1a, us-east-1b. (Service: AutoScaling, Status Code: 400)\" "
               "(HandlerErrorCode: InvalidRequest)")


class _Person:
    """stdin of someone at the terminal: does `first` (what the fix says to do), then answers."""

    def __init__(self, answer: str, first=None):
        self.answer, self.first, self.asked = answer, first, 0

    def readline(self, *args) -> str:
        if self.first is not None:
            self.first()
            self.first = None
        self.asked += 1
        return self.answer + "\n"


class _NoOne:
    def readline(self, *args) -> str:
        raise AssertionError("the prompt asked, but nobody is at a terminal")


@pytest.fixture
def fast(monkeypatch):
    from hivemind.deploy import cfn

    # moto answers at once: poll it fast (the CLI's defaults are for real CloudFormation).
    monkeypatch.setattr(cfn, "CHANGE_SET_DELAY", 0.01)
    monkeypatch.setattr(cfn, "STACK_DELAY", 0.01)
    monkeypatch.setattr("hivemind.workflows.rollout.Tuning.poll_interval", 0.01)
    monkeypatch.setattr("hivemind.workflows.update.HEALTHY_TIMEOUT_S", 2)
    monkeypatch.setenv("COLUMNS", "250")


def _someone_elses_database() -> callable:
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(DBInstanceIdentifier=f"{NAME}-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="someone", MasterUserPassword="someone-elses-1", AllocatedStorage=20)
    return lambda: rds.delete_db_instance(DBInstanceIdentifier=f"{NAME}-db", SkipFinalSnapshot=True)


def test_no_leaves_the_failure_waiting_for_its_fix(aws, cli, repo, fast, monkeypatch):
    _someone_elses_database()
    person = _Person("n")
    monkeypatch.setenv(fix_prompt.INTERACTIVE_ENV, "1")
    monkeypatch.setattr("sys.stdin", person)
    code, out, err = cli("deploy", str(repo), "--stage-1", "--yes")
    assert code == 1 and person.asked == 1  # the failed deploy's own exit code
    assert "The Medic: name_conflict" in out and "Apply the fix and retry? [y/N]" in out
    assert f"Run `hivemind retry {NAME}` when it is fixed" in out
    assert "error:" in err and len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    state = load_state(NAME)
    assert state.status is DeploymentStatus.AWAITING_FIX and state.retry_count == 0 and state.diagnosis
    assert f"{NAME}-app-blue" not in live_stacks()  # nothing was retried


def test_yes_after_doing_what_the_fix_says_retries_to_completion(aws, cli, repo, fast, monkeypatch):
    clear_the_conflict = _someone_elses_database()
    person = _Person("y", first=clear_the_conflict)
    monkeypatch.setenv(fix_prompt.INTERACTIVE_ENV, "1")
    monkeypatch.setattr("sys.stdin", person)
    code, out, err = cli("deploy", str(repo), "--stage-1", "--yes")
    assert code == 0, err
    assert person.asked == 1 and "The Medic: name_conflict" in out and "Apply the fix and retry? [y/N]" in out
    assert "deploy v2: succeeded" in out
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and state.retry_count == 0 and state.diagnosis is None
    assert live_stacks()[f"{NAME}-app-blue"].endswith("_COMPLETE")


def test_json_and_no_terminal_never_prompt(aws, cli, repo, fast, monkeypatch):
    _someone_elses_database()
    monkeypatch.setattr("sys.stdin", _NoOne())
    monkeypatch.setenv(fix_prompt.INTERACTIVE_ENV, "1")
    code, out, err = cli("deploy", str(repo), "--stage-1", "--yes", "--json")
    assert code == 1 and "Apply the fix" not in out + err and "error:" in err
    monkeypatch.setenv(fix_prompt.INTERACTIVE_ENV, "0")  # no terminal: the one-line error, as before
    code, out, err = cli("deploy", str(repo), "--stage-1", "--yes")
    assert code == 1 and "Apply the fix" not in out and "The Medic" not in out
    assert load_state(NAME).status is DeploymentStatus.AWAITING_FIX


def _failed_on_instance_type(started) -> HivemindError:
    """A live deployment whose next deploy failed on its instance type, recorded as a real failure is,
    with the Medic's own diagnosis of it (a plan patch to the next family)."""
    with deployment_lock(NAME):
        state = load_state(NAME)
        state.operations.append(OperationRecord(id="hm-deploy-2", action="deploy", status="failed"))
        state.failure = FailureInfo(operation_id="hm-deploy-2", action="deploy", phase="execute",
                                    stack=f"{NAME}-app-blue", logical_id="WebGroup",
                                    resource_type="AWS::AutoScaling::AutoScalingGroup", status="UPDATE_FAILED",
                                    reason=UNSUPPORTED)
        assert state.failure.time >= started
        state.status = DeploymentStatus.AWAITING_FIX
        state.diagnosis = diagnose_state(state, use_agent=False).model_dump(mode="json")
        save_state(state)
    assert state.diagnosis["plan_patch"] == [
        {"op": "replace", "path": "/services/0/instance_type", "value": "t3a.micro"}], state.diagnosis
    return HivemindError(f"stack {NAME}-app-blue: UPDATE_FAILED: {UNSUPPORTED}")


def _launch_template_types() -> set[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    types = set()
    for template in ec2.describe_launch_templates()["LaunchTemplates"]:
        latest = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"],
                                                       Versions=["$Latest"])["LaunchTemplateVersions"][0]
        types.add(latest["LaunchTemplateData"].get("InstanceType"))
    return types


def test_a_plan_fix_is_shown_as_a_diff_applied_on_yes_and_the_retry_completes(aws, repo, fast, monkeypatch, capsys):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    plan_file = repo / "hivemind.yaml"
    before = plan_file.read_text()
    started = fix_prompt.started_now()
    error = _failed_on_instance_type(started)
    monkeypatch.setenv(fix_prompt.INTERACTIVE_ENV, "1")

    monkeypatch.setattr("sys.stdin", _Person("n"))
    with pytest.raises(HivemindError):
        fix_prompt.offer_fix(error, NAME, started=started, repo=repo)
    out = capsys.readouterr().out
    assert "proposed change to hivemind.yaml:" in out and "+  instance_type: t3a.micro" in out
    assert plan_file.read_text() == before and load_state(NAME).status is DeploymentStatus.AWAITING_FIX

    monkeypatch.setattr("sys.stdin", _Person("y"))
    result = fix_prompt.offer_fix(error, NAME, started=started, repo=repo)
    assert result.lifecycle.status == "succeeded"
    assert "instance_type: t3a.micro" in plan_file.read_text()  # saved
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and state.diagnosis is None
    assert state.plan.services[0].instance_type == "t3a.micro" and "t3a.micro" in _launch_template_types()


def test_yes_flag_applies_a_plan_only_fix_without_asking(aws, repo, fast, monkeypatch, capsys):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    started = fix_prompt.started_now()
    error = _failed_on_instance_type(started)
    monkeypatch.setenv(fix_prompt.INTERACTIVE_ENV, "0")  # CI: no terminal
    monkeypatch.setattr("sys.stdin", _NoOne())
    # A command that started after this failure (say, refused for a held lock) is not offered its fix.
    later = HivemindError("another command holds the lock")
    with pytest.raises(HivemindError, match="holds the lock"):
        fix_prompt.offer_fix(later, NAME, started=fix_prompt.started_now(), repo=repo, yes=True)
    assert "instance_type: t3.micro" in (repo / "hivemind.yaml").read_text()

    result = fix_prompt.offer_fix(error, NAME, started=started, repo=repo, yes=True)
    assert result.lifecycle.status == "succeeded"
    assert "--yes: the fix only touches the plan" in capsys.readouterr().out
    assert load_state(NAME).plan.services[0].instance_type == "t3a.micro"
