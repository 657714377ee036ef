"""Dockerfiles under any name (Dockerfile, Dockerfile.prod, api.Dockerfile, docker/...): EXPOSE gives a
port, the entrypoint script may migrate (a release command); with no language detected, the image
itself is the service. Not every Dockerfile is a service: dev containers, test/CI/dev images and
reverse proxies in front of the app are left out, each with the reason in the plan's evidence."""
from __future__ import annotations

import json
import posixpath
import re

from ..draft import Findings, Rank
from ..ports import STORE_PORTS, port_in_command
from ..repo import RepoView, is_app_path, parent_of
from ..scripts import read_script, script_path
from ..workspaces import declares_workspaces

_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d{2,5})", re.IGNORECASE)
_RUN = re.compile(r"^\s*(CMD|ENTRYPOINT)\s+(.+?)\s*$", re.IGNORECASE)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE)
_ALIAS = re.compile(r"\s+AS\s+([\w.-]+)\s*$", re.IGNORECASE)
# Name variants that are not the image that runs in production.
_NON_PRODUCTION = re.compile(r"(?:^|[._-])(dev|development|local|test|tests|testing|ci|e2e|playwright|cypress|lint|debug|"
                             r"devcontainer|gitpod|docs)(?:[._-]|$)", re.IGNORECASE)
_PRODUCTION = re.compile(r"(?:^|[._-])(prod|production|release)(?:[._-]|$)", re.IGNORECASE)
# Images whose job in front of an app the load balancer takes over.
_PROXY_IMAGES = re.compile(r"^(?:[\w.-]+/)*(traefik|haproxy|envoy(?:proxy/envoy)?|nginx|nginxinc/nginx-unprivileged|caddy|httpd)"
                           r"(?::|@|$)", re.IGNORECASE)
_ALWAYS_PROXY = ("traefik", "haproxy", "envoy")
_PROXY_CONFIG = re.compile(r"\bproxy_pass\b|\breverse_proxy\b|\bProxyPass\b|\buwsgi_pass\b|\bfastcgi_pass\b")


def is_dockerfile(rel: str) -> bool:
    leaf = rel.rsplit("/", 1)[-1]
    return leaf == "Dockerfile" or leaf.startswith("Dockerfile.") or leaf.lower().endswith(".dockerfile")


def dockerfile_root(rel: str) -> str:
    """The folder a Dockerfile builds: its own, or for docker/<...> files the folder holding docker/."""
    parent = parent_of(rel)
    parts = parent.split("/") if parent != "." else []
    if "docker" in parts:
        parent = "/".join(parts[:parts.index("docker")]) or "."
    return parent


def _command_text(raw: str) -> str:
    """`["node", "server.js"]` (exec form) or `node server.js` (shell form) -> `node server.js`."""
    if raw.startswith("["):
        try:
            parts = json.loads(raw)
            if isinstance(parts, list):
                return " ".join(str(p) for p in parts)
        except ValueError:
            pass
    return raw


def _final_image(repo: RepoView, rel: str) -> str | None:
    """The image the final stage is built on, through stage aliases (`FROM upstream AS app`)."""
    stages: dict[str, str] = {}
    image = None
    for _, match in repo.search(rel, _FROM):
        image = stages.get(match.group(1).lower(), match.group(1))
        if alias := _ALIAS.search(match.string):
            stages[alias.group(1).lower()] = image
    return image


# Someone else's server, customised (a Keycloak theme, Postgres init scripts): infrastructure, not the app.
_THIRD_PARTY = re.compile(r"^(?:[\w.-]+/)*(keycloak|postgres|postgis|mysql|mariadb|redis|valkey|mongo|elasticsearch|opensearch|"
                          r"rabbitmq|minio|localstack|mailhog|mailpit|maildev/maildev|maildev|memcached|clickhouse-server|grafana|prometheus|"
                          r"kafka|zookeeper|jaeger|otel/opentelemetry-collector\S*)(?::|@|$)", re.IGNORECASE)


def why_not_a_service(repo: RepoView, rel: str) -> str | None:
    """Why this Dockerfile builds no service of the plan, or None when it may."""
    leaf = rel.rsplit("/", 1)[-1]
    if ".devcontainer/" in f"/{rel}" or leaf.startswith(".gitpod"):
        return "a development container, not the app in production"
    variant = leaf.replace("Dockerfile", "").replace("dockerfile", "")
    if match := _NON_PRODUCTION.search(variant or ""):
        return f"a {match.group(1).lower()} image, not the one that runs in production"
    image = _final_image(repo, rel)
    if image and (third := _THIRD_PARTY.match(image)):
        return f"a {third.group(1).lower()} image (someone else's server), not the app"
    if image and (proxy := _PROXY_IMAGES.match(image)):
        name = proxy.group(1).lower()
        folder = parent_of(rel)
        configs = [f for f in repo.files if parent_of(f) == folder and f != rel]
        if name.startswith(_ALWAYS_PROXY) or any(repo.first(f, _PROXY_CONFIG) for f in configs):
            return f"a reverse proxy ({name}) in front of the app: the load balancer does its job"
    return None


def _preferred(repo: RepoView, files: list[str]) -> str:
    """The production Dockerfile of a folder: Dockerfile.prod over Dockerfile over other names."""
    return min(files, key=lambda rel: (not _PRODUCTION.search(rel.rsplit("/", 1)[-1].replace("Dockerfile", "")),
                                       rel.rsplit("/", 1)[-1] != "Dockerfile", rel))


