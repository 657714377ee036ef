"""Fixtures for artifact tests: a small app repository, a plan, and an S3 call counter."""
from __future__ import annotations

import pytest

from hivemind.plan.models import DeploymentPlan


@pytest.fixture
def plan():
    return DeploymentPlan.model_validate(
        {"name": "shop-api", "services": [{"name": "web", "runtime": "node", "port": 3000}]})


@pytest.fixture
def app_repo(tmp_path):
    repo = tmp_path / "shop"
    (repo / "src").mkdir(parents=True)
    (repo / "package.json").write_text('{"name": "shop", "scripts": {"start": "node src/server.js"}}\n')
    (repo / "src" / "server.js").write_text("require('http').createServer((q, s) => s.end('ok')).listen(3000)\n")
    (repo / "bin").mkdir()
    (repo / "bin" / "start.sh").write_text("#!/bin/sh\nexec node src/server.js\n")
    (repo / "bin" / "start.sh").chmod(0o755)
    (repo / ".gitignore").write_text("*.log\nlocal-notes/\n")
    (repo / "debug.log").write_text("noise\n")
    (repo / "local-notes").mkdir()
    (repo / "local-notes" / "todo.txt").write_text("x\n")
    (repo / "node_modules" / "left-pad").mkdir(parents=True)
    (repo / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".env").write_text("DB_PASSWORD=hunter2\n")
    (repo / ".env.example").write_text("DB_PASSWORD=\n")
    return repo


@pytest.fixture
def s3_calls():
    """Counts S3 API calls made through HiveMind's boto3 sessions: {'PutObject': n, ...}."""
    from hivemind import aws

    counts: dict[str, int] = {}

    def count(model, **_):
        counts[model.name] = counts.get(model.name, 0) + 1

    aws._session.cache_clear()  # fresh sessions, so every client below carries the hook
    session = aws._session("us-east-1")
    session.events.register("before-call.s3", count)
    yield counts
    session.events.unregister("before-call.s3", count)
    aws._session.cache_clear()
