"""Hypothesis-generated plan files for the loader (hivemind.plan.io.load_plan): each gives a plan
or one clear line (PlanError naming the file), never a traceback."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hivemind.errors import PlanError
from hivemind.plan.io import load_plan
from hivemind.plan.models import DeploymentPlan

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

VALID = {
    "name": "orders-api",
    "stage": "stage-1",
    "region": "us-east-1",
    "services": [{"name": "web", "runtime": "node", "port": 3000, "health_check_path": "/health",
                  "min_instances": 1, "max_instances": 2, "env": {"NODE_ENV": "production"}}],
    "database": {"engine": "postgres", "version": "16", "instance_class": "db.t3.micro"},
    "cache": None,
    "observability": {"dashboard": True, "xray": False, "alarms": True},
}

# Values YAML and JSON can both carry, nested a little: what a hand-edited plan may hold.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**40, max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["", "node", "web", "worker", "postgres", "db.t3.micro", "production", "-1", "0", "65536",
                     "orders-api", "Orders_API", "a" * 60, "null", "yes", "1e9", "\n", "x\ny", "\x00", "é"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)), max_leaves=8)


def _paths(data, prefix=()):
    """Every (path) into the valid plan, to pick one to mutate."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(VALID) if p]


@st.composite
def mutated_plans(draw):
    """The valid plan with a few fields replaced, deleted or added."""
    data = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced an ancestor
        if not isinstance(parent, (dict, list)):
            continue
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        key = path[-1]
        try:
            if action == "replace":
                parent[key] = draw(values)
            elif action == "delete":
                del parent[key]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue
    return data


def _check(path: Path) -> None:
    try:
        plan = load_plan(path)
    except PlanError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        assert message.startswith((path.name, str(path))), message
        assert "Traceback" not in message
    else:
        assert isinstance(plan, DeploymentPlan)


def test_the_valid_plan_loads(tmp_path):
    path = tmp_path / "hivemind.yaml"
    path.write_text(yaml.safe_dump(VALID))
    assert load_plan(path).name == "orders-api"


@FUZZ
@given(data=mutated_plans(), as_json=st.booleans())
def test_mutated_plans_give_a_plan_or_one_line(tmp_path, data, as_json):
    path = tmp_path / ("plan.json" if as_json else "hivemind.yaml")
    path.write_text(json.dumps(data) if as_json else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _check(path)


# YAML reads `2001-02-30` as a timestamp and PyYAML raises a bare ValueError for an impossible
# date: load_plan lets it escape (a traceback). Known gap, pinned below; the fuzzing skips dates.
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


@FUZZ
@given(text=st.one_of(
    st.text(max_size=200).filter(lambda t: not _DATE.search(t)),
    st.sampled_from(["", "---", "- a\n- b", "name: [", "{", "name: orders-api\nservices: 3", "a: &x [*x]",
                     "name: !!python/object:os.system {}", "? [a, b]\n: c", "\t- x", "a: !!binary x=",
                     "name: orders-api\nservices:\n  - {name: web, runtime: node, port: 0x1F}"]),
), suffix=st.sampled_from([".yaml", ".json"]))
def test_arbitrary_text_gives_a_plan_or_one_line(tmp_path, text, suffix):
    path = tmp_path / f"plan{suffix}"
    path.write_text(text, encoding="utf-8")
    _check(path)


@pytest.mark.parametrize("text", ["when: 2001-02-30", "0: 0000-00-00"])
def test_an_impossible_date_is_one_line(tmp_path, text):
    path = tmp_path / "hivemind.yaml"
    path.write_text(text, encoding="utf-8")
    _check(path)


@FUZZ
@given(raw=st.binary(max_size=100))
def test_arbitrary_bytes_give_a_plan_or_one_line(tmp_path, raw):
    path = tmp_path / "hivemind.yaml"
    path.write_bytes(raw)
    _check(path)
