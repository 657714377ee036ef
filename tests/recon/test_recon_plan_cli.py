"""`hivemind plan`: output, files written, user edits kept or replaced, and every error path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hivemind.cli import main
from hivemind.plan import load_plan
from hivemind.workflows.plan import build_plan

HIVEMIND = Path(sys.executable).parent / "hivemind"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """The real CLI entry point, in process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_plan_writes_yaml_and_prints_tables_with_evidence(example_copy, capsys, monkeypatch):
    from hivemind.cli.app import console

    monkeypatch.setattr(console, "_width", 250)  # no wrapping inside table cells
    repo = example_copy("express-postgres")
    code, out, err = run(["plan", str(repo)], capsys)
    assert code == 0, err
    written = load_plan(repo / "hivemind.yaml")
    assert written.services[0].framework == "express" and written.database.engine == "postgres"
    for text in ("express", "3000", "npm start", "/health", "postgres 16", "evidence", "src/server.js:29", "wrote"):
        assert text in out, text
    assert (repo / "hivemind.yaml").read_text().startswith("# HiveMind deployment plan")


@pytest.mark.parametrize("width", [80, 100])
def test_evidence_is_readable_on_a_narrow_terminal(example_copy, capsys, monkeypatch, width):
    from hivemind.cli.app import console

    monkeypatch.setattr(console, "_width", width)
    repo = example_copy("flask-mysql")
    code, out, err = run(["plan", str(repo), "--no-llm"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines[:-1]) <= width  # the last line is "wrote <path>"
    plan = load_plan(repo / "hivemind.yaml")
    # Every field path and every source is printed whole, on one line, never broken mid-word.
    for e in plan.evidence:
        assert any(e.field in line for line in lines), e.field
        assert any(e.source in line for line in lines), e.source
    assert any("services[0].health_check_path = /ping" in line for line in lines)
    assert any("docker-compose.yml:4 - pinned by image mysql:8.4" in line for line in lines)


def test_services_table_on_a_narrow_terminal_keeps_words_whole(make_repo, capsys, monkeypatch):
    from hivemind.cli.app import console

    monkeypatch.setattr(console, "_width", 80)
    repo = make_repo({
        "apps/api/package.json": json.dumps({"dependencies": {"fastify": "4"}, "scripts": {"start": "node i.js"}}),
        "services/queue/composer.json": json.dumps({"require": {"laravel/framework": "^11"}}),
        "services/queue/Procfile": "web: php artisan serve\nworker: php artisan queue:work --tries=3\n",
    })
    code, out, err = run(["plan", str(repo), "--no-llm"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == f"wrote {repo / 'hivemind.yaml'}"  # a path is never split by a newline
    assert max(len(line) for line in lines[:-1]) <= 80
    for word in ("fastify", "laravel-queue", "worker"):
        assert any(f" {word} " in line for line in lines), word
    assert "folders: api in apps/api, queue in services/queue, queue-worker in services/queue" in " ".join(out.split())


def test_json_output_is_only_the_plan(example_copy, capsys):
    repo = example_copy("fastapi-redis")
    code, out, err = run(["plan", str(repo), "orders API", "--production", "--xray", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)  # the whole of stdout parses
    assert data["stage"] == "production" and data["description"] == "orders API"
    assert data["observability"]["xray"] is True
    assert data["services"][0]["min_instances"] >= 2 and data["cache"]["num_nodes"] == 2


def test_user_edits_survive_rerun_and_force_replaces_them(example_copy, capsys):
    repo = example_copy("go-api")
    assert run(["plan", str(repo)], capsys)[0] == 0
    data = yaml.safe_load((repo / "hivemind.yaml").read_text())
    data["services"][0]["port"] = 9999
    data["region"] = "eu-west-1"
    (repo / "hivemind.yaml").write_text(yaml.safe_dump(data))

    code, out, err = run(["plan", str(repo), "--xray"], capsys)
    assert code == 0 and "kept your edits" in err
    kept = load_plan(repo / "hivemind.yaml")
    assert (kept.services[0].port, kept.region, kept.observability.xray) == (9999, "eu-west-1", True)

    code, _, _ = run(["plan", str(repo), "--force"], capsys)
    fresh = load_plan(repo / "hivemind.yaml")
    assert code == 0 and (fresh.services[0].port, fresh.region, fresh.observability.xray) == (8080, "us-east-1", False)


def test_stage_flags_apply_to_a_kept_plan(example_copy):
    repo = example_copy("django-postgres")
    build_plan(repo)
    prod = build_plan(repo, stage="production")
    assert prod.kept_existing and prod.plan.database.multi_az and prod.plan.database.deletion_protection
    back = build_plan(repo, stage="stage-1")
    assert back.plan.services[0].min_instances == 1 and not back.plan.database.multi_az


def test_build_plan_without_write_leaves_repo_untouched(example_copy):
    repo = example_copy("static-site")
    result = build_plan(repo, write=False, description="brochure")
    assert result.path is None and not result.kept_existing and result.plan.description == "brochure"
    assert not (repo / "hivemind.yaml").exists()


@pytest.mark.parametrize("setup, argv, message", [
    (None, ["plan", "{tmp}/missing"], "no such directory: {tmp}/missing"),
    ("empty", ["plan", "{repo}"], "no deployable application found in {repo}"),
    ("bad-yaml", ["plan", "{repo}"], "hivemind.yaml: line 3 not valid YAML"),
    ("bad-port", ["plan", "{repo}"], "hivemind.yaml: services[0].port: must be 1-65535"),
    ("app", ["plan", "{repo}", "--production", "--stage-1"], "--production and --stage-1 are mutually exclusive"),
    ("app", ["plan", "{repo}", "--name", "Not Valid"], "invalid name 'Not Valid'"),
    ("app", ["plan", "{repo}", "--bogus"], "No such option: --bogus"),
    (None, ["plan"], "Missing argument 'repo'"),
    ("plan-is-dir", ["plan", "{repo}"], "hivemind.yaml: exists but is not a file"),
    ("latin1-plan", ["plan", "{repo}"], "cannot read plan: UnicodeDecodeError"),
    ("unknown-field", ["plan", "{repo}", "--json"], "hivemind.yaml: servics: unknown field"),
])
def test_error_paths_are_one_line_and_exit_2(tmp_path, capsys, setup, argv, message):
    repo = tmp_path / "repo"
    repo.mkdir()
    if setup == "app":
        (repo / "index.html").write_text("<h1>hi</h1>")
    elif setup == "bad-yaml":
        (repo / "hivemind.yaml").write_text("name: shop\nservices: [unclosed\n  - x: {\n")
    elif setup == "plan-is-dir":
        (repo / "hivemind.yaml").mkdir()
    elif setup == "latin1-plan":
        (repo / "hivemind.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    elif setup == "unknown-field":
        (repo / "hivemind.yaml").write_text("name: shop\nservics: []\n")
    elif setup == "bad-port":
        (repo / "hivemind.yaml").write_text("name: shop\nservices:\n  - name: web\n    runtime: node\n    port: 0\n")
    argv = [a.format(tmp=tmp_path, repo=repo) for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message.format(tmp=tmp_path, repo=repo) in lines[0]
    assert "Traceback" not in err


def test_console_script_end_to_end(example_copy, tmp_path):
    """The installed `hivemind` entry point: JSON on stdout, errors as one line on stderr."""
    env = {**os.environ, "NO_COLOR": "1"}
    repo = example_copy("celery-worker")
    ok = subprocess.run([str(HIVEMIND), "plan", str(repo), "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["services"][0]["kind"] == "worker"
    bad = subprocess.run([str(HIVEMIND), "plan", str(tmp_path / "nowhere"), "--json"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == f"error: no such directory: {tmp_path / 'nowhere'}"


def test_unwritable_plan_is_one_line_error(example_copy, capsys, monkeypatch):
    import hivemind.workflows.plan as workflow

    def refuse(plan, path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(workflow, "save_plan", refuse)
    code, out, err = run(["plan", str(example_copy("go-api"))], capsys)
    assert code == 2 and out == ""
    assert err.strip().endswith("hivemind.yaml: cannot write the plan: Permission denied")
