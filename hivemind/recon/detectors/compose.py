"""docker-compose: service images name the databases and caches, and may pin their versions;
a service built from the repository tells its container port (`ports: ["8080:3000"]` -> 3000)."""
from __future__ import annotations

import posixpath
import re

import yaml

from ..draft import Claim, Findings, Rank, Seen
from . import procfile
from .dockerfile import why_not_a_service
from ..repo import RepoView, is_app_path, parent_of

COMPOSE_NAMES = (
    "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
    "docker-compose.dev.yml", "docker-compose.override.yml", "docker-compose.local.yml",
)
# Any compose file: docker-compose.prod.yml, compose.production.yaml, docker-compose.test.yml...
_COMPOSE_FILE = re.compile(r"^(?:docker-)?compose(?:[.-]([\w.-]+?))?\.ya?ml$")
_PRODUCTION = re.compile(r"(?:^|[.-])(?:prod|production|deploy|release)(?:[.-]|$)")
_DEVELOPMENT = re.compile(r"(?:^|[.-])(?:dev|development|local|override|test|tests|ci|e2e|debug)(?:[.-]|$)")
# A command that only makes sense on a laptop: never the production start command.
_DEV_COMMAND = re.compile(r"--reload\b|\brunserver\b|\bnodemon\b|\b(?:npm|yarn|pnpm)\s+(?:run\s+)?dev\b|--watch\b|"
                          r"\bflask\s+run\b|--debug\b")
_HEALTH_URL = re.compile(r"https?://[^/\s\"']+(/[^\s\"']*)")
_MONITOR = re.compile(r"\bcelery\b.*\bflower\b|\bflower\b")


def compose_files(repo: RepoView) -> list[str]:
    """Compose files outside dev containers: production variants first, then the base file, then
    development ones (whose commands are never planned, though their images still name stores)."""
    files = [rel for rel in repo.files if _COMPOSE_FILE.match(rel.rsplit("/", 1)[-1])
             and ".devcontainer/" not in f"/{rel}" and is_app_path(parent_of(rel))]

    def order(rel: str) -> tuple[int, str]:
        variant = _COMPOSE_FILE.match(rel.rsplit("/", 1)[-1]).group(1) or ""
        return (0 if _PRODUCTION.search(variant) else 2 if _DEVELOPMENT.search(variant) else 1), rel
    return sorted(files, key=order)


def is_development(rel: str) -> bool:
    variant = _COMPOSE_FILE.match(rel.rsplit("/", 1)[-1]).group(1) or ""
    return bool(_DEVELOPMENT.search(variant)) and not _PRODUCTION.search(variant)
# RDS/ElastiCache versions offered today; a pin outside these falls back to the default.
SUPPORTED = {
    "postgres": {"13", "14", "15", "16", "17"},
    "mysql": {"8.0", "8.4"},
    "redis": {"6.2", "7.0", "7.1"},
}
_IMAGES = (
    (re.compile(r"^(?:[\w.-]+/)*(?:postgres|postgis/postgis|bitnami/postgresql|postgresql)$"), "postgres"),
    (re.compile(r"^(?:[\w.-]+/)*(?:mysql|mariadb|bitnami/mysql)$"), "mysql"),
    (re.compile(r"^(?:[\w.-]+/)*(?:redis|redis/redis-stack|bitnami/redis|valkey/valkey)$"), "redis"),
)


def normalise_version(engine: str, tag: str) -> str | None:
    """'15-alpine' -> '15', '8' -> '8.0', '7' -> '7.1'; None for 'latest' or an unsupported pin."""
    match = re.match(r"(\d+)(?:\.(\d+))?", tag)
    if not match:
        return None
    major, minor = match.group(1), match.group(2)
    if engine == "postgres":
        version = major
    elif engine == "mysql":
        version = f"{major}.{minor or '0'}"
    else:
        version = f"{major}.{minor}" if minor else {"7": "7.1", "6": "6.2"}.get(major, major)
    return version if version in SUPPORTED[engine] else None


def detect(repo: RepoView, found: Findings) -> None:
    for rel in compose_files(repo):
        try:
            data = yaml.safe_load(repo.read(rel) or "")
        except yaml.YAMLError:
            continue
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        for name, spec in services.items():
            if isinstance(spec, dict) and spec.get("build") is not None:
                _built_service(repo, found, rel, str(name), spec)
            image = spec.get("image") if isinstance(spec, dict) else None
            if not isinstance(image, str):
                continue
            repository, _, tag = image.partition(":")
            engine = next((e for pattern, e in _IMAGES if pattern.match(repository)), None)
            if engine is None:
                if spec.get("build") is None:
                    found.prebuilt_images.append(image)
                continue
            hit = repo.first(rel, re.compile(r"^\s*image:\s*['\"]?" + re.escape(image)))
            line = hit[0] if hit else None
            reason = f"compose service {name} runs image {image}"
            if engine == "redis":
                found.add_cache(rel, line, reason, Rank.COMPOSE)
            else:
                found.add_database(engine, rel, line, reason, Rank.COMPOSE)
            if tag and tag != "latest":
                version = normalise_version(engine, tag)
                target = found.cache_version if engine == "redis" else found.database_version
                why = f"pinned by image {image}" if version else f"image {image} pins a version AWS does not offer"
                # An unsupported pin is still recorded: the merge says why it chose another version.
                target.append(Claim((engine, version), Seen(rel, line, why), Rank.COMPOSE))


