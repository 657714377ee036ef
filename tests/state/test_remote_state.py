"""The copy of state in AWS (SSM on a moto server): any machine with credentials can read it."""
from __future__ import annotations

import random
import shutil
import string

import boto3
import pytest

from hivemind.paths import deployment_dir
from hivemind.state import (
    DeploymentNotFound, DeploymentState, append_history, delete_remote, list_deployments, load_state,
    save_state,
)
from hivemind.state.remote import STANDARD_TIER_MAX, head_name

from .cfn_templates import edge_template, tags


def _all_parameters():
    ssm = boto3.client("ssm", region_name="us-east-1")
    out = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/hivemind", Recursive=True):
        out.extend(page["Parameters"])
    return out


def test_load_after_local_folder_is_deleted(aws, make_plan):
    state = DeploymentState.new(make_plan())
    append_history(state, "deploy", "change sets executed", status="completed")
    state.url = "http://orders.example"
    save_state(state)
    shutil.rmtree(deployment_dir("orders-api"))  # a fresh CI runner: credentials, no local files

    loaded = load_state("orders-api")
    assert loaded.status.value == "completed"
    assert loaded.url == "http://orders.example"
    assert loaded.history[-1].detail == "change sets executed"
    assert (deployment_dir("orders-api") / "state.json").exists()  # cached for the next command


def test_remote_copy_is_redacted_standard_tier(aws, make_plan):
    state = DeploymentState.new(make_plan())
    state.plan.services[0].env["DB_PASSWORD"] = "hunter2"  # planted past plan validation
    save_state(state)
    [param] = _all_parameters()
    assert param["Name"] == head_name("orders-api")
    assert len(param["Value"]) <= STANDARD_TIER_MAX
    ssm = boto3.client("ssm", region_name="us-east-1")
    described = ssm.describe_parameters()["Parameters"]
    assert [p["Tier"] for p in described] == ["Standard"]
    from hivemind.state.remote import _decode
    import json
    assert "hunter2" not in _decode(json.loads(param["Value"])["data"])


def _noisy_evidence(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)  # incompressible text forces the state over one parameter
    return [{"field": f"services[0].f{i}", "value": "".join(rng.choices(string.ascii_letters, k=200)),
             "source": f"src/app.js:{i}", "reason": "seen"} for i in range(n)]


def test_large_state_is_split_and_shrinks_cleanly(aws, make_plan):
    big = DeploymentState.new(make_plan(evidence=_noisy_evidence(120, seed=1)))
    save_state(big)
    params = _all_parameters()
    parts = [p for p in params if "/part-" in p["Name"]]
    assert len(parts) >= 3
    assert all(len(p["Value"]) <= STANDARD_TIER_MAX for p in params)

    shutil.rmtree(deployment_dir("orders-api"))
    loaded = load_state("orders-api")
    assert loaded.plan.evidence == big.plan.evidence

    small = load_state("orders-api")   # based on the stored revision (a fresh state would be refused)
    small.plan = make_plan()
    save_state(small)
    assert [p["Name"] for p in _all_parameters()] == [head_name("orders-api")]  # stale parts removed
    shutil.rmtree(deployment_dir("orders-api"))
    assert load_state("orders-api").plan.evidence == []


def test_unknown_deployment_is_one_clear_line(aws):
    with pytest.raises(DeploymentNotFound) as err:
        load_state("nobody-here")
    assert str(err.value) == "unknown deployment 'nobody-here' in us-east-1 (see `hivemind list`)"


def test_state_lives_in_its_region(aws, make_plan):
    save_state(DeploymentState.new(make_plan(region="eu-west-1")))
    shutil.rmtree(deployment_dir("orders-api"))
    with pytest.raises(DeploymentNotFound):
        load_state("orders-api", region="us-east-1")
    assert load_state("orders-api", region="eu-west-1").region == "eu-west-1"


def test_list_merges_aws_local_only_and_tagged_stacks(aws, make_plan):
    for name in ("orders-api", "billing-api"):
        save_state(DeploymentState.new(make_plan(name)))
    shutil.rmtree(deployment_dir("orders-api"))           # known only from AWS now
    save_state(DeploymentState.new(make_plan("laptop-only")), remote=False)
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="orphan-app-edge", TemplateBody=edge_template(), Tags=tags("orphan-app"))

    rows = {d.id: d for d in list_deployments("us-east-1")}
    assert set(rows) == {"billing-api", "laptop-only", "orders-api", "orphan-app"}
    assert rows["orders-api"].source == "aws" and rows["orders-api"].status.value == "pending"
    assert rows["laptop-only"].source == "local-only"
    assert rows["orphan-app"].source == "cloudformation-only" and rows["orphan-app"].stacks == 1
    assert list_deployments("eu-west-1") == []


