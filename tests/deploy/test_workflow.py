"""`deploy()` end to end against the moto server: the real plan, bundle, bootstrap, synth with
checks, change sets, execution and state (local + SSM), on examples/express-postgres."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml

from hivemind.deploy import ReplacementRefused
from hivemind.deploy.engine import DeployEngine
from hivemind.errors import HivemindError
from hivemind.paths import deployment_dir
from hivemind.state import DeploymentLocked, DeploymentStatus, deployment_lock, load_state
from hivemind.workflows.deploy import deploy

from .conftest import NAME, REGION

STACKS = [f"{NAME}-{s}" for s in ("network", "data", "edge", "app-blue", "observability")]
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}


def stack_times(cfn) -> dict[str, tuple]:
    return {s["StackName"]: (s["StackStatus"], s.get("LastUpdatedTime")) for s in cfn.describe_stacks()["Stacks"]
            if s["StackName"].startswith(NAME)}


def phases(state) -> list[tuple[str, str]]:
    """The last operation's timeline: (phase, outcome)."""
    return [(p.name, p.outcome) for p in state.operations[-1].phases]


def test_deploy_then_no_op_then_what_if(aws, repo, capsys):
    cfn = boto3.client("cloudformation", region_name=REGION)
    result = deploy(repo, description="orders API", stage="stage-1", yes=True, **FAST)

    # Every stack complete, tagged, and the state says so (locally and in AWS).
    assert {n: s for n, (s, _) in stack_times(cfn).items()} == dict.fromkeys(STACKS, "CREATE_COMPLETE")
    assert result.ok and set(result.engine.changed) == set(STACKS)
    tags = {t["Key"]: t["Value"] for t in cfn.describe_stacks(StackName=STACKS[0])["Stacks"][0]["Tags"]}
    assert tags["hivemind:deployment"] == NAME and tags["hivemind:stage"] == "stage-1"
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and state.last_error is None
    assert phases(state) == [("bundle", "ok"), ("synth", "ok"), ("change sets", "ok"), ("confirm", "ok"),
                             ("execute", "ok"), ("verify", "ok")]
    assert state.operations[-1].status == "succeeded" and state.operations[-1].release == 1
    assert [(r.label, r.outcome) for r in state.releases] == [("v1", "live")]
    assert result.lifecycle.to_json()["stacks_changed"] == result.engine.changed
    assert {n: s.status for n, s in state.stacks.items() if s.status != "MISSING"} == dict.fromkeys(STACKS, "CREATE_COMPLETE")
    # The URL is the edge ALB's DNS name.
    dns = boto3.client("elbv2", region_name=REGION).describe_load_balancers()["LoadBalancers"][0]["DNSName"]
    assert state.url == f"http://{dns}"
    assert state.dashboard_url and "cloudwatch" in state.dashboard_url
    assert state.artifact is not None and state.active_color == "blue"
    ssm_copy = boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"]
    assert any(NAME in p["Name"] and "state" in p["Name"] for p in ssm_copy)
    # Another machine (no local state) sees the same deployment from the copy in AWS.
    shutil.move(deployment_dir(NAME), deployment_dir(NAME).with_name("elsewhere"))
    remote = load_state(NAME)
    assert remote.status is DeploymentStatus.COMPLETED and remote.url == state.url

    # A second deploy with no change is a no-op: no stack touched.
    before = stack_times(cfn)
    again = deploy(repo, yes=True, **FAST)
    assert not again.changed and again.ok
    assert {o.result for o in again.engine.outcomes.values()} == {"no changes"}
    assert stack_times(cfn) == before
    assert load_state(NAME).status is DeploymentStatus.COMPLETED

    # What-if of a real change (a new env var reaches the app stack's user data) changes nothing.
    plan_file = repo / "hivemind.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["services"][0]["env"]["FEATURE_FLAG"] = "on"
    plan_file.write_text(yaml.safe_dump(plan))
    state_text = (deployment_dir(NAME) / "state.json").read_text()
    resources = {n: cfn.list_stack_resources(StackName=n)["StackResourceSummaries"] for n in STACKS}
    capsys.readouterr()
    preview = deploy(repo, what_if=True, **FAST)
    shown = capsys.readouterr().out
    assert preview.what_if and preview.state is None
    changed = [p.name for p in preview.previews if not p.no_changes]
    assert f"{NAME}-app-blue" in changed and f"{NAME}-network" not in changed
    assert f"{NAME}-app-blue: will be updated" in shown and "Modify" in shown
    assert stack_times(cfn) == before
    assert {n: cfn.list_stack_resources(StackName=n)["StackResourceSummaries"] for n in STACKS} == resources
    assert (deployment_dir(NAME) / "state.json").read_text() == state_text
    pending = [s for s in cfn.list_change_sets(StackName=STACKS[0])["Summaries"]
               if s.get("ExecutionStatus") != "EXECUTE_COMPLETE"]  # moto keeps executed ones
    assert pending == []


