"""The plan contract: validation messages name the file and the field, stage defaults apply."""
from __future__ import annotations

import pytest

from hivemind.errors import PlanError
from hivemind.plan import DeploymentPlan, apply_stage, load_plan, save_plan


def _plan(**overrides) -> DeploymentPlan:
    data = {
        "name": "orders-api",
        "services": [{"name": "web", "runtime": "node", "framework": "express", "port": 3000}],
        "database": {"engine": "postgres", "version": "16"},
    }
    data.update(overrides)
    return DeploymentPlan.model_validate(data)


def test_round_trip_yaml_and_json(tmp_path):
    plan = _plan()
    for name in ("hivemind.yaml", "plan.json"):
        path = save_plan(plan, tmp_path / name)
        assert load_plan(path) == plan


def test_bad_port_names_file_and_field(tmp_path):
    path = tmp_path / "hivemind.yaml"
    path.write_text("name: orders-api\nservices:\n  - name: web\n    runtime: node\n    port: 70000\n")
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert str(err.value) == "hivemind.yaml: services[0].port: must be 1-65535"


def test_unknown_field_and_bad_yaml(tmp_path):
    path = tmp_path / "hivemind.yaml"
    path.write_text("name: orders-api\nservics: []\n")
    with pytest.raises(PlanError, match=r"servics: unknown field"):
        load_plan(path)
    path.write_text("name: [unclosed\n")
    with pytest.raises(PlanError, match=r"hivemind.yaml: line \d+ not valid YAML"):
        load_plan(path)


def test_stage_defaults():
    prod = apply_stage(_plan(), "production")
    assert prod.stage == "production"
    assert prod.services[0].min_instances >= 2
    assert prod.database.multi_az and prod.database.read_replicas == 1
    assert prod.database.backup_retention_days == 7 and prod.database.deletion_protection
    stage1 = apply_stage(prod, "stage-1")
    assert stage1.services[0].instance_type == "t3.micro"
    assert stage1.services[0].max_instances == 1
    assert not stage1.database.multi_az and stage1.database.read_replicas == 0


def test_worker_with_port_rejected():
    with pytest.raises(ValueError, match="a worker has no port"):
        DeploymentPlan.model_validate(
            {"name": "jobs", "services": [{"name": "w", "kind": "worker", "runtime": "python", "port": 80}]}
        )


@pytest.mark.parametrize("env", [
    {"DB_PASSWORD": "hunter2-very-secret"},
    {"STRIPE_API_KEY": "sk_live_abc"},
    {"SECRET_KEY_BASE": "hunter2-rails"},
    {"DATABASE_URL": "postgres://app:hunter2-very-secret@db.internal:5432/app"},
])
def test_secret_looking_env_is_refused_without_echoing_it(tmp_path, env):
    path = tmp_path / "hivemind.yaml"
    save_plan(_plan(), path)
    text = path.read_text().replace("env: {}", "env: " + repr(env).replace("'", '"'), 1)
    path.write_text(text)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    message = str(err.value)
    assert message.startswith("hivemind.yaml: services[0].env: ") and "looks like a secret" in message
    assert "hunter2" not in message and "sk_live" not in message and "\n" not in message


def test_plain_env_and_secret_references_are_fine():
    plan = _plan(services=[{
        "name": "web", "runtime": "node", "port": 3000,
        "env": {"PORT": "3000", "TOKEN_TTL_SECONDS": "3600", "GITHUB_TOKEN": "", "DATABASE_URL": "postgres://db.internal:5432/app"},
        "secrets": {"DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-db"},
    }])
    assert plan.services[0].secrets["DB_PASSWORD"].startswith("arn:aws:secretsmanager")
