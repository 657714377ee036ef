"""The repository's own deploy descriptors: fly.toml, render.yaml, railway.json/toml, app.json and
Procfile `release:`. They say how the authors deploy it (port, start and release commands, workers,
health path, required settings), so they outrank framework defaults and Dockerfiles."""
from __future__ import annotations

import json
import posixpath
import re
import tomllib

import yaml

from ..draft import Claim, Findings, Rank, Seen, ServiceDraft
from ..repo import RepoView, is_app_path, join, parent_of
from ..scripts import migration_command, read_script, script_path
from ..workspaces import declares_workspaces, member_named_in
from . import procfile

RANK = Rank.PROCFILE
# Data stores a descriptor provisions: the authors' deployment, above what the code defaults to.
STORE_RANK = Rank.DESCRIPTOR
RENDER_RUNTIMES = {"node": "node", "python": "python", "go": "go", "ruby": "ruby", "docker": "docker",
                   "elixir": None, "rust": None}
_INHERITED = ("runtime", "build_command", "framework")


def _line(repo: RepoView, rel: str, key: str) -> int | None:
    hit = repo.first(rel, re.compile(r"""^\s*["']?""" + re.escape(key) + r"""["']?\s*[=:]"""))
    return hit[0] if hit else None


def _target(found: Findings, root: str) -> ServiceDraft | None:
    """The service a folder-level descriptor describes: its web process, else its only one."""
    drafts = found.services_at(root)
    return found.service(root) or (drafts[0] if len(drafts) == 1 else None)


def _process(found: Findings, root: str, role: str, kind: str, rel: str, line: int | None) -> ServiceDraft | None:
    """A process the descriptor declares, built on what the language detectors saw in its folder."""
    draft = found.service(root, role)
    if draft is not None:
        return draft
    base = _target(found, root)
    if base is None:
        return None
    draft = found.add_service(root, role)
    for name in _INHERITED:
        draft.claims.setdefault(name, []).extend(base.claims.get(name, []))
    draft.claim("kind", kind, rel, line, f"{role} process declared in {rel.rsplit('/', 1)[-1]}", RANK)
    return draft


def _start(repo: RepoView, draft: ServiceDraft, root: str, command: str, rel: str, line: int | None, why: str,
           prefix: str = "") -> None:
    """A start command; when it runs a script of the repository, the script's migrations and server.
    Migrations chained in front (`prisma migrate deploy && node server.js`) are the release command:
    run once per release, not on every instance start."""
    pieces = [p.strip() for p in command.split("&&")]
    while len(pieces) > 1 and migration_command(pieces[0]):
        draft.claim("release_command", prefix + pieces.pop(0), rel, line, f"{why} migrates before starting", RANK)
    command = " && ".join(pieces)
    if prefix:
        draft.claim("start_command", prefix + command, rel, line, why, RANK)
        return
    script = script_path(repo, root, command)
    if script:
        run = read_script(repo, script)
        if run.release:
            draft.claim("release_command", run.release[0], script, run.release[1],
                        f"{script} migrates before starting the server", RANK)
        if run.start:
            draft.claim("start_command", run.start[0], script, run.start[1], f"{why} runs {script}, which starts this", RANK)
            return
    draft.claim("start_command", command, rel, line, why, RANK)


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("Procfile"):
        _procfile_release(repo, found, rel)
    for rel in repo.named("fly.toml"):
        if is_app_path(parent_of(rel)):
            _fly(repo, found, rel)
    for rel in repo.named("render.yaml"):
        if is_app_path(parent_of(rel)):
            _render(repo, found, rel)
    for rel in repo.named("railway.json", "railway.toml"):
        if is_app_path(parent_of(rel)):
            _railway(repo, found, rel)
    for rel in repo.named("app.json"):
        if is_app_path(parent_of(rel)):
            _app_json(repo, found, rel)
    for rel in repo.named("heroku.yml"):
        if is_app_path(parent_of(rel)):
            _heroku_yml(repo, found, rel)
    for rel in repo.named(".platform.app.yaml"):
        if is_app_path(parent_of(rel)):
            _platform_sh(repo, found, rel)
    for rel in repo.files:
        if rel.startswith((".ebextensions/", ".platform/hooks/predeploy/", ".platform/hooks/postdeploy/")) \
                or "/.ebextensions/" in rel or "/.platform/hooks/" in rel:
            _beanstalk(repo, found, rel)