def test_replacing_the_database_is_refused_until_allowed(aws, repo):
    cfn = boto3.client("cloudformation", region_name=REGION)
    deploy(repo, stage="stage-1", yes=True, **FAST)
    before = stack_times(cfn)
    plan_file = repo / "hivemind.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["database"]["name"] = "orders"  # DBName is create-only: a new, empty database
    plan_file.write_text(yaml.safe_dump(plan))

    with pytest.raises(ReplacementRefused) as exc:
        deploy(repo, yes=True, **FAST)
    assert str(exc.value).startswith("refusing to replace stateful resource ")
    assert f"in {NAME}-data: property DBName" in str(exc.value)
    assert stack_times(cfn) == before  # nothing executed anywhere
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED  # still running as it was
    assert state.history[-1].detail.startswith("refused: refusing to replace")

    result = deploy(repo, yes=True, allow_replacement=True, **FAST)
    assert f"{NAME}-data" in result.engine.changed
    assert stack_times(cfn)[f"{NAME}-data"][0] == "UPDATE_COMPLETE"
    # (moto gap: its RDS update ignores DBName, so check what CloudFormation was given.)
    template = cfn.get_template(StackName=f"{NAME}-data")["TemplateBody"]
    dbs = [r for r in template["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance"]
    assert dbs[0]["Properties"]["DBName"] == "orders"


def test_resource_failure_leaves_a_failed_deployment_with_the_root_cause(aws, repo):
    # The DB identifier HiveMind derives is taken already: the data stack cannot create it.
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier=f"{NAME}-db", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="someone", MasterUserPassword="someone-elses-1", AllocatedStorage=20)
    with pytest.raises(HivemindError) as exc:
        deploy(repo, stage="stage-1", yes=True, **FAST)
    assert exc.value.exit_code == 1 and str(exc.value).startswith("deploy failed: ")
    state = load_state(NAME)
    # Diagnosed by the Medic: the deployment waits for its fix (`hivemind retry`).
    assert state.status is DeploymentStatus.AWAITING_FIX and state.failed_stage == "execute"
    assert state.diagnosis and state.diagnosis["category"] == "name_conflict"
    assert state.last_error.startswith(f"deploy failed: {NAME}-data: ")
    # The root cause is recorded as such: the stack and what failed, for the Medic.
    assert state.failure.stack == f"{NAME}-data" and state.failure.phase == "execute"
    assert "already exists" in state.failure.reason.lower()
    assert [r.outcome for r in state.releases] == ["failed"] and state.artifact is None
    assert "already exists" in state.last_error.lower()
    assert "\n" not in state.last_error
    cfn = boto3.client("cloudformation", region_name=REGION)
    live = set(stack_times(cfn))
    # Stacks depending on the data stack were never started.
    assert f"{NAME}-app-blue" not in live and f"{NAME}-observability" not in live


def test_ctrl_c_mid_deploy_records_a_truthful_interrupted_state(aws, repo, monkeypatch):
    real_poll = DeployEngine._poll_events

    def poll_then_interrupt(self, api, names):
        real_poll(self, api, names)
        raise KeyboardInterrupt  # the user presses Ctrl-C while stacks are being deployed

    monkeypatch.setattr(DeployEngine, "_poll_events", poll_then_interrupt)
    with pytest.raises(HivemindError) as exc:
        deploy(repo, stage="stage-1", yes=True, **FAST)
    assert exc.value.exit_code == 130
    state = load_state(NAME)
    assert state.status is DeploymentStatus.FAILED and state.failed_stage == "execute"
    assert state.last_error == "interrupted during execute; CloudFormation may still be working"
    assert str(exc.value) == f"interrupted during execute; CloudFormation may still be working: run `hivemind status {NAME}`"
    assert state.operations[-1].status == "interrupted"
    with deployment_lock(NAME):  # released
        pass
    # The engine did not wait for its workers (the user wants the prompt back); let them end
    # here so nothing reaches the next test's moto account.
    import threading

    for thread in threading.enumerate():
        if thread.name.startswith("hm-deploy"):
            thread.join(timeout=30)


