"""Physical names built from the plan name stay within AWS's limits and distinct per deployment."""
from __future__ import annotations

import re

import pytest

from hivemind.plan import DeploymentPlan, apply_stage
from hivemind.render import names

LONG_A = "abcdefghij-abcdefghij-abcdefghij-abcdefg"  # 40 characters: the longest plan name allowed
LONG_B = "abcdefghij-abcdefghij-abcdefghij-abcdefz"
REDIS_ID = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]$")


@pytest.mark.parametrize(("build", "limit"), [(names.cache_group_id, 40), (names.xray_group_name, 32),
                                              (names.xray_sampling_rule_name, 32)])
def test_long_names_fit_and_stay_distinct(build, limit):
    a, b = build(LONG_A), build(LONG_B)
    assert len(a) <= limit and len(b) <= limit
    assert a != b  # same 34-character prefix, different deployments
    assert build(LONG_A) == a  # deterministic: the deploy engine and ops tooling find it again


def test_short_names_are_kept_as_they_are():
    assert names.cache_group_id("shop") == "shop-redis"
    assert names.xray_group_name("shop") == "hivemind-shop"
    assert names.xray_sampling_rule_name("shop") == "hm-shop"


@pytest.mark.parametrize("plan_name", [LONG_A, "a" * 33 + "-b", "ab--cd"])
def test_cache_group_id_is_a_valid_replication_group_id(plan_name):
    assert REDIS_ID.match(names.cache_group_id(plan_name)), names.cache_group_id(plan_name)


def test_longest_plan_name_with_tracing_and_cache_passes_the_checks(synths):
    plan = apply_stage(DeploymentPlan.model_validate({
        "name": LONG_A, "services": [{"name": "web", "runtime": "node", "port": 3000}],
        "cache": {}, "observability": {"xray": True},
    }), "stage-1")
    result = synths.get("names-longest", plan)
    assert [f for f in result.findings if f.blocking] == []