def _procfile_release(repo: RepoView, found: Findings, rel: str) -> None:
    draft = _target(found, parent_of(rel))
    for process in procfile.parse(repo, rel):
        if process.name == "release" and draft is not None:
            draft.claim("release_command", process.command, rel, process.line, "Procfile release process", RANK)


# --- fly.io -----------------------------------------------------------------------------------
def _fly(repo: RepoView, found: Findings, rel: str) -> None:
    try:
        data = tomllib.loads(repo.read(rel) or "")
    except (tomllib.TOMLDecodeError, ValueError):
        return
    root = parent_of(rel)
    draft = _target(found, root)
    if draft is None:
        return
    http = data.get("http_service") if isinstance(data.get("http_service"), dict) else {}
    services = [s for s in data.get("services", []) if isinstance(s, dict)] if isinstance(data.get("services"), list) else []
    port = http.get("internal_port") or next((s.get("internal_port") for s in services if s.get("internal_port")), None)
    if isinstance(port, int):
        # Above a PORT default in code: fly.toml is where the deployed app is told its port.
        draft.claim("port", port, rel, _line(repo, rel, "internal_port"), f"fly.toml internal_port {port}", Rank.CODE - 1)
    env = data.get("env") if isinstance(data.get("env"), dict) else {}
    if str(env.get("PORT", "")).isdigit():
        draft.claim("reads_port_env", True, rel, _line(repo, rel, "PORT"), "fly.toml sets PORT for the app", RANK)
    checks = [c for c in http.get("checks", []) if isinstance(c, dict)] if isinstance(http.get("checks"), list) else []
    for service in services:
        checks += [c for c in service.get("http_checks", []) if isinstance(c, dict)]
    if isinstance(data.get("checks"), dict):
        checks += [c for c in data["checks"].values() if isinstance(c, dict) and c.get("type", "http") == "http"]
    path = next((c.get("path") for c in checks if isinstance(c.get("path"), str) and c["path"].startswith("/")), None)
    if path:
        draft.claim("health_check_path", path, rel, _line(repo, rel, "path"), "fly.toml HTTP health check", RANK)
    deploy = data.get("deploy") if isinstance(data.get("deploy"), dict) else {}
    if isinstance(deploy.get("release_command"), str):
        draft.claim("release_command", deploy["release_command"], rel, _line(repo, rel, "release_command"),
                    "fly.toml [deploy] release_command", RANK)
    experimental = data.get("experimental") if isinstance(data.get("experimental"), dict) else {}
    processes = data.get("processes") if isinstance(data.get("processes"), dict) else {}
    command = experimental.get("cmd")
    if isinstance(command, list):
        command = " ".join(map(str, command))
    if isinstance(command, str):
        _start(repo, draft, root, command, rel, _line(repo, rel, "cmd"), "fly.toml cmd")
    for name, process_command in processes.items():
        if not isinstance(process_command, str):
            continue
        line = _line(repo, rel, name)
        if name in ("app", "web"):
            _start(repo, draft, root, process_command, rel, line, f"fly.toml process {name}")
        elif (worker := _process(found, root, name, "worker", rel, line)) is not None:
            worker.claim("start_command", process_command, rel, line, f"fly.toml process {name}", RANK)