def test_non_interactive_deploy_without_yes_is_an_error_and_leaves_no_change_sets(aws, repo):
    with pytest.raises(HivemindError, match="rerun with --yes"):
        deploy(repo, stage="stage-1", **FAST)
    cfn = boto3.client("cloudformation", region_name=REGION)
    assert stack_times(cfn) == {}  # the REVIEW_IN_PROGRESS preview stack was removed


def test_a_locked_deployment_is_refused(aws, repo, tmp_path):
    (repo / "hivemind.yaml").write_text(yaml.safe_dump({
        "name": NAME, "services": [{"name": "web", "runtime": "node", "port": 3000}]}))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom hivemind.state import deployment_lock\n"
         f"with deployment_lock({NAME!r}):\n    print('held', flush=True)\n    sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DeploymentLocked, match=f"deployment '{NAME}' is locked by another hivemind command"):
            deploy(repo, yes=True, **FAST)
    finally:
        holder.communicate("", timeout=10)
    # (The holder's lease lives in the bootstrap bucket; none of the app's stacks was made.)
    assert [s["StackName"] for s in boto3.client("cloudformation", region_name=REGION).describe_stacks()["Stacks"]
            if s["StackName"] != "hivemind-bootstrap"] == []


def test_answering_no_deletes_the_change_sets_and_keeps_the_status(aws, repo):
    cfn = boto3.client("cloudformation", region_name=REGION)
    asked = []
    result = deploy(repo, stage="stage-1", confirm=lambda q: asked.append(q) or False, **FAST)
    assert result.cancelled and result.engine is None
    assert asked and asked[0].startswith("Deploy changes to 5 stack(s) (")
    assert stack_times(cfn) == {}  # the preview's REVIEW_IN_PROGRESS stack is gone
    state = load_state(NAME)
    assert state.status is not DeploymentStatus.COMPLETED and not state.status.in_progress
    assert state.history[-1].detail == "cancelled at confirmation"


def test_unacknowledged_check_errors_stop_the_deploy_before_cloudformation(aws, repo):
    from hivemind.deploy import ChecksFailed
    from hivemind.workflows.plan import build_plan

    build_plan(repo, stage="stage-1", use_llm=False)
    plan_file = repo / "hivemind.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["database"]["instance_class"] = "db.x9.huge"  # cfn-lint E3025: no such RDS class
    plan_file.write_text(yaml.safe_dump(plan))
    with pytest.raises(ChecksFailed) as exc:
        deploy(repo, yes=True, **FAST)
    assert exc.value.exit_code == 4
    assert re.match(r"\d+ unacknowledged check error\(s\): cfn-lint E30(25|62) in express-postgres-data ", str(exc.value))
    assert "\n" not in str(exc.value)
    cfn = boto3.client("cloudformation", region_name=REGION)
    assert stack_times(cfn) == {}  # not one change set was created for the app's stacks
    state = load_state(NAME)
    # Nothing was sent to CloudFormation: the deployment is recorded as it was (never deployed),
    # with the refusal in its timeline.
    assert state.status is DeploymentStatus.PENDING and state.releases == [] and state.artifact is None
    assert state.operations[-1].status == "refused"
    assert ("synth", "failed") in phases(state) or ("synth", "refused") in phases(state)


def test_what_if_on_a_fresh_repo_changes_nothing_anywhere(aws, repo):
    # A preview must leave the account and the repository as they were: no stacks, no plan file.
    preview = deploy(repo, what_if=True, **FAST)
    assert preview.what_if and preview.previews
    assert not (repo / "hivemind.yaml").exists()
    cfn = boto3.client("cloudformation", region_name=REGION)
    left = [(s["StackName"], s["StackStatus"]) for s in cfn.describe_stacks()["Stacks"]
            if s["StackName"].startswith(NAME) and s["StackStatus"] != "DELETE_COMPLETE"]
    assert left == []
