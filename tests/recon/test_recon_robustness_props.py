"""Property test: recon on arbitrary manifests and code (garbage JSON, binary, odd encodings)
returns a valid plan or a ReconError, never another exception."""
from __future__ import annotations

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hivemind.errors import ReconError
from hivemind.plan import DeploymentPlan
from hivemind.recon import analyse_repo

NAMES = st.sampled_from([
    "package.json", "requirements.txt", "pyproject.toml", "manage.py", "go.mod", "main.go", "pom.xml", "Gemfile",
    "composer.json", "Dockerfile", "Procfile", "docker-compose.yml", "index.html", ".env.example", "app.py",
    "server.js", ".gitignore", "src/main/resources/application.properties", "config/database.yml",
])
FOLDERS = st.sampled_from(["", "api/", "apps/web/", "tests/", "node_modules/x/"])
SNIPPETS = st.sampled_from([
    '{"dependencies": {"express": "4", "pg": "8"}, "scripts": {"start": "node s.js"}}', "flask\ncelery[redis]\n",
    "web: gunicorn app:app -b 0.0.0.0:99999\nworker: celery -A x worker\n", "EXPOSE 0\nCMD []\n", "EXPOSE 65536\n",
    "services:\n  db:\n    image: postgres:latest\n", "services: 3\n", "app.listen(70000)\n", "package main\n",
    "PORT=abc\nDATABASE_URL=mysql://x\n", "gem 'rails'\ngem 'sidekiq'\n", '{"require": {"laravel/framework": "1"}}',
    "*\n", "!*.py\n", "services:\n  a:\n    build: .\n    ports: ['x:y', {target: a}, 70000, [1]]\n",
    "services:\n  b:\n    build: {context: [1]}\n", "services:\n  c:\n    build: ..\n    ports: ['1:3000']\n", "<artifactId>spring-boot</artifactId>\n", "app = FastAPI()\n", "path('healthz/', v)\n",
])
CONTENT = st.one_of(SNIPPETS, st.text(max_size=200), st.binary(max_size=200))
TREES = st.dictionaries(st.tuples(FOLDERS, NAMES).map("".join), CONTENT, min_size=1, max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=TREES)
def test_recon_never_crashes(tmp_path, tree):
    root = tmp_path / "repo"
    shutil.rmtree(root, ignore_errors=True)
    for rel, content in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    try:
        plan = analyse_repo(root)
    except ReconError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(plan, DeploymentPlan)
    DeploymentPlan.model_validate(plan.model_dump())  # the result is itself a valid plan
    for service in plan.services:
        assert (service.port is None) == (service.kind == "worker")