# --- Render -----------------------------------------------------------------------------------
def _render(repo: RepoView, found: Findings, rel: str) -> None:
    try:
        data = yaml.safe_load(repo.read(rel) or "")
    except yaml.YAMLError:
        return
    if not isinstance(data, dict):
        return
    base = parent_of(rel)
    for spec in _list(data.get("services")):
        if not isinstance(spec, dict) or spec.get("type") not in ("web", "worker", "pserv"):
            continue
        name = str(spec.get("name") or spec["type"])
        line = _line(repo, rel, "name") if not spec.get("name") else _name_line(repo, rel, name)
        root_dir = str(spec.get("rootDir") or ".").strip("/") or "."
        root = root_dir if base == "." else join(base, root_dir)
        prefix = ""
        if not found.services_at(root) and declares_workspaces(repo, root):
            # Run from the workspace root for one member (`turbo run start --filter=@acme/web`): that
            # member's service, its commands run from the root as written.
            member = member_named_in(repo, root, str(spec.get("startCommand") or ""))
            if member is None:
                continue
            prefix, root = f"cd {posixpath.relpath(root, member)} && ", member
        draft = _target(found, root) if spec["type"] == "web" else _process(found, root, name, "worker", rel, line)
        if draft is None:
            continue
        runtime = spec.get("runtime") or spec.get("env")
        if RENDER_RUNTIMES.get(runtime):
            draft.claim("runtime", RENDER_RUNTIMES[runtime], rel, _line(repo, rel, "runtime") or _line(repo, rel, "env"),
                        f"render.yaml {name} runs on {runtime}", RANK)
        for key, field in (("buildCommand", "build_command"), ("startCommand", "start_command"),
                           ("preDeployCommand", "release_command"), ("healthCheckPath", "health_check_path")):
            value = spec.get(key)
            if isinstance(value, str) and value.strip():
                if field == "start_command":
                    _start(repo, draft, root, value.strip(), rel, _line(repo, rel, key), f"render.yaml {name} startCommand",
                           prefix)
                else:
                    value = value.strip() if field == "health_check_path" else prefix + value.strip()
                    draft.claim(field, value, rel, _line(repo, rel, key), f"render.yaml {name} {key}", RANK)
        for var in _list(spec.get("envVars")):
            if not isinstance(var, dict) or not isinstance(var.get("key"), str):
                continue
            key = var["key"]
            if var.get("sync") is False and "value" not in var:
                found.needs.setdefault(key, _need(rel, _key_line(repo, rel, key), f"render.yaml asks for {key} (sync: false)"))
            source = var.get("fromDatabase")
            if isinstance(source, dict):
                found.add_database("postgres", rel, _key_line(repo, rel, key), f"render.yaml {key} from a Render database",
                                   STORE_RANK)
    for database in _list(data.get("databases")):
        if isinstance(database, dict):
            found.add_database("postgres", rel, _line(repo, rel, "databases"), "render.yaml declares a PostgreSQL database",
                               STORE_RANK)


def _list(value: object) -> list:
    """A YAML/JSON list, or nothing: a descriptor of the wrong shape is ignored, never a crash."""
    return value if isinstance(value, list) else []


def _name_line(repo: RepoView, rel: str, name: str) -> int | None:
    hit = repo.first(rel, re.compile(r"""^\s*-?\s*name:\s*['"]?""" + re.escape(name) + r"""['"]?\s*$"""))
    return hit[0] if hit else None


def _key_line(repo: RepoView, rel: str, key: str) -> int | None:
    hit = repo.first(rel, re.compile(r"""^\s*-?\s*key:\s*['"]?""" + re.escape(key) + r"""['"]?\s*$"""))
    return hit[0] if hit else None


def _need(rel: str, line: int | None, reason: str) -> Claim:
    return Claim(True, Seen(rel, line, reason), RANK)


