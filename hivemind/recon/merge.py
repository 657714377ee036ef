"""Turn the detectors' claims into a DeploymentPlan: strongest claim per field, each recorded as evidence."""
from __future__ import annotations

from collections import Counter

from ..plan import Cache, Database, DeploymentPlan, Evidence, Need, Service, apply_stage
from .draft import Claim, Findings, Rank, ServiceDraft, best
from .naming import MAX_SERVICE_NAME, safe_name, unique

# A current, supported major unless the repository pins one (docker-compose image tag).
DEFAULT_DB_VERSIONS = {"postgres": "16", "mysql": "8.0"}
DEFAULT_REDIS_VERSION = "7.1"
# For a web process whose runtime gave no port of its own (e.g. a bare Procfile command).
RUNTIME_DEFAULT_PORTS = {"node": 3000, "python": 8000, "go": 8080, "java": 8080, "ruby": 3000, "php": 8000,
                         "static": 8080, "docker": 8080}


def _evidence(field: str, value: object, claim: Claim) -> Evidence:
    return Evidence(field=field, value=str(value), source=claim.seen.source, reason=claim.seen.reason,
                    origin=claim.origin)


def _service_name(draft: ServiceDraft, taken: set[str], alone: bool) -> str:
    if draft.root == ".":
        base = safe_name(draft.role, max_length=MAX_SERVICE_NAME, fallback="svc")
    else:
        folder = safe_name(draft.root.rsplit("/", 1)[-1], max_length=MAX_SERVICE_NAME, fallback="svc")
        # The only process of its folder is named after the folder (services/worker -> worker,
        # not worker-worker); beside a web process, a worker gets a suffix.
        base = folder if draft.role == "web" or alone else f"{folder}-{safe_name(draft.role, fallback='svc')}"
    return unique(base[:MAX_SERVICE_NAME].rstrip("-"), taken)


def _service(draft: ServiceDraft, index: int, taken: set[str], evidence: list[Evidence], alone: bool = True) -> Service:
    prefix = f"services[{index}]"
    runtime_claim = draft.best("runtime")
    kind_claim = draft.best("kind")
    kind = kind_claim.value if kind_claim else ("web" if draft.role == "web" else "worker")
    values: dict[str, object] = {"name": _service_name(draft, taken, alone), "kind": kind, "runtime": runtime_claim.value,
                                 "root": draft.root}
    evidence.append(_evidence(f"{prefix}.runtime", runtime_claim.value, runtime_claim))
    if kind_claim:
        evidence.append(_evidence(f"{prefix}.kind", kind, kind_claim))

    port = None
    if kind == "web":
        port_claim = draft.best("port")
        port = port_claim.value if port_claim else RUNTIME_DEFAULT_PORTS[runtime_claim.value]
        if port_claim:
            evidence.append(_evidence(f"{prefix}.port", port, port_claim))
        else:
            evidence.append(Evidence(field=f"{prefix}.port", value=str(port), source="default",
                                     reason=f"{runtime_claim.value} default port", origin="default"))
    values["port"] = port

    for field in ("framework", "build_command", "start_command", "release_command", "health_check_path"):
        claim = draft.best(field)
        if claim is None or (field == "health_check_path" and kind != "web"):
            continue
        value = claim.value
        if isinstance(value, str) and "{port}" in value:
            value = value.replace("{port}", str(port or RUNTIME_DEFAULT_PORTS[runtime_claim.value]))
        values[field] = value
        evidence.append(_evidence(f"{prefix}.{field}", value, claim))

    reads_port = draft.best("reads_port_env")
    if port is not None and reads_port:
        # The app listens where $PORT says; pin it to the port the load balancer targets.
        values["env"] = {"PORT": str(port)}
        evidence.append(_evidence(f"{prefix}.env.PORT", port, reads_port))
    return Service(**values)


SERVER_ENGINES = ("postgres", "mysql")
_NOT_RDS_REASON = {
    "sqlite": "SQLite keeps the data in a file beside the app: no RDS database",
    "h2": "H2 is an embedded database: no RDS database",
    "mongodb": "MongoDB is not an RDS engine: no RDS database (give the app its MongoDB URL as a secret)",
}


def _usable(claim: Claim, found: Findings, engine: str) -> bool:
    """A setting, URL or image names a server engine; it counts only if some shipped dependency can
    talk to it. SQLite is built into most runtimes and MongoDB is never planned: nothing to check."""
    if engine not in SERVER_ENGINES + ("redis",) or claim.rank <= Rank.DESCRIPTOR:
        return True  # (a deploy descriptor that provisions it is the authors' word: app.json, render.yaml)
    return found.clients is None or claim.rank == Rank.MANIFEST or engine in found.clients


def _set_aside(claims: list[Claim], field: str, chosen: Claim | None, found: Findings,
               evidence: list[Evidence]) -> None:
    """Record what was seen but not chosen (optional branches, engines without a client), once per value."""
    recorded: set[str] = {str(chosen.value)} if chosen else set()
    for claim in claims:
        value = str(claim.value)
        if value in recorded:
            continue
        if claim.optional:
            why = claim.seen.reason
        elif not _usable(claim, found, value):
            why = f"{claim.seen.reason}, but no {value} client library is a dependency"
        else:
            continue
        recorded.add(value)
        evidence.append(Evidence(field=f"{field}.optional", value=value, source=claim.seen.source, reason=why))


