"""Read a cloud assembly (manifest.json) without jsii: stacks, dependency order, missing context."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import HivemindError
from .result import StackInfo

STACK_TYPE = "aws:cloudformation:stack"


class MissingContextError(HivemindError):
    """The app asked for a context lookup (VPC, AMI, ...): HiveMind's templates must need none."""


class AssemblyError(HivemindError):
    """The cloud assembly is unreadable or inconsistent."""


def read_manifest(assembly_dir: Path) -> dict:
    path = Path(assembly_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AssemblyError(f"{path}: cannot read cloud assembly manifest ({exc.__class__.__name__})") from None


def check_missing(manifest: dict) -> None:
    """Lookups do not fail in-process: they leave `missing` entries and dummy values. Fail here."""
    missing = manifest.get("missing") or []
    if missing:
        keys = ", ".join(sorted({m.get("key", "?") for m in missing}))
        raise MissingContextError(f"synth needs context lookups that HiveMind does not perform: {keys}")


def stacks_in_order(assembly_dir: Path, manifest: dict) -> list[StackInfo]:
    """Stacks topologically sorted by their dependencies (ties in manifest order)."""
    artifacts = manifest.get("artifacts", {})
    stacks = {
        name: StackInfo(
            name=artifact.get("properties", {}).get("stackName", name),
            template_path=Path(assembly_dir) / artifact["properties"]["templateFile"],
            dependencies=[d for d in artifact.get("dependencies", []) if artifacts.get(d, {}).get("type") == STACK_TYPE],
        )
        for name, artifact in artifacts.items()
        if artifact.get("type") == STACK_TYPE
    }
    ordered: list[StackInfo] = []
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in trail:
            raise AssemblyError(f"stack dependency cycle: {' -> '.join(trail + (name,))}")
        for dep in stacks[name].dependencies:
            visit(dep, trail + (name,))
        done.add(name)
        ordered.append(stacks[name])

    for name in stacks:
        visit(name, ())
    # Report dependencies by stack name (artifact ids equal stack names here, but be exact).
    by_id = {artifact_id: info.name for artifact_id, info in stacks.items()}
    for info in ordered:
        info.dependencies = [by_id[d] for d in info.dependencies]
    return ordered


def read_assembly(assembly_dir: Path) -> list[StackInfo]:
    manifest = read_manifest(assembly_dir)
    check_missing(manifest)
    return stacks_in_order(assembly_dir, manifest)