def detect(repo: RepoView, found: Findings) -> None:
    by_root: dict[str, list[str]] = {}
    for rel in repo.files:
        if not is_dockerfile(rel) or not is_app_path(parent_of(rel)):
            continue
        if reason := why_not_a_service(repo, rel):
            found.exclude(rel, rel, None, reason)
            continue
        root = dockerfile_root(rel)
        if root not in repo.app_roots and root != ".":
            root = repo.owning_root(rel)  # cmd/server/Dockerfile builds the Go module around it
        by_root.setdefault(root, []).append(rel)
    for root, files in sorted(by_root.items()):
        rel = _preferred(repo, files)
        members = [s for s in found.services if root == "." or s.root.startswith(root + "/")]
        if not found.services_at(root) and members and declares_workspaces(repo, root):
            # At a workspace root the image builds one of its packages, each planned from its own folder.
            found.exclude(rel, rel, None, "builds the workspace's packages, which are planned from their own folders")
            continue
        _one(repo, found, root, rel)


def _one(repo: RepoView, found: Findings, root: str, rel: str) -> None:
    # The last EXPOSE and CMD/ENTRYPOINT win, as in a multi-stage build's final stage.
    expose = None
    run: tuple[int, str] | None = None
    entrypoint: tuple[int, str] | None = None
    for line, match in repo.search(rel, _EXPOSE):
        if int(match.group(1)) not in STORE_PORTS:
            expose = (line, int(match.group(1)))
    for line, match in repo.search(rel, _RUN):
        if match.group(1).upper() == "CMD":
            run = (line, _command_text(match.group(2)))
        else:
            entrypoint = (line, _command_text(match.group(2)))
    existing = found.services_at(root)
    web = found.service(root) or (existing[0] if len(existing) == 1 else None)
    if existing and (sub := _workdir_inside(repo, rel)):
        for draft in existing:
            # Commands written for the container (compose `command:`) run in this subfolder of the app.
            draft.claim("container_workdir", sub, rel, None, f"the image runs from {sub}/", Rank.DOCKERFILE)
    if existing:
        if web and run and (port := port_in_command(run[1])):
            web.claim("port", port, rel, run[0], f"port in the Dockerfile CMD: {run[1][:60]}", Rank.DOCKERFILE)
        if web and expose:
            web.claim("port", expose[1], rel, expose[0], f"Dockerfile EXPOSE {expose[1]}", Rank.DOCKERFILE)
        _entry_script(repo, web, root, rel, entrypoint or run)
        return
    draft = found.add_service(root)
    draft.claim("runtime", "docker", rel, None, "Dockerfile with no other recognised runtime", Rank.MANIFEST)
    name = rel.rsplit("/", 1)[-1]
    inside = rel if root == "." else rel[len(root) + 1:]
    build = "docker build -t app ." if inside == "Dockerfile" else f"docker build -f {inside} -t app ."
    draft.claim("build_command", build, rel, None, "build the image", Rank.DOCKERFILE)
    command = " ".join(p for p in ((entrypoint or (0, ""))[1], run[1] if run else "") if p)
    if command:
        line = (entrypoint or run)[0]
        draft.claim("start_command", command, rel, line, "Dockerfile CMD/ENTRYPOINT (runs inside the container)",
                    Rank.DOCKERFILE)
    if expose:
        draft.claim("port", expose[1], rel, expose[0], f"Dockerfile EXPOSE {expose[1]}", Rank.DOCKERFILE)
    else:
        draft.claim("kind", "worker", rel, None, f"{name} exposes no port", Rank.DOCKERFILE)
    # No release command from its entrypoint here: inside the container it already runs on every start.


_WORKDIR = re.compile(r"^\s*WORKDIR\s+(\S+)", re.IGNORECASE)
_COPY_ALL = re.compile(r"^\s*COPY\s+(?:--\S+\s+)*\.\s+(\S+)\s*$", re.IGNORECASE)


def _workdir_inside(repo: RepoView, rel: str) -> str | None:
    """The subfolder of the app the final stage runs in (`COPY . .` in /app, then WORKDIR /app/src)."""
    workdir, app_dir = "/", None
    for raw in repo.lines(rel):
        if _FROM.match(raw):
            workdir, app_dir = "/", None
        elif match := _WORKDIR.match(raw):
            target = match.group(1)
            workdir = posixpath.normpath(posixpath.join(workdir, target)) if "$" not in target else "?"
        elif (match := _COPY_ALL.match(raw)) and workdir != "?" and "$" not in match.group(1):
            app_dir = posixpath.normpath(posixpath.join(workdir, match.group(1)))
    if app_dir and workdir != "?" and workdir.startswith(app_dir + "/"):
        return workdir[len(app_dir) + 1:]
    return None


def _entry_script(repo: RepoView, draft, root: str, rel: str, command: tuple[int, str] | None) -> None:
    """A migration the image's entrypoint script runs before the server is the release command."""
    if draft is None or command is None:
        return
    script = script_path(repo, root, command[1])
    if script is None:
        return
    run = read_script(repo, script)
    if run.release:
        draft.claim("release_command", run.release[0], script, run.release[1],
                    f"the Dockerfile's entrypoint {script} migrates before the server starts", Rank.DOCKERFILE)
