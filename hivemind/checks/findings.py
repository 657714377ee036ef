"""One finding model for cdk-nag, cfn-lint and HiveMind's plan rules, so the CLI and reports treat them alike."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    source: Literal["cdk-nag", "cfn-lint", "checkov", "hivemind"]
    rule_id: str
    severity: Severity
    stack: str
    resource: str  # construct path (cdk-nag) or logical id (cfn-lint)
    message: str
    acknowledged: bool = False
    reason: str = ""

    @property
    def blocking(self) -> bool:
        """Fails `hivemind synth`: an unacknowledged error."""
        return self.severity == "error" and not self.acknowledged

    def to_dict(self) -> dict:
        return asdict(self) | {"blocking": self.blocking}

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        return cls(**{k: v for k, v in data.items() if k != "blocking"})
