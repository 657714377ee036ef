"""Health routes from the routing code of each framework, as declared (trailing slash kept), never
from a comment (item 7 of issue 13)."""
from __future__ import annotations

import json

import pytest

from hivemind.recon import analyse_repo

NODE = {"package.json": json.dumps({"dependencies": {"express": "4"}, "scripts": {"start": "node index.js"}})}
FLASK = {"requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"}


@pytest.mark.parametrize("base, rel, code, expected", [
    (FLASK, "views.py", "# @app.route('/health')\n@app.route('/status')\ndef s(): ...\n", "/status"),
    (NODE, "index.js", "// app.get('/healthz', h)\n/* app.get('/health', h) */\napp.get('/ping', h)\n", "/ping"),
    (FLASK, "views.py", "@app.get('/healthz/')\ndef h(): ...\n", "/healthz/"),
    (FLASK, "views.py", "@app.get('/api/v1/health')\ndef h(): ...\n", "/api/v1/health"),
    (NODE, "index.js", "router.get('/internal/healthcheck', h)\n", "/internal/healthcheck"),
    (NODE, "index.js", "router.get('/users/status', h)\n", "/"),  # a status of something else
    ({"manage.py": "", "requirements.txt": "django\n", "proj/wsgi.py": "application = None\n"}, "proj/urls.py",
     "urlpatterns = [path('healthz', views.h)]\n", "/healthz"),
    ({"composer.json": '{"require": {"symfony/framework-bundle": "^7"}}'}, "src/Controller/Health.php",
     "<?php\nclass H {\n  #[Route('/health', name: 'health')]\n  public function __invoke() {}\n}\n", "/health"),
    ({"go.mod": "module x\n\ngo 1.22\n", "main.go": "package main\nimport \"net/http\"\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n"},
     "routes.go", "package main\n// mux.HandleFunc(\"/health\", h)\nfunc r() { mux.HandleFunc(\"/readyz\", h) }\n", "/readyz"),
])
def test_health_route_per_framework(make_repo, base, rel, code, expected):
    plan = analyse_repo(make_repo({**base, rel: code}))
    assert plan.services[0].health_check_path == expected


@pytest.mark.parametrize("route, expected", [
    ("app/routes/healthcheck.tsx", "/healthcheck"), ("app/routes/resources.health.ts", "/resources/health")])
def test_remix_file_routes(make_repo, route, expected):
    files = {"package.json": json.dumps({"dependencies": {"@remix-run/serve": "2"},
                                         "scripts": {"start": "remix-serve build/index.js"}}),
             route: "export const loader = () => new Response('ok')\n"}
    assert analyse_repo(make_repo(files)).services[0].health_check_path == expected


def test_fastapi_route_under_its_router_and_include_prefixes(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "fastapi\nuvicorn\n",
        "app/core/config.py": "class Settings:\n    API_V1_STR: str = '/api/v1'\nsettings = Settings()\n",
        "app/main.py": "from fastapi import FastAPI\nfrom app.api.main import api_router\nfrom app.core.config import settings\n"
                       "app = FastAPI()\napp.include_router(api_router, prefix=settings.API_V1_STR)\n",
        "app/api/main.py": "from fastapi import APIRouter\nfrom app.api.routes import utils\n"
                           "api_router = APIRouter()\napi_router.include_router(utils.router)\n",
        "app/api/routes/utils.py": "from fastapi import APIRouter\nrouter = APIRouter(prefix='/utils', tags=['utils'])\n\n"
                                   "@router.get('/health-check/')\nasync def health_check() -> bool:\n    return True\n",
    }))
    assert plan.services[0].health_check_path == "/api/v1/utils/health-check/"
