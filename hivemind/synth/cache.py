"""Synth cache: an unchanged plan + options + tool version reuses the stored cloud assembly.

Key = sha256 of the plan, the render options, the check flag, the versions of HiveMind, aws-cdk-lib,
cdk-nag and cfn-lint, and the source of the renderer itself (so editing a construct invalidates).
A hit copies the stored assembly to the output directory; it never imports aws_cdk.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..paths import hivemind_home
from ..plan import DeploymentPlan
from ..render.options import RenderOptions

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_SOURCE_DIRS = (
    _PACKAGE_ROOT / "render",
    _PACKAGE_ROOT / "checks",
    _PACKAGE_ROOT / "costs",
    _PACKAGE_ROOT / "synth",
    _PACKAGE_ROOT.parent / "constructs_lib",
)
RESULT_FILE = "hivemind-synth.json"


def cache_root() -> Path:
    return hivemind_home() / "cache" / "synth"


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    digest = hashlib.sha256()
    for dist in ("hivemind", "aws-cdk-lib", "cdk-nag", "cfn-lint"):
        try:
            digest.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=?;".encode())
    for directory in _SOURCE_DIRS:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".j2", ".json", ".sh"):
                digest.update(str(path.relative_to(directory)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(plan: DeploymentPlan, options: RenderOptions, *, checks: bool) -> str:
    payload = {
        "plan": plan.model_dump(mode="json"),
        # Every field of the options (a new field can never be forgotten here).
        "options": asdict(options),
        "checks": checks,
        "tool": tool_fingerprint(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def lookup(key: str) -> Path | None:
    entry = cache_root() / key
    return entry if (entry / RESULT_FILE).is_file() and (entry / "manifest.json").is_file() else None


def store(key: str, assembly_dir: Path) -> None:
    """Copy a finished assembly (with its result file) into the cache, atomically by rename."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        shutil.copytree(assembly_dir, staging, dirs_exist_ok=True)
        os.replace(staging, root / key)
    except OSError:
        # Another process stored the same key first, or the disk is full: the cache is optional.
        shutil.rmtree(staging, ignore_errors=True)


def restore(entry: Path, outdir: Path) -> None:
    shutil.copytree(entry, outdir, dirs_exist_ok=True)
