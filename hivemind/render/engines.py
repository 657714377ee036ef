"""Resolve a plan's database version ("16", "8.4") to a full RDS engine version.

RDS wants a concrete version for MySQL, and a bare Postgres major is flagged as deprecated. The
versions RDS offers (and those it deprecated) are read from the data cfn-lint ships, so the
choice tracks the installed cfn-lint instead of a list kept here.
"""
from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path

_NUMERIC = re.compile(r"^\d+(\.\d+)*$")


_SCHEMA_DIR = ("data", "schemas", "extensions", "aws_rds_dbinstance")


@lru_cache(maxsize=2)
def _versions(filename: str) -> dict[str, set[str]]:
    """engine -> versions listed in one of cfn-lint's aws_rds_dbinstance extension schemas."""
    # Located without importing cfnlint (its package import costs ~0.5 s).
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("cfnlint")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_SCHEMA_DIR, filename)
    schema = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for clause in schema.get("allOf", []):
        props = clause.get("if", {}).get("properties", {})
        engine = props.get("Engine", {}).get("const")
        if not engine:
            continue
        enum = props.get("EngineVersion", {}).get("enum") or (
            clause.get("then", {}).get("properties", {}).get("EngineVersion", {}).get("enum") or []
        )
        out.setdefault(engine, set()).update(str(v) for v in enum)
    return out


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def resolve_engine_version(engine: str, version: str) -> str:
    """The plan's version if RDS offers it as is, else the newest offered version under that prefix."""
    try:
        valid = _versions("engine_version.json").get(engine, set())
        deprecated = _versions("engine_version_deprecated.json").get(engine, set())
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError):
        return version
    usable = {v for v in valid - deprecated if _NUMERIC.match(v)}
    if version in usable and version.count(".") >= (2 if engine == "mysql" else 1):
        return version
    candidates = [v for v in usable if v.startswith(version + ".")]
    return max(candidates, key=_key) if candidates else version
