"""Monorepos (item 4 of issue 13): only servers and workers are services, members install from
the workspace root with its package manager, the API comes first, front ends are static sites."""
from __future__ import annotations

import json

from hivemind.recon import analyse_repo


def pkg(name: str, deps: dict, scripts: dict | None = None, **extra) -> str:
    return json.dumps({"name": name, "dependencies": deps, "scripts": scripts or {}, **extra}, indent=2)


PNPM = {
    "package.json": pkg("root", {}, {"build": "turbo run build"}, packageManager="pnpm@9.1.0"),
    "pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n", "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    "turbo.json": "{}",
    "apps/web/package.json": pkg("@acme/web", {"react": "18"}, {"build": "vite build", "start": "vite"},
                                 devDependencies={"vite": "5"}),
    "apps/web/index.html": "<div id=root></div>",
    "apps/api/package.json": pkg("@acme/api", {"fastify": "4", "@acme/db": "workspace:*"},
                                 {"build": "tsc", "start": "node dist/index.js"}),
    "apps/desktop/package.json": pkg("@acme/desktop", {"express": "4"}, {"start": "electron ."},
                                     devDependencies={"electron": "30"}),
    "packages/db/package.json": pkg("@acme/db", {"pg": "8", "drizzle-orm": "0.30"}, {"build": "tsc"},
                                    exports={".": "./dist/index.js"}),
    "packages/ui/package.json": pkg("@acme/ui", {"react": "18"}, {}, exports={".": "./src/index.ts"}),
    "tooling/eslint/package.json": pkg("@acme/eslint-config", {"eslint": "9"}),
}


def test_pnpm_turbo_monorepo(make_repo):
    plan = analyse_repo(make_repo(PNPM))
    assert [(s.name, s.runtime, s.root) for s in plan.services] == [
        ("api", "node", "apps/api"), ("web", "static", "apps/web")]
    api, web = plan.services
    assert api.build_command == ("cd ../.. && pnpm install --frozen-lockfile && "
                                 "pnpm exec turbo run build --filter=@acme/api...")
    assert api.start_command == "pnpm start"
    assert web.start_command == "python3 -m http.server 8080 --directory dist"  # never the vite dev server
    assert web.build_command.startswith("cd ../.. && pnpm install --frozen-lockfile")
    assert plan.database.engine == "postgres"
    excluded = {e.value: e.reason for e in plan.evidence if e.field == "services.excluded"}
    assert "desktop app (Electron)" in excluded["apps/desktop"]


def test_npm_workspaces_without_turbo(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg("root", {}, {}, workspaces=["services/*"]), "package-lock.json": "{}",
        "services/gateway/package.json": pkg("gateway", {"express": "4"}, {"build": "tsc", "start": "node dist/main.js"}),
        "services/orders/package.json": pkg("orders", {"express": "4", "pg": "8"}, {"start": "node index.js"}),
    }))
    assert [s.name for s in plan.services] == ["orders", "gateway"]  # the one with the database first
    assert plan.services[1].build_command == "cd ../.. && npm ci && npm run build --workspace gateway"
    assert plan.services[0].build_command == "cd ../.. && npm ci"


def test_express_app_whose_start_is_a_dev_server_is_a_static_site(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg("cra", {"react-scripts": "5", "express": "4"},
                            {"start": "react-scripts start", "build": "react-scripts build"}),
        "public/index.html": "<div id=root></div>",
    }))
    [site] = plan.services
    assert (site.runtime, site.start_command) == ("static", "python3 -m http.server 8080 --directory build")


def test_front_end_served_by_the_api_is_part_of_it(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg("shop", {"express": "4"}, {"start": "node backend/server.js",
                                                      "heroku-postbuild": "npm install --prefix frontend && npm run build --prefix frontend"}),
        "backend/server.js": "app.use(express.static(path.join(__dirname, '/frontend/build')))\napp.listen(5000)\n",
        "frontend/package.json": pkg("web", {"react-scripts": "5"}, {"start": "react-scripts start", "build": "react-scripts build"}),
        "frontend/public/index.html": "<div id=root></div>",
    }))
    [web] = plan.services
    assert web.build_command == "npm install && npm run heroku-postbuild"
    excluded = {e.value: e.reason for e in plan.evidence if e.field == "services.excluded"}
    assert "served from frontend/build by backend/server.js" in excluded["frontend"]


def test_front_end_built_into_the_backend_image(make_repo):
    plan = analyse_repo(make_repo({
        "backend/requirements.txt": "fastapi\nuvicorn\n", "backend/app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "backend/Dockerfile": "FROM node:22 AS ui\nCOPY ./frontend /app/frontend\nRUN npm run build\nFROM python:3.12\n",
        "frontend/package.json": pkg("ui", {"react": "18"}, {"build": "vite build"}, devDependencies={"vite": "5"}),
        "frontend/index.html": "<div id=root></div>",
    }))
    assert [s.root for s in plan.services] == ["backend"]


def test_rewired_create_react_app_is_a_static_site(make_repo):
    plan = analyse_repo(make_repo({
        "client/package.json": pkg("c", {"react-scripts": "5"}, {"start": "react-app-rewired start",
                                                                 "build": "react-app-rewired build"}),
        "client/public/index.html": "<div id=root></div>",
    }))
    assert [(s.runtime, s.start_command) for s in plan.services] == [
        ("static", "python3 -m http.server 8080 --directory build")]


def test_dockerfile_beside_a_go_main_package_deploys_the_module(make_repo):
    plan = analyse_repo(make_repo({
        "go.mod": "module x\n\ngo 1.22\n\nrequire github.com/lib/pq v1.10.9\n",
        "cmd/server/main.go": "package main\nimport \"net/http\"\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n",
        "cmd/server/Dockerfile": "FROM golang:1.22\nEXPOSE 8080\nCMD [\"/server\"]\n",
    }))
    [web] = plan.services
    assert (web.root, web.runtime, web.build_command) == (".", "go", "go build -o bin/app ./cmd/server")
