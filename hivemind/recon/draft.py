"""What detectors report: claims about plan fields, each with where it was seen and how strong it is.

Several detectors may claim the same field (a port in code, in .env.example and in a Dockerfile);
the merge keeps the claim with the lowest rank and records it as evidence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Rank(IntEnum):
    """Lower wins. Follows the issue's order: code, env samples, Procfile, Dockerfile, scripts, default."""

    DESCRIPTOR = 9  # the authors' deploy descriptors provisioning a data store or probing a health path
    CODE = 10
    CONFIG = 15  # framework config files (application.properties, settings.py, prisma schema)
    ENV_SAMPLE = 20
    PROCFILE = 30
    DOCKERFILE = 40
    SCRIPT = 50
    MANIFEST = 60  # a dependency listed in a manifest
    COMPOSE = 70
    DEFAULT = 90


@dataclass(frozen=True)
class Seen:
    path: str | None  # repo-relative posix path; None for a default
    line: int | None
    reason: str

    @property
    def source(self) -> str:
        if self.path is None:
            return "default"
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Claim:
    value: object
    seen: Seen
    rank: int
    # Seen only on a branch the app takes when configured to (a Spring profile, an `if DB_ENGINE ==`
    # branch, an extra): kept as evidence, never chosen over what runs by default.
    optional: bool = False

    @property
    def origin(self) -> str:
        return "default" if self.rank >= Rank.DEFAULT else "detector"


def best(claims: list[Claim]) -> Claim | None:
    """Strongest claim; ties go to the first one made (detectors run in a fixed order)."""
    return min(claims, key=lambda c: c.rank) if claims else None


@dataclass
class ServiceDraft:
    """One process to run, as far as the detectors can tell."""

    root: str
    role: str = "web"  # "web" or the worker's name ("worker", "celery", a Procfile process name)
    claims: dict[str, list[Claim]] = field(default_factory=dict)
    env: dict[str, Claim] = field(default_factory=dict)

    def claim(self, name: str, value: object, path: str | None, line: int | None, reason: str, rank: int) -> None:
        if name == "port" and not (isinstance(value, int) and 1 <= value <= 65535):
            return  # EXPOSE 0, server.port=99999: not a port, so not evidence of one
        self.claims.setdefault(name, []).append(Claim(value, Seen(path, line, reason), rank))

    def best(self, name: str) -> Claim | None:
        return best([c for c in self.claims.get(name, []) if not c.optional])

    def value(self, name: str, default: object = None) -> object:
        chosen = self.best(name)
        return chosen.value if chosen else default


@dataclass
class Findings:
    """Everything the detectors found, filled in detector by detector."""

    services: list[ServiceDraft] = field(default_factory=list)
    # value: "postgres" | "mysql" (an RDS engine) | "sqlite" | "h2" | "mongodb" (no RDS database)
    database: list[Claim] = field(default_factory=list)
    database_version: list[Claim] = field(default_factory=list)  # value: (engine, version or None if unsupported)
    cache: list[Claim] = field(default_factory=list)  # value: "redis"
    cache_version: list[Claim] = field(default_factory=list)
    # Compose services that run someone else's image (no build): not deployable from this repo,
    # but worth naming when nothing else is found.
    prebuilt_images: list[str] = field(default_factory=list)
    # Data stores some shipped dependency can talk to ("postgres", "redis", ...); None when the
    # repository declares no dependencies at all (a bare Dockerfile), so nothing can be checked.
    clients: set[str] | None = None
    # Folders or files planned as no service, with why (a dev container, a reverse proxy...).
    excluded: list[Claim] = field(default_factory=list)
    # Environment variables the app reads with no default: name -> where.
    needs: dict[str, Claim] = field(default_factory=dict)

    def service(self, root: str, role: str = "web") -> ServiceDraft | None:
        return next((s for s in self.services if s.root == root and s.role == role), None)

    def services_at(self, root: str) -> list[ServiceDraft]:
        return [s for s in self.services if s.root == root]

    def add_service(self, root: str, role: str = "web") -> ServiceDraft:
        draft = self.service(root, role)
        if draft is None:
            draft = ServiceDraft(root=root, role=role)
            self.services.append(draft)
        return draft

    def add_database(self, engine: str, path: str | None, line: int | None, reason: str, rank: int,
                     optional: bool = False) -> None:
        self.database.append(Claim(engine, Seen(path, line, reason), rank, optional))

    def add_cache(self, path: str | None, line: int | None, reason: str, rank: int, optional: bool = False) -> None:
        self.cache.append(Claim("redis", Seen(path, line, reason), rank, optional))

    def exclude(self, what: str, path: str | None, line: int | None, reason: str) -> None:
        self.excluded.append(Claim(what, Seen(path, line, reason), Rank.CODE))
