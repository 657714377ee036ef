"""What the plan-level fixes need to know, read from the data cfn-lint ships (per region): which
instance types, DB instance classes and cache node types a region offers, and which engine versions
RDS and ElastiCache accept. Nothing here talks to AWS."""
from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path

# x86_64 families in the order a substitute is tried (the boot image is x86_64, so EC2 stays on x86;
# RDS and ElastiCache run Graviton classes transparently).
EC2_FAMILIES = {
    "t": ["t3", "t3a", "t2"],
    "m": ["m5", "m6i", "m5a", "m6a", "m7i", "m7a", "m4"],
    "c": ["c5", "c6i", "c5a", "c6a", "c7i", "c7a", "c4"],
    "r": ["r5", "r6i", "r5a", "r6a", "r7i", "r7a", "r4"],
}
DB_FAMILIES = {
    "t": ["db.t3", "db.t4g", "db.t2"],
    "m": ["db.m5", "db.m6g", "db.m6i", "db.m7g", "db.m4"],
    "r": ["db.r5", "db.r6g", "db.r6i", "db.r7g", "db.r4"],
}
CACHE_FAMILIES = {
    "t": ["cache.t3", "cache.t4g", "cache.t2"],
    "m": ["cache.m5", "cache.m6g", "cache.m7g", "cache.m4"],
    "r": ["cache.r5", "cache.r6g", "cache.r7g", "cache.r4"],
}

_EXTENSIONS = ("data", "schemas", "extensions")


def _cfnlint_file(*parts: str) -> Path | None:
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_EXTENSIONS, *parts)
    return path if path.is_file() else None


@lru_cache(maxsize=8)
def _load(*parts: str) -> dict:
    path = _cfnlint_file(*parts)
    if path is None:
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _enums(node: object) -> set[str]:
    """Every string listed in an `enum` anywhere under `node`."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list):
                found.update(str(v) for v in value)
            else:
                found |= _enums(value)
    elif isinstance(node, list):
        for item in node:
            found |= _enums(item)
    return found


def offered(kind: str, region: str) -> set[str]:
    """Instance types ("ec2"), DB instance classes ("rds") or cache node types ("cache") in a region."""
    files = {"ec2": ("aws_ec2_instance", "instancetype_enum.json"),
             "rds": ("aws_rds_dbinstance", "dbinstanceclass_enum.json"),
             "cache": ("aws_elasticache_cachecluster", "cachenodetype_enum.json")}
    data = _load(*files[kind])
    return _enums(data.get(region) or data.get("us-east-1") or {})


def _split(type_name: str) -> tuple[str, str] | None:
    family, _, size = type_name.rpartition(".")
    return (family, size) if family and size else None


def alternatives(type_name: str, region: str) -> list[str]:
    """The same size in the next families the region offers, best first (empty when unknown)."""
    kind = "rds" if type_name.startswith("db.") else "cache" if type_name.startswith("cache.") else "ec2"
    table = {"ec2": EC2_FAMILIES, "rds": DB_FAMILIES, "cache": CACHE_FAMILIES}[kind]
    parts = _split(type_name)
    if parts is None:
        return []
    family, size = parts
    letter = family.removeprefix("db.").removeprefix("cache.")[:1]
    order = table.get(letter, [])
    if family in order:
        i = order.index(family)
        order = order[i + 1:] + order[:i]
    available = offered(kind, region)
    return [f"{f}.{size}" for f in order if f != family and (not available or f"{f}.{size}" in available)]


_NUMERIC = re.compile(r"^\d+(\.\d+)*$")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def usable_versions(engine: str) -> list[str]:
    """Engine versions RDS (postgres, mysql) or ElastiCache (redis, valkey) accepts, minus the
    deprecated ones, oldest first."""
    if engine in ("redis", "valkey", "memcached"):
        valid = _versions(("aws_elasticache_cachecluster", "engine_version.json")).get(engine, set())
        deprecated: set[str] = set()
    else:
        valid = _versions(("aws_rds_dbinstance", "engine_version.json")).get(engine, set())
        deprecated = _versions(("aws_rds_dbinstance", "engine_version_deprecated.json")).get(engine, set())
    return sorted((v for v in valid - deprecated if _NUMERIC.match(v)), key=_version_key)


def _versions(parts: tuple[str, str]) -> dict[str, set[str]]:
    schema = _load(*parts)
    out: dict[str, set[str]] = {}
    for clause in schema.get("allOf", []):
        props = clause.get("if", {}).get("properties", {})
        engine = props.get("Engine", {}).get("const")
        if not engine:
            continue
        enum = props.get("EngineVersion", {}).get("enum") or (
            clause.get("then", {}).get("properties", {}).get("EngineVersion", {}).get("enum") or [])
        out.setdefault(engine, set()).update(str(v) for v in enum)
    return out


def nearest_version(engine: str, wanted: str) -> str | None:
    """The supported version closest to `wanted`: the newest of the same major (same major.minor
    for MySQL), else the closest major above it, else the newest below. None when nothing is known."""
    usable = usable_versions(engine)
    if not usable or not _NUMERIC.match(wanted):
        return None
    want = _version_key(wanted)
    depth = 2 if engine == "mysql" else 1  # MySQL majors are "8.0", "8.4"
    prefix = want[:depth]
    full = [v for v in usable if v.count(".") >= (2 if engine == "mysql" else 1)] or usable
    same = [v for v in full if _version_key(v)[:depth] == prefix and v != wanted]
    if same:
        newer = [v for v in same if _version_key(v) >= want]
        return max(newer or same, key=_version_key)
    above = [v for v in full if _version_key(v)[:depth] > prefix]
    if above:
        first_major = min(_version_key(v)[:depth] for v in above)
        return max((v for v in above if _version_key(v)[:depth] == first_major), key=_version_key)
    below = [v for v in full if _version_key(v)[:depth] < prefix]
    return max(below, key=_version_key) if below else None
