"""Node.js: package.json dependencies name the framework; scripts give build and start."""
from __future__ import annotations

import json
import re

from ..draft import Findings, Rank
from ..ports import port_in_code, port_in_command, reads_port_env
from ..repo import RepoView, is_app_path, join, parent_of
from ..workspaces import workspace_build

# Most specific first: a Nest app also depends on express.
FRAMEWORKS = (
    ("@nestjs/core", "nest"), ("next", "next"), ("@remix-run/serve", "remix"), ("@remix-run/express", "remix"),
    ("@remix-run/node", "remix"), ("@react-router/serve", "react-router"), ("@tanstack/react-start", "tanstack-start"),
    ("nuxt", "nuxt"), ("fastify", "fastify"), ("koa", "koa"), ("express", "express"), ("@hapi/hapi", "hapi"),
)
# Job-queue libraries: a package using one and serving no HTTP is a worker.
QUEUE_LIBRARIES = ("bullmq", "bull", "bee-queue", "agenda", "@temporalio/worker", "kafkajs", "amqplib")
# A start script that runs a front-end dev server is not a production server: the static
# detector serves the built site instead.
_DEV_SERVER = re.compile(
    r"\b(?:react-scripts start|react-app-rewired start|craco start|vite(?:\s+dev)?(?:\s|$)|ng serve|vue-cli-service serve|storybook|start-storybook"
    r"|parcel(?!\s+build)|webpack(?:-dev-server|\s+serve)|gatsby develop|astro dev|eleventy --serve|tsc\s+(?:-w|--watch))"
)
_SERVES_HTTP = re.compile(r"\.listen\(|createServer\(")
# Packages that make an app something other than a server: never a service of the plan.
NOT_SERVERS = {"electron": "a desktop app (Electron)", "@tauri-apps/api": "a desktop app (Tauri)",
               "@tauri-apps/cli": "a desktop app (Tauri)", "expo": "a mobile app (Expo)",
               "react-native": "a mobile app (React Native)"}
STATIC_BUILDERS = ("react-scripts", "react-app-rewired", "@craco/craco", "vite", "@angular/cli", "@vue/cli-service", "parcel", "webpack")
DEFAULT_PORT = 3000
ENTRY_FILES = (
    "server.js", "server.ts", "index.js", "index.ts", "app.js", "app.ts", "main.ts", "main.js",
    "server.mjs", "index.mjs", "app.mjs",
)
SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts")


def load_package(repo: RepoView, rel: str) -> dict | None:
    """package.json as a dict, or None when it is not valid JSON (a detector never raises)."""
    text = repo.read(rel)
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def dependencies(package: dict) -> dict[str, str]:
    deps: dict[str, str] = {}
    for key in ("dependencies", "devDependencies", "peerDependencies"):
        section = package.get(key)
        if isinstance(section, dict):
            deps.update({str(k): str(v) for k, v in section.items()})
    return deps


def line_of(repo: RepoView, rel: str, key: str) -> int | None:
    hit = repo.first(rel, re.compile(r'"' + re.escape(key) + r'"\s*:'))
    return hit[0] if hit else None


_NEXT_CONFIGS = ("next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs")
_STATIC_EXPORT = re.compile(r"""\boutput\s*:\s*['"]export['"]""")


def static_export(repo: RepoView, root: str) -> tuple[str, int] | None:
    """(config file, line) when next.config sets `output: 'export'` (a static site, no server)."""
    for name in _NEXT_CONFIGS:
        rel = repo.in_root(root, name)
        if rel and (hit := repo.first(rel, _STATIC_EXPORT)):
            return rel, hit[0]
    return None


# Monorepo task runners: a root script that runs them starts other packages, not a server of its own.
_MONOREPO_RUNNER = re.compile(r"\b(?:turbo|nx|lerna)\s+run\b|\bnx\s+run-many\b|--workspaces?\b|\s-w\s|\bpnpm\s+(?:-r|--recursive|--filter)\b")


def _is_workspace_root(repo: RepoView, root: str, package: dict) -> bool:
    return "workspaces" in package or any(repo.in_root(root, name) for name in ("pnpm-workspace.yaml", "lerna.json"))


