"""Property tests: whatever is in hivemind.yaml, loading either succeeds or raises PlanError with
one line naming the file, never another exception."""
from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hivemind.errors import PlanError
from hivemind.plan import DeploymentPlan, load_plan
from hivemind.plan.io import plan_from_data

FIELDS = ["name", "description", "stage", "region", "services", "database", "cache", "observability", "evidence",
          "kind", "runtime", "port", "engine", "version", "min_instances", "max_instances", "env", "health_check_path",
          "multi_az", "xray", "node_type", "instance_class", "strategy", "root"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["web", "worker", "node", "postgres", "stage-1", "production",
                                                           "us-east-1", "t3.micro", "db.t3.micro", "/health"]))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), children, max_size=5)),
    max_leaves=25,
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

VALID = {
    "name": "shop", "services": [{"name": "web", "runtime": "node", "framework": "express", "port": 3000}],
    "database": {"engine": "postgres", "version": "16"}, "cache": {"node_type": "cache.t3.micro"},
}


def assert_one_line_plan_error(path) -> DeploymentPlan | None:
    try:
        return load_plan(path)
    except PlanError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(path.name), message
        return None


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_text_loads_or_fails_in_one_line(tmp_path, text):
    path = tmp_path / "hivemind.yaml"
    path.write_text(text, encoding="utf-8")
    assert_one_line_plan_error(path)


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
def test_any_mapping_loads_or_fails_in_one_line(tmp_path, data):
    for name, dump in (("hivemind.yaml", yaml.safe_dump), ("plan.json", json.dumps)):
        path = tmp_path / name
        path.write_text(dump(data))
        assert_one_line_plan_error(path)


@SETTINGS
@given(section=st.sampled_from(["top", "service", "database", "cache"]), key=st.sampled_from(FIELDS), value=VALUES)
def test_one_bad_field_in_a_valid_plan_names_the_field(tmp_path, section, key, value):
    data = json.loads(json.dumps(VALID))
    target = {"top": data, "service": data["services"][0], "database": data["database"], "cache": data["cache"]}[section]
    target[key] = value
    path = tmp_path / "hivemind.yaml"
    path.write_text(yaml.safe_dump(data))
    plan = assert_one_line_plan_error(path)
    if plan is None:
        try:
            plan_from_data(data, "hivemind.yaml")
        except PlanError as exc:
            # The message points at a field path, e.g. `hivemind.yaml: services[0].port: ...`.
            assert str(exc).count(": ") >= 2
