"""The lifecycle on a moto server, as a user runs it: deploy -> change the code -> blue-green
update keeping the previous colour -> rollback (one edge change set) -> update retiring the old
colour -> rolling update -> what-if. Every change goes through CloudFormation change sets."""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from hivemind.errors import HivemindError
from hivemind.paths import deployment_dir
from hivemind.render.names import stack_name, target_group_parameter
from hivemind.state import DeploymentStatus, load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.rollback import rollback
from hivemind.workflows.rollout import Tuning
from hivemind.workflows.update import update

REGION = "us-east-1"
NAME = "express-postgres"
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}
TUNING = Tuning(4, (0.01, 0.01), 0.01)



def change_code(repo: Path, marker: str) -> None:
    server = repo / "src" / "server.js"
    server.write_text(server.read_text() + f"\n// {marker}\n")


def live_stacks() -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name=REGION)
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]
            if s["StackStatus"] != "DELETE_COMPLETE"}


def listener_colour() -> str:
    """Which colour's target group the production listener (port 80) forwards to."""
    elbv2, ssm = boto3.client("elbv2", region_name=REGION), boto3.client("ssm", region_name=REGION)
    alb = elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    listener = next(lst for lst in elbv2.describe_listeners(LoadBalancerArn=alb)["Listeners"] if lst["Port"] == 80)
    target = listener["DefaultActions"][0]["TargetGroupArn"]
    groups = {c: ssm.get_parameter(Name=target_group_parameter(NAME, "web", c))["Parameter"]["Value"]
              for c in ("blue", "green")}
    return next(c for c, arn in groups.items() if arn == target)


def database_identity() -> tuple[str, str]:
    rds = boto3.client("rds", region_name=REGION)
    db = rds.describe_db_instances()["DBInstances"]
    assert len(db) == 1
    return db[0]["DBInstanceIdentifier"], db[0]["DbiResourceId"]


def test_blue_green_update_rollback_retire_rolling_and_what_if(aws, repo):
    first = deploy(repo, stage="stage-1", yes=True, **FAST)
    assert first.lifecycle.release == "v1" and first.lifecycle.status == "succeeded"
    state = load_state(NAME)
    v1_sha = state.artifact.sha256
    assert state.active_color == "blue" and state.colors["blue"].release == 1
    assert listener_colour() == "blue"
    database = database_identity()
    data_template = boto3.client("cloudformation", region_name=REGION).get_template(
        StackName=stack_name(NAME, "data"))["TemplateBody"]

    # 1. A code change, released blue-green with the previous colour kept.
    change_code(repo, "v2")
    result = update(NAME, repo, bake=0, keep_previous=True, yes=True, tuning=TUNING, healthy_timeout=2)
    lifecycle = result.lifecycle.to_json()
    assert lifecycle["status"] == "succeeded" and lifecycle["release"] == "v2"
    assert lifecycle["active_color"] == "green"
    names = [p["name"] for p in lifecycle["phases"]]
    for phase in ("bundle", "synth", "change sets", "confirm", "deploy idle", "wait healthy", "verify idle",
                  "shift", "verify", "retire"):
        assert phase in names, names
    assert {p["outcome"] for p in lifecycle["phases"] if p["name"] == "retire"} == {"skipped"}
    assert stack_name(NAME, "app", "green") in lifecycle["stacks_changed"]
    assert stack_name(NAME, "edge") in lifecycle["stacks_changed"]
    assert stack_name(NAME, "data") not in lifecycle["stacks_changed"]
    assert listener_colour() == "green"
    state = load_state(NAME)
    assert state.active_color == "green" and state.artifact.sha256 != v1_sha
    assert state.colors["green"].release == 2 and state.colors["blue"].release == 1
    assert [(r.label, r.outcome, r.color) for r in state.releases] == [("v1", "previous", "blue"), ("v2", "live", "green")]
    assert stack_name(NAME, "app", "blue") in live_stacks()  # kept for an instant rollback
    assert database_identity() == database  # the database was not touched
    assert boto3.client("cloudformation", region_name=REGION).get_template(
        StackName=stack_name(NAME, "data"))["TemplateBody"] == data_template
    # The operation's timeline is in the state, phase by phase.
    assert state.operations[-1].action == "update" and state.operations[-1].status == "succeeded"
    assert all(p.seconds is not None for p in state.operations[-1].phases)

    # 2. Rollback: the colour that still runs v1 takes the traffic back; only the edge changes.
    back = rollback(NAME, yes=True, tuning=TUNING).lifecycle.to_json()
    assert back["status"] == "succeeded" and back["release"] == "v1"
    assert back["stacks_changed"] == [stack_name(NAME, "edge")]
    assert listener_colour() == "blue"
    state = load_state(NAME)
    assert state.active_color == "blue" and state.artifact.sha256 == v1_sha
    assert state.status is DeploymentStatus.ROLLED_BACK
    assert {r.label: r.outcome for r in state.releases} == {"v1": "live", "v2": "rolled_back"}

    # 3. Update again without --keep-previous: green gets v3, traffic moves, blue is retired.
    change_code(repo, "v3")
    third = update(NAME, repo, bake=0, yes=True, tuning=TUNING, healthy_timeout=2).lifecycle.to_json()
    assert third["release"] == "v3" and third["active_color"] == "green"
    assert stack_name(NAME, "app", "blue") in third["stacks_changed"]  # deleted
    stacks = live_stacks()
    assert stack_name(NAME, "app", "blue") not in stacks and stack_name(NAME, "app", "green") in stacks
    assert listener_colour() == "green"
    state = load_state(NAME)
    assert set(state.colors) == {"green"}

    # 4. A rolling update keeps the colour and changes the artifact in place.
    change_code(repo, "v4")
    before_sha = state.artifact.sha256
    rolled = update(NAME, repo, rolling=True, yes=True, tuning=TUNING).lifecycle.to_json()
    assert rolled["release"] == "v4" and rolled["active_color"] == "green"
    assert rolled["stacks_changed"] == [stack_name(NAME, "app", "green")]
    state = load_state(NAME)
    assert state.artifact.sha256 != before_sha and state.live_release.strategy == "rolling"
    app_stacks = [n for n in live_stacks() if "-app-" in n]
    assert app_stacks == [stack_name(NAME, "app", "green")]

    # 5. What-if of another change changes nothing: no stack, no state, no change set left.
    change_code(repo, "v5")
    stacks_before = live_stacks()
    state_text = (deployment_dir(NAME) / "state.json").read_text()
    preview = update(NAME, repo, what_if=True, yes=True, tuning=TUNING)
    assert preview.what_if and preview.lifecycle.status == "what-if"
    assert any(p.name == stack_name(NAME, "app", "blue") and not p.no_changes for p in preview.previews)
    assert live_stacks() == stacks_before
    assert (deployment_dir(NAME) / "state.json").read_text() == state_text