# --- Railway ----------------------------------------------------------------------------------
def _railway(repo: RepoView, found: Findings, rel: str) -> None:
    text = repo.read(rel) or ""
    try:
        data = json.loads(text) if rel.endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError):
        return
    root = parent_of(rel)
    draft = _target(found, root)
    if not isinstance(data, dict) or draft is None:
        return
    build = data.get("build") if isinstance(data.get("build"), dict) else {}
    deploy = data.get("deploy") if isinstance(data.get("deploy"), dict) else {}
    if isinstance(build.get("buildCommand"), str):
        draft.claim("build_command", build["buildCommand"], rel, _line(repo, rel, "buildCommand"),
                    "railway buildCommand", RANK)
    if isinstance(deploy.get("startCommand"), str):
        _start(repo, draft, root, deploy["startCommand"], rel, _line(repo, rel, "startCommand"), "railway startCommand")
    release = deploy.get("preDeployCommand")
    if isinstance(release, list):
        release = " && ".join(str(r) for r in release)
    if isinstance(release, str) and release.strip():
        draft.claim("release_command", release, rel, _line(repo, rel, "preDeployCommand"), "railway preDeployCommand", RANK)
    if isinstance(deploy.get("healthcheckPath"), str) and deploy["healthcheckPath"].startswith("/"):
        draft.claim("health_check_path", deploy["healthcheckPath"], rel, _line(repo, rel, "healthcheckPath"),
                    "railway healthcheckPath", RANK)


# --- Heroku app.json --------------------------------------------------------------------------
_ADDONS = (("heroku-postgresql", "postgres"), ("jawsdb", "mysql"), ("cleardb", "mysql"), ("heroku-redis", "redis"),
           ("rediscloud", "redis"))


def _addons(repo: RepoView, found: Findings, rel: str, addons: object) -> None:
    """Heroku add-ons (app.json, heroku.yml setup): the data stores the authors provision."""
    for addon in addons if isinstance(addons, list) else []:
        plan = addon.get("plan") if isinstance(addon, dict) else addon
        if not isinstance(plan, str):
            continue
        engine = next((e for prefix, e in _ADDONS if plan.startswith(prefix)), None)
        line = _line(repo, rel, "addons")
        if engine == "redis":
            found.add_cache(rel, line, f"{rel.rsplit('/', 1)[-1]} add-on {plan}", STORE_RANK)
        elif engine:
            found.add_database(engine, rel, line, f"{rel.rsplit('/', 1)[-1]} add-on {plan}", STORE_RANK)


def _heroku_yml(repo: RepoView, found: Findings, rel: str) -> None:
    try:
        data = yaml.safe_load(repo.read(rel) or "")
    except yaml.YAMLError:
        return
    if not isinstance(data, dict):
        return
    setup = data.get("setup") if isinstance(data.get("setup"), dict) else {}
    _addons(repo, found, rel, setup.get("addons"))
    draft = _target(found, parent_of(rel))
    release = data.get("release") if isinstance(data.get("release"), dict) else {}
    command = release.get("command")
    if isinstance(command, list):
        command = " && ".join(str(c) for c in command)
    if draft is not None and isinstance(command, str) and command.strip():
        draft.claim("release_command", command.strip(), rel, _line(repo, rel, "release"), "heroku.yml release command",
                    RANK)


def _app_json(repo: RepoView, found: Findings, rel: str) -> None:
    try:
        data = json.loads(repo.read(rel) or "")
    except ValueError:
        return
    if not isinstance(data, dict) or not (data.get("addons") is not None or isinstance(data.get("env"), dict)):
        return  # an app.json that is not Heroku's (Expo's, for one)
    if _target(found, parent_of(rel)) is None:
        return
    _addons(repo, found, rel, data.get("addons"))
    env = data.get("env") if isinstance(data.get("env"), dict) else {}
    for key, spec in env.items():
        if isinstance(spec, dict) and spec.get("required", True) is not False and "value" not in spec \
                and "generator" not in spec:
            found.needs.setdefault(key, _need(rel, _line(repo, rel, key), f"app.json asks for {key} with no value"))


# --- Platform.sh and Elastic Beanstalk ---------------------------------------------------------
_PLATFORM_STORES = {"mysql": "mysql", "mariadb": "mysql", "oracle-mysql": "mysql", "postgresql": "postgres",
                    "redis": "redis", "redis-persistent": "redis", "valkey": "redis"}


