"""docker-compose: service images name the databases and caches, and may pin their versions;
a service built from the repository tells its container port (`ports: ["8080:3000"]` -> 3000)."""
from __future__ import annotations

import posixpath
import re

import yaml

from ..draft import Claim, Findings, Rank, Seen
from ..repo import RepoView, parent_of

COMPOSE_NAMES = (
    "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
    "docker-compose.dev.yml", "docker-compose.override.yml", "docker-compose.local.yml",
)
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
    for rel in repo.named(*COMPOSE_NAMES):
        try:
            data = yaml.safe_load(repo.read(rel) or "")
        except yaml.YAMLError:
            continue
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        for name, spec in services.items():
            if isinstance(spec, dict) and spec.get("build") is not None:
                _built_service_port(repo, found, rel, str(name), spec)
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


def _built_service_port(repo: RepoView, found: Findings, rel: str, name: str, spec: dict) -> None:
    build = spec["build"]
    context = build.get("context", ".") if isinstance(build, dict) else build
    if not isinstance(context, str):
        return
    base = parent_of(rel)
    root = posixpath.normpath(posixpath.join("" if base == "." else base, context)) or "."
    draft = found.service(root)
    ports = spec.get("ports") if isinstance(spec.get("ports"), list) else []
    port = next((p for p in map(_container_port, ports) if p), None)
    if draft is None or port is None:
        return
    hit = repo.first(rel, re.compile(r"^\s*" + re.escape(name) + r"\s*:"))
    draft.claim("port", port, rel, hit[0] if hit else None, f"compose service {name} publishes container port {port}",
                Rank.COMPOSE)
