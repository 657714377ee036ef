"""docs/examples.md holds every example with the planner's plan and the synth's expected output.

Synth costs a few seconds per example on this machine (~15 s each when the 2 cores are shared),
so every example's plan section is regenerated and compared, and one example's synth section.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parents[2] / "docs" / "gen_examples.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_examples", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stale(gen) -> str:
    return f"docs/examples.md is out of date: run `{gen.REGENERATE}` and commit docs/examples.md"


@pytest.fixture(scope="module")
def text(gen):
    assert gen.EXAMPLES_MD.exists(), stale(gen)
    return gen.EXAMPLES_MD.read_text(encoding="utf-8")


def test_every_example_has_a_section(gen, text):
    names = gen.example_names()
    assert {"express-postgres", "go-api", "static-site"} <= set(names)
    for name in names:
        assert f"\n## {name}\n" in text, f"{stale(gen)} (no section for examples/{name})"
    assert "\n## ci\n" not in text  # workflows, not an app


def test_plans_match_the_planner(gen, text):
    for name in gen.example_names():
        plan = gen.planned(name)
        if gen.plan_section(name, plan) not in text:
            pytest.fail(f"{stale(gen)} (the plan of examples/{name} changed)", pytrace=False)
        # And the numbers a reader looks for are really there, in this example's section.
        body = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for service in plan.services:
            assert f"| {service.name} | {service.kind} | {service.runtime} |" in body
        assert f"name: {plan.name}\n" in body


def test_planning_leaves_no_plan_in_examples(gen):
    gen.planned("go-api")
    assert not list(gen.EXAMPLES.glob("*/hivemind.yaml"))


def test_one_examples_synth_section_matches(gen, text):
    # go-api: the smallest web example (4 stacks, no database).
    stacks, result = gen.synthesized(gen.planned("go-api"))
    section = gen.synth_section("go-api", stacks, result)
    assert [name for name, _, _ in stacks] == ["go-api-network", "go-api-edge", "go-api-app-blue", "go-api-observability"]
    assert f"**${result.cost.total_usd:,.2f}**" in section and result.cost.total_usd > 0
    if section not in text:
        pytest.fail(f"{stale(gen)} (the synth of examples/go-api changed)", pytrace=False)