def _platform_sh(repo: RepoView, found: Findings, rel: str) -> None:
    """.platform.app.yaml: relationships name the stores (with .platform/services.yaml), the deploy
    hook's migrations are the release command, web.commands.start and workers are processes."""
    try:
        data = yaml.safe_load(repo.read(rel) or "")
    except yaml.YAMLError:
        return
    if not isinstance(data, dict):
        return
    root = parent_of(rel)
    types: dict[str, str] = {}
    services_rel = repo.in_root(root, ".platform/services.yaml")
    try:
        services = yaml.safe_load(repo.read(services_rel) or "") if services_rel else None
    except yaml.YAMLError:
        services = None
    for name, spec in (services.items() if isinstance(services, dict) else []):
        if isinstance(spec, dict) and isinstance(spec.get("type"), str):
            types[str(name)] = spec["type"].split(":", 1)[0]
    relationships = data.get("relationships") if isinstance(data.get("relationships"), dict) else {}
    for value in relationships.values():
        service = str(value).split(":", 1)[0]
        kind = types.get(service) or str(value).split(":", 1)[-1]
        engine = _PLATFORM_STORES.get(kind)
        line = _line(repo, rel, "relationships")
        if engine == "redis":
            found.add_cache(rel, line, f"Platform.sh relationship to {value}", STORE_RANK)
        elif engine:
            found.add_database(engine, rel, line, f"Platform.sh relationship to {value}", STORE_RANK)
    draft = _target(found, root)
    if draft is None:
        return
    hooks = data.get("hooks") if isinstance(data.get("hooks"), dict) else {}
    deploy = hooks.get("deploy")
    if isinstance(deploy, str):
        _release_from_lines(draft, deploy.splitlines(), rel, _line(repo, rel, "deploy"), "Platform.sh deploy hook")
    web = data.get("web") if isinstance(data.get("web"), dict) else {}
    commands = web.get("commands") if isinstance(web.get("commands"), dict) else {}
    if isinstance(commands.get("start"), str):
        _start(repo, draft, root, commands["start"].strip(), rel, _line(repo, rel, "start"), "Platform.sh web start")
    workers = data.get("workers") if isinstance(data.get("workers"), dict) else {}
    for name, spec in workers.items():
        start = (spec.get("commands") or {}).get("start") if isinstance(spec, dict) else None
        if isinstance(start, str) and (worker := _process(found, root, str(name), "worker", rel, _line(repo, rel, name))):
            worker.claim("start_command", start.strip(), rel, _line(repo, rel, name), f"Platform.sh worker {name}", RANK)


def _release_from_lines(draft: ServiceDraft, lines: list[str], rel: str, line: int | None, why: str) -> None:
    """The migrations among a hook's commands, in order, as one release command."""
    migrations = [command for raw in lines if (command := migration_command(raw.strip()))]
    if migrations:
        draft.claim("release_command", " && ".join(migrations), rel, line, f"{why} migrates the database", RANK)


def _beanstalk(repo: RepoView, found: Findings, rel: str) -> None:
    """Elastic Beanstalk: a leader-only container command or a predeploy hook that migrates."""
    root = "."
    for marker in ("/.ebextensions/", "/.platform/"):
        if marker in rel:
            root = rel.split(marker)[0]
    draft = _target(found, root)
    if draft is None:
        return
    if rel.endswith(".config"):
        try:
            data = yaml.safe_load(repo.read(rel) or "")
        except yaml.YAMLError:
            return
        commands = data.get("container_commands") if isinstance(data, dict) else None
        for spec in (commands.values() if isinstance(commands, dict) else []):
            if isinstance(spec, dict) and isinstance(spec.get("command"), str):
                _release_from_lines(draft, [spec["command"]], rel, _line(repo, rel, "command"),
                                    "Elastic Beanstalk container command")
    elif rel.endswith(".sh"):
        _release_from_lines(draft, repo.lines(rel), rel, None, "Elastic Beanstalk deploy hook")
