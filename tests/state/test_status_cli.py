"""`hivemind status` and `hivemind list`: what users and CI see, including every error path."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import boto3
import pytest

from hivemind.paths import deployment_dir
from hivemind.state import DeploymentState, DeploymentStatus, append_history, mark_failed, save_state

from .cfn_templates import dashboard_template, edge_template, tags


@pytest.fixture
def deployed(aws, make_plan):
    """orders-api as a finished deploy left it: edge + observability stacks and a saved state."""
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template(), Tags=tags("orders-api"))
    cfn.create_stack(StackName="orders-api-observability", TemplateBody=dashboard_template("orders-api"),
                     Tags=tags("orders-api"))
    state = DeploymentState.new(make_plan())
    append_history(state, "deploy", status=DeploymentStatus.COMPLETED)
    state.active_color = "blue"
    save_state(state)
    [lb] = boto3.client("elbv2", region_name="us-east-1").describe_load_balancers()["LoadBalancers"]
    return lb["DNSName"]


def test_status_json_from_a_machine_with_no_local_state(deployed, cli):
    shutil.rmtree(deployment_dir("orders-api"))
    code, out, err = cli("status", "orders-api", "--json")
    assert code == 0, err
    data = json.loads(out)  # --json: stdout is only JSON
    assert data["status"] == "completed"
    assert data["url"] == f"http://{deployed}"
    assert data["dashboard_url"].endswith("#dashboards:name=orders-api")
    assert {n: s["status"] for n, s in data["stacks"].items()} == {
        "orders-api-edge": "CREATE_COMPLETE", "orders-api-observability": "CREATE_COMPLETE"}


def test_status_human_view(deployed, cli):
    code, out, _ = cli("status", "orders-api")
    assert code == 0
    assert "orders-api-edge" in out and "CREATE_COMPLETE" in out
    assert f"http://{deployed}" in out
    assert "completed" in out and "stage-1" in out
    assert "last error" not in out


def test_status_shows_last_error_redacted(aws, make_plan, cli):
    state = DeploymentState.new(make_plan())
    mark_failed(state, "orders-api-data CREATE_FAILED: bad MasterUserPassword=hunter2", stage="deploying")
    save_state(state)
    code, out, _ = cli("status", "orders-api")
    assert code == 0
    assert "failed (failed at deploying)" in out
    assert "MasterUserPassword=***" in out and "hunter2" not in out


def test_list_json_and_table(deployed, make_plan, cli):
    save_state(DeploymentState.new(make_plan("billing-api")), remote=False)
    code, out, _ = cli("list", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["orders-api"]["status"] == "completed" and rows["orders-api"]["source"] == "aws"
    assert rows["billing-api"]["source"] == "local-only"
    code, out, _ = cli("list")
    assert code == 0 and "orders-api" in out and "billing-api" in out and "local-only" in out


def test_list_in_an_empty_region(aws, cli):
    code, out, _ = cli("list", "--region", "eu-west-1")
    assert code == 0 and "no deployments in eu-west-1" in out


def test_unknown_deployment(aws, cli):
    code, out, err = cli("status", "ghost-app")
    assert code == 2 and out == ""
    assert err.strip() == ("error: 'ghost-app' is not deployed in us-east-1: no stored state and no stacks there "
                           "(see `hivemind list`)")


def test_region_option_is_honoured(aws, make_plan, cli):
    save_state(DeploymentState.new(make_plan(region="eu-west-1")))
    shutil.rmtree(deployment_dir("orders-api"))
    assert cli("status", "orders-api")[0] == 2          # not in the default region
    code, out, _ = cli("status", "orders-api", "--region", "eu-west-1", "--json")
    assert code == 0 and json.loads(out)["region"] == "eu-west-1"


def _run(args, env_changes, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-m", "hivemind", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize("case", ["no-credentials", "unreachable-endpoint", "bad-id"])
def test_error_paths_are_one_line_exit_2(case, aws):
    if case == "no-credentials":
        proc = _run(["status", "orders-api"], {"AWS_EC2_METADATA_DISABLED": "true"},
                    drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
        expected = "no AWS credentials found"
    elif case == "unreachable-endpoint":
        proc = _run(["list"], {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
        expected = "cannot reach AWS endpoint"
    else:
        proc = _run(["status", "../../etc"], {})
        expected = "invalid deployment id"
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "testing" not in proc.stderr
