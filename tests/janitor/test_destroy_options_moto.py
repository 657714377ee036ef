"""destroy's options on a moto server: deletion protection turned off by a change set, then
--skip-final-snapshot (CI: --yes plus HIVEMIND_CONFIRM_ID), and --keep-data (the data and network
stacks stay, a new deploy reuses the same database)."""
from __future__ import annotations

import json

import boto3

from hivemind.render.names import stack_name
from hivemind.state import load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.plan import build_plan

from .test_destroy_moto import FAST, NAME, REGION, our_stacks, run_cli



def final_snapshots() -> list[str]:
    rds = boto3.client("rds", region_name=REGION)
    return [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]
            if "-final-" in s["DBSnapshotIdentifier"]]


def test_deletion_protection_off_by_change_set_then_skip_final_snapshot(aws, repo, capsys, monkeypatch):
    plan_file = build_plan(repo, stage="stage-1", use_llm=False).path
    text = plan_file.read_text()
    assert "deletion_protection: false" in text
    plan_file.write_text(text.replace("deletion_protection: false", "deletion_protection: true"))
    deploy(repo, stage="stage-1", yes=True, **FAST)
    cfn = boto3.client("cloudformation", region_name=REGION)
    body = cfn.get_template(StackName=stack_name(NAME, "data"))["TemplateBody"]
    data = json.loads(body) if isinstance(body, str) else body
    assert any((r.get("Properties") or {}).get("DeletionProtection") is True
               for r in data["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance")
    # A colour whose first change set was never executed (REVIEW_IN_PROGRESS): destroy removes it too.
    cfn.create_change_set(StackName=stack_name(NAME, "app", "green"), ChangeSetName="never-run", ChangeSetType="CREATE",
                          TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}),
                          Tags=[{"Key": "hivemind:deployment", "Value": NAME}])
    stacks = our_stacks()
    assert stacks[stack_name(NAME, "app", "green")] == "REVIEW_IN_PROGRESS"

    # --skip-final-snapshot with --yes but without HIVEMIND_CONFIRM_ID: refused, nothing changed.
    code, out, err = run_cli(capsys, "destroy", NAME, "--yes", "--skip-final-snapshot")
    assert code == 2 and "HIVEMIND_CONFIRM_ID" in err and len(err.strip().splitlines()) == 1, err
    monkeypatch.setenv("HIVEMIND_CONFIRM_ID", "another-app")
    code, out, err = run_cli(capsys, "destroy", NAME, "--yes", "--skip-final-snapshot")
    assert code == 2, err
    assert our_stacks() == stacks and load_state(NAME).status.value == "completed"

    monkeypatch.setenv("HIVEMIND_CONFIRM_ID", NAME)
    code, out, err = run_cli(capsys, "destroy", NAME, "--yes", "--skip-final-snapshot", "--json")
    result = json.loads(out)
    assert result["status"] == "succeeded" and code in (0, 3), err
    outcomes = {p["name"]: p["outcome"] for p in result["phases"]}
    assert outcomes["final snapshot"] == "skipped"
    # The data stack was updated (deletion protection off) by a change set before it was deleted.
    assert outcomes["deletion protection"] == "ok"
    assert stack_name(NAME, "data") in result["stacks_changed"]
    assert result["final_snapshot"] is None and final_snapshots() == []
    assert our_stacks() == {}
    assert load_state(NAME).status.value == "destroyed"


def test_keep_data_keeps_data_and_network_and_a_new_deploy_reuses_them(aws, repo, capsys, tmp_path, monkeypatch):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    rds = boto3.client("rds", region_name=REGION)
    database = rds.describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"][0]["DbiResourceId"]
    # From a CI runner: a fresh HIVEMIND_HOME, only the id and AWS credentials (the state kept in AWS).
    monkeypatch.setenv("HIVEMIND_HOME", str(tmp_path / "ci-home"))

    code, out, err = run_cli(capsys, "destroy", NAME, "--yes", "--keep-data", "--json")
    result = json.loads(out)
    assert result["status"] == "succeeded", err
    kept = {stack_name(NAME, "data"), stack_name(NAME, "network")}
    assert set(result["kept_stacks"]) == kept
    assert set(our_stacks()) == kept  # the app, observability and edge stacks are gone
    assert result["final_snapshot"] is None and final_snapshots() == []
    assert rds.describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"]
    assert not any(item["id"] == f"{NAME}-db" for item in result["leftovers"])  # kept, not left over
    assert result["monthly_savings"] > 0
    assert code == (3 if result["leftovers"] else 0)
    state = load_state(NAME)
    assert state.status.value == "destroyed" and set(state.stacks) == kept

    again = deploy(repo, stage="stage-1", yes=True, **FAST)
    assert again.lifecycle.status == "succeeded" and again.lifecycle.release == "v1"
    assert rds.describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"][0]["DbiResourceId"] == database