def _container_port(entry: object) -> int | None:
    """'8080:3000', '127.0.0.1:8080:3000/tcp', 3000 or {target: 3000} -> 3000."""
    if isinstance(entry, dict):
        entry = entry.get("target")
    if isinstance(entry, int):
        return entry
    if isinstance(entry, str):
        last = entry.rsplit(":", 1)[-1].split("/", 1)[0]
        return int(last) if last.isdigit() else None
    return None


def _built_service(repo: RepoView, found: Findings, rel: str, name: str, spec: dict) -> None:
    """A service built from the repository: its container port, and (outside development files)
    its command, health check and the workers it runs."""
    build = spec["build"]
    context = build.get("context", ".") if isinstance(build, dict) else build
    if not isinstance(context, str):
        return
    base = parent_of(rel)
    root = posixpath.normpath(posixpath.join("" if base == "." else base, context)) or "."
    dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
    if isinstance(dockerfile, str):
        path = posixpath.normpath(posixpath.join("" if root == "." else root, dockerfile))
        if path in repo.fileset and why_not_a_service(repo, path):
            return  # a test or dev image (Dockerfile.playwright): not the service in that folder
        leaf = dockerfile.rsplit("/", 1)[-1]
        if leaf != "Dockerfile" and not _PRODUCTION.search(leaf.replace("Dockerfile", "").replace("dockerfile", "")):
            return  # another image built from the same folder (maildev.Dockerfile): not the app's port or command
    if not found.services_at(root) and isinstance(dockerfile, str) and "/" in dockerfile:
        # Built from the repository root with backend/Dockerfile: the service is backend's.
        root = parent_of(posixpath.normpath(posixpath.join("" if root == "." else root, dockerfile)))
    hit = repo.first(rel, re.compile(r"^\s*" + re.escape(name) + r"\s*:"))
    line = hit[0] if hit else None
    command = spec.get("command")
    if isinstance(command, list):
        command = " ".join(str(c) for c in command)
    command = command.strip() if isinstance(command, str) else None
    if command and _MONITOR.search(command):
        found.exclude(f"{rel}#{name}", rel, line, f"compose service {name} runs a monitoring UI (Flower), not the app")
        return
    worker = next((w for pattern, w in procfile.WORKER_FRAMEWORKS if command and pattern.search(command)), None)
    if worker is None and not _is_the_app(name, root, spec):
        return  # an asset builder or a side process (js, css, cable) built from the same image
    draft = found.service(root) if worker is None else _worker(found, root, name, worker, rel, line)
    if draft is None:
        return
    ports = spec.get("ports") if isinstance(spec.get("ports"), list) else []
    port = next((p for p in map(_container_port, ports) if p), None)
    if port is not None and worker is None:
        draft.claim("port", port, rel, line, f"compose service {name} publishes container port {port}", Rank.COMPOSE)
    if is_development(rel):
        return
    if command and not _DEV_COMMAND.search(command):
        if (sub := draft.value("container_workdir")) and draft.value("runtime") != "docker":
            command = f"cd {sub} && {command}"  # written for the image's WORKDIR, a subfolder of the app
        draft.claim("start_command", command, rel, _key_line(repo, rel, "command", line),
                    f"compose service {name} command", Rank.DOCKERFILE - 5)
    health = spec.get("healthcheck") if isinstance(spec.get("healthcheck"), dict) else {}
    test = health.get("test")
    test = " ".join(map(str, test)) if isinstance(test, list) else test
    if worker is None and isinstance(test, str) and (url := _HEALTH_URL.search(test)):
        # What the authors probe is the health path, over a route guessed from the code.
        draft.claim("health_check_path", url.group(1), rel, _key_line(repo, rel, "test", line),
                    f"compose service {name} health check", Rank.CODE - 1)


_APP_NAMES = frozenset({"web", "app", "api", "server", "backend", "frontend", "site", "application", "http"})


def _is_the_app(name: str, root: str, spec: dict) -> bool:
    """Whether a built compose service is the folder's web app rather than a helper of the same image:
    named like the app (or like its folder), or publishing a port; never one behind a profile like `assets`."""
    profiles = spec.get("profiles") if isinstance(spec.get("profiles"), list) else []
    if any(str(p).lower() in ("assets", "tools", "dev", "test", "debug") for p in profiles):
        return False
    lowered = name.lower()
    leaf = root.rsplit("/", 1)[-1].lower()
    return lowered in _APP_NAMES or lowered == leaf or lowered.startswith(f"{leaf}-") \
        or bool(spec.get("ports")) and not spec.get("command")


def _key_line(repo: RepoView, rel: str, key: str, after: int | None) -> int | None:
    lines = repo.lines(rel)
    start = after or 0
    return next((i + 1 for i in range(start, len(lines)) if re.match(r"^\s*" + key + r"\s*:", lines[i])), after)


def _worker(found: Findings, root: str, name: str, framework: str, rel: str, line: int | None):
    """The worker a compose service runs: the one the language detectors found, or a new one."""
    same = next((s for s in found.services_at(root) if s.role != "web" and s.value("framework") == framework), None)
    if same is not None:
        return same
    base = found.service(root) or next(iter(found.services_at(root)), None)
    if base is None:
        return None
    role = name if found.service(root, name) is None else f"{name}-{framework}"
    draft = found.add_service(root, role)
    for field in ("runtime", "build_command"):
        draft.claims.setdefault(field, []).extend(base.claims.get(field, []))
    draft.claim("kind", "worker", rel, line, f"compose service {name} runs {framework}", Rank.PROCFILE)
    draft.claim("framework", framework, rel, line, f"compose service {name} runs {framework}", Rank.PROCFILE)
    return draft