def package_manager(repo: RepoView, root: str) -> tuple[str, str]:
    """(install command, script runner) for the lockfile the folder has."""
    if repo.in_root(root, "pnpm-lock.yaml"):
        return "pnpm install --frozen-lockfile", "pnpm run"
    if repo.in_root(root, "yarn.lock"):
        return "yarn install --frozen-lockfile", "yarn run"
    if repo.in_root(root, "package-lock.json") or repo.in_root(root, "npm-shrinkwrap.json"):
        return "npm ci", "npm run"
    return "npm install", "npm run"


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("package.json"):
        root = parent_of(rel)
        if not is_app_path(root):
            continue
        package = load_package(repo, rel)
        if package is None:
            continue
        deps = dependencies(package)
        scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
        framework = next(((dep, name) for dep, name in FRAMEWORKS if dep in deps), None)
        start_script = scripts.get("start") if isinstance(scripts.get("start"), str) else None
        main = package.get("main") if isinstance(package.get("main"), str) else None
        entry = next((repo.in_root(root, f) for f in ENTRY_FILES if repo.in_root(root, f)), None)
        if framework is None and (start_script is None or _DEV_SERVER.search(start_script)):
            continue  # a library or a front-end build: the static detector decides
        if app := next((dep for dep in NOT_SERVERS if dep in deps), None):
            found.exclude(root, rel, line_of(repo, rel, app), f"depends on {app}: {NOT_SERVERS[app]}, not a server")
            continue
        if start_script and _DEV_SERVER.search(start_script) and not scripts.get("start:prod") \
                and (framework is None or framework[1] in ("express", "koa", "fastify", "hapi")) \
                and any(dep in deps for dep in STATIC_BUILDERS) and isinstance(scripts.get("build"), str):
            continue  # `start` runs the front end's dev server: the built site is served as static files
        if framework is None and (_is_workspace_root(repo, root, package) or _MONOREPO_RUNNER.search(start_script)):
            continue  # `turbo run start` starts the workspace's apps, which are found in their own folders
        if framework and framework[1] == "next" and static_export(repo, root):
            continue  # `output: 'export'`: `next build` writes a static site to out/, `next start` refuses it
        files = repo.source_files(root, SOURCE_SUFFIXES, prefer=ENTRY_FILES)
        queue = next((dep for dep in QUEUE_LIBRARIES if dep in deps), None)
        serves_http = framework is not None or any(repo.first(f, _SERVES_HTTP) for f in files)
        draft = found.add_service(root, "web" if serves_http or not queue else "worker")
        draft.claim("runtime", "node", rel, None, "package.json present", Rank.MANIFEST)
        if queue:
            # Kept for a Procfile worker process of this folder, which runs the queue.
            draft.claim("worker_framework", queue, rel, line_of(repo, rel, queue), f"depends on {queue}", Rank.MANIFEST)
        if not serves_http and queue:
            draft.claim("kind", "worker", rel, line_of(repo, rel, queue),
                        f"depends on {queue} and serves no HTTP", Rank.MANIFEST)
            draft.claim("framework", queue, rel, line_of(repo, rel, queue), f"depends on {queue}", Rank.MANIFEST)
        if framework:
            dep, name = framework
            draft.claim("framework", name, rel, line_of(repo, rel, dep), f"depends on {dep}", Rank.MANIFEST)

        install, runner = package_manager(repo, root)
        # Heroku's convention: heroku-postbuild, when present, is the build (often building a front end too).
        build_script = "heroku-postbuild" if isinstance(scripts.get("heroku-postbuild"), str) else "build"
        build = install + (f" && {runner} {build_script}" if isinstance(scripts.get(build_script), str) else "")
        why = "install dependencies" + (f", then the {build_script} script" if build_script in scripts else "")
        if member := workspace_build(repo, root, isinstance(scripts.get("build"), str)):
            # A workspace member installs from the workspace root, with its package manager and lockfile.
            build, workspace = member
            runner = {"pnpm": "pnpm run", "yarn": "yarn run", "bun": "bun run", "npm": "npm run"}[workspace.manager]
            why = f"{workspace.manager} workspace at {workspace.root}: install from the root lockfile, build this package"
        draft.claim("build_command", build, rel, line_of(repo, rel, build_script) if build_script in scripts else None,
                    why, Rank.SCRIPT)
        prod_script = scripts.get("start:prod") if isinstance(scripts.get("start:prod"), str) else None
        if prod_script:
            # Nest and others keep `start` for a compiling dev run and name the production one.
            draft.claim("start_command", f"{runner} start:prod", rel, line_of(repo, rel, "start:prod"),
                        f"production start script: {prod_script}", Rank.SCRIPT)
            if port := port_in_command(prod_script):
                draft.claim("port", port, rel, line_of(repo, rel, "start:prod"), f"start:prod script: {prod_script}",
                            Rank.SCRIPT)
        elif start_script:
            draft.claim("start_command", f"{runner.split()[0]} start", rel, line_of(repo, rel, "start"),
                        f"start script: {start_script}", Rank.SCRIPT)
            if port := port_in_command(start_script):
                draft.claim("port", port, rel, line_of(repo, rel, "start"), f"start script: {start_script}", Rank.SCRIPT)
        elif framework and framework[1] == "next":
            draft.claim("start_command", "npx next start -p {port}", rel, line_of(repo, rel, "next"),
                        "Next.js production server", Rank.DEFAULT - 5)
        else:
            target = join(root, main) if main and repo.in_root(root, main) else entry
            if target:
                inside = target if root == "." else target[len(root) + 1:]
                draft.claim("start_command", f"node {inside}", target, None, "entry file", Rank.DEFAULT - 5)

        if hit := port_in_code(repo, files, "js"):
            port, path, line, why = hit
            draft.claim("port", port, path, line, why, Rank.CODE)
        if where := reads_port_env(repo, files):
            draft.claim("reads_port_env", True, where[0], where[1], "reads process.env.PORT", Rank.CODE)
        draft.claim("port", DEFAULT_PORT, None, None,
                    f"{framework[1] if framework else 'node'} default port", Rank.DEFAULT)