def choose_engine(found: Findings) -> Claim | None:
    """The database claim the plan follows (an RDS engine, or SQLite/H2/MongoDB for none)."""
    claims = [c for c in found.database if not c.optional and _usable(c, found, str(c.value))]
    chosen = best(claims)
    if chosen is None:
        return None
    tied = [c for c in claims if c.rank == chosen.rank]
    if chosen.rank == Rank.MANIFEST and len({c.value for c in tied}) > 1:
        # Several drivers and nothing that says which runs: Spring Boot runs its embedded H2 unless
        # configured otherwise; anywhere else a server database the app can use is the one to plan.
        embedded = next((c for c in tied if c.value == "h2"), None)
        server = next((c for c in tied if c.value in SERVER_ENGINES), None)
        chosen = embedded or server or chosen
    return chosen


def _database(found: Findings, evidence: list[Evidence]) -> Database | None:
    engine_claim = choose_engine(found)
    _set_aside(found.database, "database", engine_claim, found, evidence)
    if engine_claim is None:
        return None
    engine = engine_claim.value
    if engine not in SERVER_ENGINES:
        evidence.append(Evidence(field="database", value="none", source=engine_claim.seen.source,
                                 reason=f"{engine_claim.seen.reason}; {_NOT_RDS_REASON[engine]}"))
        return None
    evidence.append(_evidence("database.engine", engine, engine_claim))
    version_claim = best([c for c in found.database_version if c.value[0] == engine])
    if version_claim and version_claim.value[1]:
        version = version_claim.value[1]
        evidence.append(_evidence("database.version", version, version_claim))
    else:
        version = DEFAULT_DB_VERSIONS[engine]
        source, reason = "default", f"current supported {engine} major version"
        if version_claim:  # pinned to a version AWS no longer offers
            source, reason = version_claim.seen.source, f"{version_claim.seen.reason}; using {version}"
        evidence.append(Evidence(field="database.version", value=version, source=source, reason=reason, origin="default"))
    return Database(engine=engine, version=version)


def _cache(found: Findings, evidence: list[Evidence]) -> Cache | None:
    claims = [c for c in found.cache if not c.optional and _usable(c, found, "redis")]
    claim = best(claims)
    _set_aside(found.cache, "cache", claim, found, evidence)
    if claim is None:
        return None
    evidence.append(_evidence("cache.engine", "redis", claim))
    version_claim = best([c for c in found.cache_version if c.value[1]])
    if version_claim:
        evidence.append(_evidence("cache.version", version_claim.value[1], version_claim))
    return Cache(version=version_claim.value[1] if version_claim else DEFAULT_REDIS_VERSION)


API_FOLDERS = frozenset({"api", "backend", "server", "core", "app-api", "api-server", "gateway", "api-gateway"})


def _roots_with_database_client(found: Findings) -> set[str]:
    """Service folders whose own manifests name the database or cache the plan provisions."""
    from .repo import parent_of

    return {parent_of(c.seen.path) for c in found.database + found.cache
            if c.rank == Rank.MANIFEST and c.seen.path and not c.optional}


def _needs(found: Findings, services: list[Service], database: bool, cache: bool) -> list[Need]:
    """Settings the app cannot start without, minus what the plan itself provides."""
    provided = {"PORT", "HIVEMIND_COLOR"} | {k for s in services for k in (*s.env, *s.secrets)}
    provided |= {"DATABASE_URL"} if database else set()
    provided |= {"REDIS_URL"} if cache else set()
    return [Need(name=name, source=claim.seen.source, reason=claim.seen.reason)
            for name, claim in sorted(found.needs.items()) if name not in provided]


def plan_from_findings(found: Findings, *, name: str, name_reason: str, description: str = "") -> DeploymentPlan | None:
    """The stage-1 plan the findings describe, or None when they hold no runnable service."""
    drafts = [d for d in found.services if d.best("runtime") is not None]
    if not drafts:
        return None
    # The repository root before subfolders, web before workers: stable names and order...
    drafts.sort(key=lambda d: (d.root != ".", d.root.lower(), d.root, d.role != "web", d.role))
    # ...except that the API comes first (the web service with the database client, or named api,
    # backend, server), never a static site: it is the plan's primary service.
    with_db = _roots_with_database_client(found)
    candidates = [d for d in drafts if d.value("kind", "web") == "web" and d.role == "web"
                  and d.best("runtime").value != "static"]
    if candidates:
        primary = min(candidates, key=lambda d: (d.root not in with_db,
                                                 d.root.rsplit("/", 1)[-1].lower() not in API_FOLDERS,
                                                 drafts.index(d)))
        drafts.remove(primary)
        drafts.insert(0, primary)
    evidence = [Evidence(field="name", value=name, source="default", reason=name_reason, origin="default")]
    taken: set[str] = set()
    per_root = Counter(d.root for d in drafts)
    services = [_service(draft, i, taken, evidence, per_root[draft.root] == 1) for i, draft in enumerate(drafts)]
    database, cache = _database(found, evidence), _cache(found, evidence)
    for claim in found.excluded:
        evidence.append(Evidence(field="services.excluded", value=str(claim.value), source=claim.seen.source,
                                 reason=claim.seen.reason))
    plan = DeploymentPlan(
        name=name, description=description, services=services, database=database, cache=cache,
        needs=_needs(found, services, database is not None, cache is not None), evidence=evidence,
    )
    return apply_stage(plan, "stage-1")
