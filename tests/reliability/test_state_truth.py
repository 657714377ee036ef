"""A truthful state: an older copy never overwrites a newer one in AWS, `status` where the
deployment does not exist says so and writes nothing, a corrupt state.json is rebuilt or named."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest

from hivemind.state import (
    DeploymentState, DeploymentStatus, StateConflict, StateError, append_history, delete_remote, load_state,
    save_state, state_path,
)
from hivemind.state.remote import head_name, read_remote

from state.cfn_templates import edge_template, tags  # tests/state/cfn_templates.py
from .conftest import REGION

# Calls that change something in AWS: none may reach an account `status` merely looks at.
_WRITES = ("Put", "Create", "Delete", "Update", "Execute", "Tag", "Label", "PUT ", "POST ", "DELETE ")


def _ssm_params() -> list[dict]:
    ssm = boto3.client("ssm", region_name=REGION)
    return [p for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/", Recursive=True)
            for p in page["Parameters"]]


def _stored_head() -> dict:
    value = boto3.client("ssm", region_name=REGION).get_parameter(Name=head_name("orders-api"))["Parameter"]["Value"]
    return json.loads(value)


# --- optimistic concurrency ---------------------------------------------------------------------

def test_every_save_moves_the_revision_and_a_copy_based_on_an_old_one_is_refused(aws, make_plan):
    state = DeploymentState.new(make_plan())
    save_state(state)
    assert state.revision == 1 and _stored_head()["revision"] == 1
    assert json.loads(state_path("orders-api").read_text())["revision"] == 1  # the cache knows its base
    save_state(state)
    assert state.revision == 2 and _stored_head()["revision"] == 2

    old = state.model_copy(deep=True)
    old.revision = 1
    old.active_color = "green"
    with pytest.raises(StateConflict) as err:
        save_state(old)
    assert str(err.value).startswith("state of 'orders-api' in SSM (us-east-1) is at revision 2 (saved ")
    assert "this copy is based on revision 1" in str(err.value) and "\n" not in str(err.value)
    assert _stored_head()["revision"] == 2 and read_remote("orders-api", REGION).active_color is None

    fresh = DeploymentState.new(make_plan())  # a second "first deploy" of an existing deployment
    with pytest.raises(StateConflict, match="based on revision 0"):
        save_state(fresh)


def test_a_stale_laptop_never_overwrites_what_ci_saved(aws, homes, make_plan, cli):
    homes.use("a")                                   # the laptop deploys first
    laptop = DeploymentState.new(make_plan())
    append_history(laptop, "deploy", status=DeploymentStatus.COMPLETED)
    save_state(laptop)
    homes.use("b")                                   # CI updates the deployment later
    ci = load_state("orders-api")
    ci.active_color = "green"
    append_history(ci, "update", status=DeploymentStatus.COMPLETED)
    save_state(ci)
    assert ci.revision == 2

    homes.use("a")
    # The laptop's deploy could not reach AWS: it recorded "pending" locally only, and its copy
    # is now the most recently written one (timestamps would pick it).
    laptop.status = DeploymentStatus.PENDING
    save_state(laptop, remote=False)
    assert json.loads(state_path("orders-api").read_text())["updated_at"] > ci.updated_at.isoformat()
    with pytest.raises(StateConflict):
        save_state(laptop)                           # writing it to AWS directly is refused
    code, out, err = cli("status", "orders-api", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["active_color"] == "green" and shown["status"] == "completed"
    stored = read_remote("orders-api", REGION)
    assert stored.active_color == "green" and stored.status is DeploymentStatus.COMPLETED
    assert json.loads(state_path("orders-api").read_text())["active_color"] == "green"  # the cache follows AWS


def test_a_deployment_destroyed_elsewhere_is_rebased_for_the_next_deploy(aws, homes, make_plan):
    homes.use("a")
    save_state(DeploymentState.new(make_plan()))
    homes.use("b")
    load_state("orders-api")
    delete_remote("orders-api", REGION)               # destroyed from CI
    homes.use("a")
    stale = load_state("orders-api")                 # the laptop deploys again, holding the lease
    assert stale.revision == 0
    save_state(stale)
    assert _stored_head()["revision"] == 1


def test_a_status_does_not_write_while_another_machine_holds_the_lease(aws, homes, make_plan, locker, cli,
                                                                       bootstrapped):
    homes.use("a")
    state = DeploymentState.new(make_plan())
    append_history(state, "deploy", status=DeploymentStatus.DEPLOYING)
    save_state(state)
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="orders-api-edge", TemplateBody=edge_template(), Tags=tags("orders-api"))
    runner = locker(homes.paths["b"], command="deploy")   # CI is deploying right now
    assert runner.line().startswith("HELD ")
    homes.use("a")
    before = _stored_head()["revision"]
    code, out, err = cli("status", "orders-api", "--json")
    assert code == 0, err
    # Not "interrupted": the lease says a command is running, on another machine.
    assert json.loads(out)["status"] == "deploying"
    assert _stored_head()["revision"] == before
    assert runner.release() == "DONE"
    code, out, _ = cli("status", "orders-api", "--json")  # nobody holds it now: the deploy was interrupted
    assert json.loads(out)["status"] == "failed" and _stored_head()["revision"] == before + 1


# --- truth about absence ------------------------------------------------------------------------

def test_status_in_an_empty_account_says_not_deployed_and_writes_nothing(fault_proxy, cli):
    code, out, err = cli("status", "orders-api")
    assert code == 2 and out == ""
    assert err.strip() == ("error: 'orders-api' is not deployed in us-east-1: no stored state and no stacks "
                           "there (see `hivemind list`)")
    calls = [r.call.action for r in fault_proxy.calls()]
    assert calls and not [c for c in calls if c.startswith(_WRITES)], calls
    assert _ssm_params() == []
    assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []


def test_a_local_copy_from_another_account_is_not_copied_there(aws, make_plan, cli, fault_proxy):
    # This machine deployed orders-api in account A (two stacks)...
    state = DeploymentState.new(make_plan())
    append_history(state, "deploy", status=DeploymentStatus.COMPLETED)
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template(), Tags=tags("orders-api"))
    from hivemind.state import refresh_from_cloudformation

    refresh_from_cloudformation(state)
    save_state(state, remote=False)
    before = state_path("orders-api").read_bytes()
    # ... and is now pointed at account B, where none of it exists.
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{aws}/moto-api/reset", method="POST")).read()
    fault_proxy.configure()
    code, out, err = cli("status", "orders-api")
    assert code == 2 and out == ""
    assert err.strip() == ("error: 'orders-api' is not deployed in us-east-1: no stored state in AWS there and "
                           "none of the 1 stack(s) this machine's copy names exists (this machine's copy says "
                           "completed; left unchanged) (see `hivemind list`)")
    assert not [r for r in fault_proxy.calls() if r.call.action.startswith(_WRITES)]
    assert _ssm_params() == []
    assert state_path("orders-api").read_bytes() == before


def test_a_local_only_deployment_whose_stacks_exist_is_stored_in_aws(aws, make_plan, cli):
    # The counterpart: the SSM write of a real deploy failed, its stacks are there: status stores it.
    state = DeploymentState.new(make_plan())
    append_history(state, "deploy", status=DeploymentStatus.COMPLETED)
    save_state(state, remote=False)
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="orders-api-edge", TemplateBody=edge_template(), Tags=tags("orders-api"))
    code, out, err = cli("status", "orders-api", "--json")
    assert code == 0, err
    assert read_remote("orders-api", REGION).stacks["orders-api-edge"].status == "CREATE_COMPLETE"


# --- a corrupt or truncated state.json ----------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_corrupt_state_file_is_rebuilt_from_aws(aws, make_plan, cli, damage):
    state = DeploymentState.new(make_plan())
    state.active_color = "blue"
    save_state(state)
    path = state_path("orders-api")
    good = path.read_text()
    path.write_text({"truncated": good[: len(good) // 2], "garbage": "\x00\x01 not json", "empty": ""}[damage])
    assert load_state("orders-api").active_color == "blue"          # the workflows' loader
    assert json.loads(path.read_text())["revision"] == 1            # ... rebuilt the file
    path.write_text(good[:40])
    code, out, err = cli("status", "orders-api", "--json")          # and so does status
    assert code == 0, err
    assert json.loads(out)["active_color"] == "blue"
    assert json.loads(path.read_text())["active_color"] == "blue"


def test_a_corrupt_state_file_with_no_copy_in_aws_is_one_line(aws, make_plan):
    save_state(DeploymentState.new(make_plan()), remote=False)
    path = state_path("orders-api")
    truncated = path.read_text()[:57]
    path.write_text(truncated)
    with pytest.raises(StateError) as err:
        load_state("orders-api")
    assert str(err.value).startswith(f"{path}: state is not valid JSON")
    assert str(err.value).endswith(f"no copy in AWS (us-east-1) to rebuild it from: repair or remove {path}")
    proc = subprocess.run([sys.executable, "-m", "hivemind", "status", "orders-api"], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: state is not valid JSON"), proc.stderr
    assert path.read_text() == truncated  # left for the user to look at


def test_two_writers_without_the_lease_cannot_both_succeed_silently(fault_proxy, make_plan):
    # SSM has no conditional put: the revision check is a read before the write. Two writers that
    # both read revision 1 and then write (the puts held up by the proxy so they overlap) are told
    # apart by the SSM version each write gets: the second learns it raced. (Writers that change
    # a deployment hold its lease, which keeps this from happening at all.)
    import threading

    state = DeploymentState.new(make_plan())
    save_state(state)
    fault_proxy.configure(latency=1.0, only=lambda call: call.service == "ssm" and call.action == "PutParameter")
    copies = [load_state("orders-api") for _ in range(2)]
    copies[0].active_color, copies[1].active_color = "blue", "green"
    start = threading.Barrier(2)
    outcomes: list[str] = [""] * 2

    def write(i: int) -> None:
        start.wait()
        try:
            save_state(copies[i])
            outcomes[i] = "saved"
        except StateConflict as exc:
            outcomes[i] = str(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o == "saved" for o in outcomes) == [False, True], outcomes
    [conflict] = [o for o in outcomes if o != "saved"]
    # Almost always the version check ("at the same moment"); on a very slow machine the second
    # writer may read after the first landed, and the revision check refuses it instead.
    assert "written by another command at the same moment" in conflict or "based on revision 1" in conflict
