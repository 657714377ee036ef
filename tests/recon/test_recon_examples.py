"""Every example: recon's plan is kept as a snapshot, and the essentials are asserted outright."""
from __future__ import annotations

import pytest

from hivemind.recon import analyse_repo

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# example -> [(kind, runtime, framework, port, health)], database engine, cache?
EXPECTED = {
    "express-postgres": ([("web", "node", "express", 3000, "/health")], "postgres", False),
    "fastapi-redis": ([("web", "python", "fastapi", 8000, "/healthz")], None, True),
    "django-postgres": ([("web", "python", "django", 8000, "/health/")], "postgres", False),
    "go-api": ([("web", "go", "net/http", 8080, "/healthz")], None, False),
    "static-site": ([("web", "static", None, 8080, "/")], None, False),
    "celery-worker": ([("worker", "python", "celery", None, "/")], None, True),
    "docker-app": ([("web", "docker", None, 8080, "/ping")], None, False),
    "flask-mysql": ([("web", "python", "flask", 5050, "/ping")], "mysql", False),
    "procfile-app": ([("web", "node", "express", 5000, "/status"), ("worker", "node", "bullmq", None, "/")], None, True),
}


def test_every_example_is_covered():
    present = {p.name for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "ci"}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_plan(example, snapshot):
    plan = analyse_repo(EXAMPLES / example)
    services, engine, has_cache = EXPECTED[example]
    assert [(s.kind, s.runtime, s.framework, s.port, s.health_check_path) for s in plan.services] == services
    assert (plan.database.engine if plan.database else None) == engine
    assert (plan.cache is not None) == has_cache
    assert plan.name == example
    assert all(e.source for e in plan.evidence)
    assert plan.model_dump(mode="json") == snapshot


def test_examples_hold_no_generated_plans():
    assert not list(EXAMPLES.glob("*/hivemind.yaml"))


def test_ci_example_runs_hivemind_upgrade():
    import yaml

    workflow = yaml.safe_load((EXAMPLES / "ci" / "hivemind-upgrade.yml").read_text())
    steps = workflow["jobs"]["upgrade"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.startswith('hivemind upgrade "${{ inputs.deployment }}"') for r in runs)
    assert workflow["permissions"]["id-token"] == "write"  # OIDC, no stored keys
    assert not any("AWS_SECRET_ACCESS_KEY" in str(s) for s in steps)
