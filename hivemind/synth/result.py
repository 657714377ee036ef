"""What a synth produces: the stacks in dependency order, findings, the cost estimate."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.findings import Finding
from ..costs.model import CostEstimate


@dataclass
class StackInfo:
    name: str
    template_path: Path
    dependencies: list[str] = field(default_factory=list)
    _template: dict | None = field(default=None, repr=False)

    @property
    def template(self) -> dict:
        if self._template is None:
            self._template = json.loads(self.template_path.read_text(encoding="utf-8"))
        return self._template

    @property
    def resource_count(self) -> int:
        return len(self.template.get("Resources", {}))

    def to_dict(self) -> dict:
        return {
            "name": self.name, "template_path": str(self.template_path), "dependencies": self.dependencies,
            "resource_count": self.resource_count,
            "resources": {
                logical_id: resource.get("Type") for logical_id, resource in self.template.get("Resources", {}).items()
            },
        }


@dataclass
class SynthResult:
    assembly_dir: Path
    stacks: list[StackInfo]
    findings: list[Finding]
    cost: CostEstimate
    cached: bool = False
    checks_run: bool = True

    @property
    def blocking_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def ok(self) -> bool:
        return not self.blocking_findings

    def stack(self, name: str) -> StackInfo:
        for stack in self.stacks:
            if stack.name == name:
                return stack
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "assembly_dir": str(self.assembly_dir),
            "cached": self.cached,
            "ok": self.ok,
            "checks_run": self.checks_run,
            "stacks": [s.to_dict() for s in self.stacks],
            "findings": [f.to_dict() for f in self.findings],
            "cost": self.cost.to_dict(),
        }