def test_bad_input_changes_nothing(aws, repo):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    state_text = (deployment_dir(NAME) / "state.json").read_text()
    stacks = live_stacks()
    cases = [
        (lambda: update("no-such-app", repo, yes=True, tuning=TUNING), "plans deployment 'express-postgres'"),
        (lambda: update(NAME, repo, canary=0, yes=True, tuning=TUNING), "--canary must be"),
        (lambda: update(NAME, repo, canary=101, yes=True, tuning=TUNING), "--canary must be"),
        (lambda: rollback(NAME, yes=True, tuning=TUNING), "no previous release"),
        (lambda: rollback(NAME, to="v99", yes=True, tuning=TUNING), "has no release v99"),
        (lambda: rollback(NAME, to="latest", yes=True, tuning=TUNING), "--to must name a release"),
        (lambda: rollback("no-such-app", yes=True, tuning=TUNING), "unknown deployment 'no-such-app'"),
    ]
    for call, message in cases:
        with pytest.raises(HivemindError) as exc:
            call()
        assert message in str(exc.value) and exc.value.exit_code == 2, str(exc.value)
        assert "\n" not in str(exc.value)
    # A plan that no longer validates: one line, nothing changed.
    (repo / "hivemind.yaml").write_text((repo / "hivemind.yaml").read_text().replace("port: 3000", "port: 99999"))
    with pytest.raises(HivemindError) as exc:
        update(NAME, repo, yes=True, tuning=TUNING)
    assert exc.value.exit_code == 2 and "port" in str(exc.value)
    assert live_stacks() == stacks
    after = json.loads((deployment_dir(NAME) / "state.json").read_text())
    before = json.loads(state_text)
    for key in ("releases", "colors", "artifact", "active_color", "status", "plan"):
        assert after[key] == before[key], key


def test_old_artifacts_are_pruned_but_never_the_live_or_previous_ones():
    from hivemind.state import DeploymentState
    from hivemind.state.models import ArtifactInfo, ColorState, Release
    from hivemind.plan import DeploymentPlan
    from hivemind.workflows.releases import ARTIFACTS_KEPT, prunable_artifacts

    plan = DeploymentPlan.model_validate({"name": "prune-test", "services": [{"name": "web", "runtime": "node", "port": 3000}]})
    state = DeploymentState.new(plan)
    art = lambda n: ArtifactInfo(bucket="b", key=f"k{n}", sha256=f"{n:064d}")  # noqa: E731
    outcomes = ["superseded"] * 7 + ["previous", "live"]
    state.releases = [Release(version=i + 1, artifact=art(i + 1), color="blue", plan_hash="p", outcome=o)
                      for i, o in enumerate(outcomes)]
    state.releases[0].artifact = art(9)  # v1 shares the live release's bytes: kept
    state.colors = {"green": ColorState(release=2, artifact=art(2))}  # a standing colour runs v2: kept
    pruned = {a.key for a in prunable_artifacts(state)}
    assert pruned == {"k3", "k4"}  # v5..v9 are the newest ARTIFACTS_KEPT
    assert ARTIFACTS_KEPT == 5
