"""apply_plan_patch: validated against the plan schema, refused when it touches stateful identity (the
guard's knowledge: create-only properties from cfn-lint's schemas, engines, derived identifiers),
written atomically, returned as a unified diff; a refused patch leaves hivemind.yaml byte for byte."""
from __future__ import annotations

import pytest

from hivemind.medic import PatchRejected, apply_plan_patch, check_patch
from hivemind.plan.io import load_plan, save_plan


@pytest.fixture
def plan_file(tmp_path, make_plan):
    plan = make_plan(database={"engine": "postgres", "version": "16", "instance_class": "db.t3.micro"},
                     cache={"node_type": "cache.t3.micro"})
    return save_plan(plan, tmp_path / "hivemind.yaml")


def test_apply_writes_the_plan_and_returns_the_diff(plan_file):
    result = apply_plan_patch(plan_file, [{"op": "replace", "path": "/services/0/instance_type", "value": "t3a.micro"},
                                          {"op": "replace", "path": "/database/instance_class", "value": "db.t4g.micro"}])
    assert result.plan.services[0].instance_type == "t3a.micro"
    assert "-  instance_type: t3.micro\n+  instance_type: t3a.micro" in result.diff_text
    assert "+  instance_class: db.t4g.micro" in result.diff_text
    assert result.diff_text.startswith("--- a/hivemind.yaml\n+++ b/hivemind.yaml\n")
    reloaded = load_plan(plan_file)
    assert reloaded == result.plan and reloaded.database.instance_class == "db.t4g.micro"
    assert not list(plan_file.parent.glob("*.tmp*"))  # atomic write leaves no temporary file behind


@pytest.mark.parametrize("patch, why", [
    ([{"op": "replace", "path": "/database/engine", "value": "mysql"}], "changes the database engine"),
    ([{"op": "replace", "path": "/database/name", "value": "orders"}], "DBName is create-only"),
    ([{"op": "remove", "path": "/database"}], "removes the database"),
    ([{"op": "replace", "path": "/name", "value": "shop-2"}], "renames (replaces) the database instance"),
    ([{"op": "replace", "path": "/region", "value": "eu-west-1"}], "another region"),
    ([{"op": "remove", "path": "/cache"}], "removes the cache"),
])
def test_stateful_identity_is_refused_and_the_file_left_alone(plan_file, patch, why):
    before = plan_file.read_bytes()
    with pytest.raises(PatchRejected) as refused:
        apply_plan_patch(plan_file, patch)
    assert why in str(refused.value) and refused.value.exit_code == 2
    assert plan_file.read_bytes() == before


@pytest.mark.parametrize("patch, why", [
    ([{"op": "replace", "path": "/services/0/port", "value": "eighty"}], "not valid"),
    ([{"op": "replace", "path": "/services/7/instance_type", "value": "t3a.micro"}], "does not apply"),
    ([{"op": "add", "path": "/services/0/colour", "value": "blue"}], "unknown field"),
    ([], "empty"),
])
def test_invalid_patches_are_refused_with_one_line(plan_file, patch, why):
    before = plan_file.read_bytes()
    with pytest.raises(PatchRejected) as refused:
        apply_plan_patch(plan_file, patch)
    assert why in str(refused.value) and "\n" not in str(refused.value)
    assert plan_file.read_bytes() == before


def test_a_plan_without_stateful_resources_may_be_renamed(make_plan):
    plan = make_plan()
    assert check_patch(plan, [{"op": "replace", "path": "/name", "value": "shop-2"}]).name == "shop-2"