def test_delete_remote_forgets_the_deployment(aws, make_plan):
    save_state(DeploymentState.new(make_plan(evidence=_noisy_evidence(60, seed=2))))
    delete_remote("orders-api", "us-east-1")
    assert _all_parameters() == []


def test_load_prefers_a_newer_copy_saved_by_another_machine(aws, make_plan):
    import json

    from hivemind.state import DeploymentStatus, state_path

    save_state(DeploymentState.new(make_plan()))
    laptop_copy = state_path("orders-api").read_text()
    ci = load_state("orders-api")
    ci.active_color = "green"
    append_history(ci, "update", status=DeploymentStatus.COMPLETED)
    save_state(ci)
    state_path("orders-api").write_text(laptop_copy)   # this machine still has the old cache

    loaded = load_state("orders-api")
    assert loaded.active_color == "green" and loaded.status is DeploymentStatus.COMPLETED
    assert json.loads(state_path("orders-api").read_text())["active_color"] == "green"  # cache refreshed


def test_load_falls_back_to_the_local_cache_when_aws_is_unreachable(aws, make_plan, monkeypatch):
    save_state(DeploymentState.new(make_plan()), remote=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    from hivemind import aws as hm_aws
    hm_aws._session.cache_clear()
    assert load_state("orders-api").id == "orders-api"
    hm_aws._session.cache_clear()


def _record(state, op_id: str, status: str):
    from hivemind.state.models import OperationRecord

    state.operations.append(OperationRecord(id=op_id, action="deploy", client_request_token=op_id, status=status))


def test_a_put_whose_answer_was_lost_but_landed_counts_as_written(aws, make_plan, monkeypatch):
    """A reset connection after SSM stored the head: the head is read back; ours stored = written."""
    from botocore.exceptions import ConnectionClosedError

    from hivemind.state import remote

    state = DeploymentState.new(make_plan())
    save_state(state)
    real_client, lost = remote.client, []

    def note_the_name(params, context, **_):
        import json

        context["parameter"] = json.loads(params["body"]).get("Name")  # SSM speaks JSON

    def lose_the_first_head_answer(parsed, context, **_):
        if context.get("parameter") == head_name("orders-api") and not lost:
            lost.append(parsed.get("Version"))
            raise ConnectionClosedError(endpoint_url="http://ssm")  # stored, but the answer never came

    def client(service, region):
        made = real_client(service, region)
        made.meta.events.register("before-call.ssm.PutParameter", note_the_name)
        made.meta.events.register("after-call.ssm.PutParameter", lose_the_first_head_answer)
        return made

    monkeypatch.setattr(remote, "client", client)
    append_history(state, "deploy", "executed", status="completed")
    save_state(state)  # no error: the write landed
    assert lost and state.revision == 2
    assert load_state("orders-api").status.value == "completed"


def test_the_same_operations_later_local_record_beats_its_own_landed_write(aws, make_plan):
    """The write of revision 2 landed but its answer was lost (the local copy still says based on 1),
    then the same operation recorded its failure locally only: the local record is the truth, and it
    is rebased on revision 2 so the next save is not refused. Seen with 30 % connection resets."""
    state = DeploymentState.new(make_plan())
    _record(state, "hm-deploy-1", "running")
    save_state(state)                                    # r1
    append_history(state, "deploy", "change sets", status="provisioning")
    save_state(state)                                    # r2 landed ...
    state.revision = 1                                   # ... but its answer was lost
    state.operations[-1].status = "failed"
    append_history(state, "deploy", "failed before any change", status="pending")
    save_state(state, remote=False)
    loaded = load_state("orders-api")
    assert loaded.status.value == "pending" and loaded.operations[-1].status == "failed"
    assert loaded.revision == 2
    append_history(loaded, "deploy", "again", status="completed")
    save_state(loaded)                                   # based on r2: accepted
    assert loaded.revision == 3


def test_another_operations_newer_copy_still_wins(aws, make_plan):
    import json

    from hivemind.state import state_path

    state = DeploymentState.new(make_plan())
    _record(state, "hm-deploy-1", "succeeded")
    save_state(state)                                    # r1, this machine
    laptop = json.loads(state_path("orders-api").read_text())
    ci = load_state("orders-api")
    _record(ci, "hm-update-2", "succeeded")
    append_history(ci, "update", "v2", status="completed")
    save_state(ci)                                       # r2, another machine's operation
    laptop["operations"][-1]["status"] = "failed"        # the laptop's own, later edit of its older operation
    laptop["updated_at"] = "2099-01-01T00:00:00Z"
    state_path("orders-api").write_text(json.dumps(laptop))
    loaded = load_state("orders-api")
    assert loaded.operations[-1].id == "hm-update-2" and loaded.revision == 2
