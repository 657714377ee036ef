"""The Medic's diagnosis: one schema for the rule catalogue and the agent alike.

`{category, root_cause, fix, retry_alone_fixes, rule, evidence, plan_patch, commands}`; every text
in it is redacted on the way in, so a diagnosis can be stored, printed or sent anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..plan.models import DeploymentPlan
from ..redact import one_line, redact, redact_data

Category = Literal[
    "capacity", "quota", "permission", "name_conflict", "invalid_config", "not_found", "health_timeout",
    "dependency", "stack_state", "throttling", "network", "kms", "unknown",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]

# true: a retry as is will pass; false: something must change first; "sometimes": transient or
# ordering, a retry may pass but a change is the reliable fix.
RetryVerdict = Union[Literal["sometimes"], bool]

_PATCH_OPS = {"add", "remove", "replace", "move", "copy", "test"}


class Evidence(BaseModel):
    """The event the diagnosis read, and the failed events around it (oldest first)."""

    model_config = ConfigDict(extra="forbid")

    stack: str | None = None
    logical_id: str | None = None
    resource_type: str | None = None
    status: str | None = None
    reason: str = ""
    chain: list[str] = Field(default_factory=list, description="This operation's failed events, one line each")

    @field_validator("reason")
    @classmethod
    def _safe_reason(cls, v: str) -> str:
        return one_line(v, limit=2000) if v else v

    @field_validator("chain")
    @classmethod
    def _safe_chain(cls, v: list[str]) -> list[str]:
        return [one_line(line, limit=600) for line in v[:50]]


class Diagnosis(BaseModel):
    """What failed, in plain words, and what to change or run."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    root_cause: str = Field(description="One line in plain words")
    fix: str = Field(description="What to change or run")
    retry_alone_fixes: RetryVerdict = Field(
        description='true, false, or "sometimes" (transient or ordering: a retry may pass, a change is the reliable fix)')
    rule: str = Field(description="The catalogue rule's id, 'classifier:<category>', or 'agent'")
    evidence: Evidence = Field(default_factory=Evidence)
    plan_patch: list[dict[str, Any]] | None = Field(
        default=None, description="A JSON Patch (RFC 6902) on the plan (hivemind.yaml), or null")
    commands: list[str] = Field(default_factory=list, description="Commands to run, if any")
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="The text classifier's probability for the category (rule "
                                              "'classifier:<category>'); null for a rule or the agent")

    @field_validator("root_cause", "fix")
    @classmethod
    def _safe_text(cls, v: str) -> str:
        return one_line(v, limit=1500)

    @field_validator("commands")
    @classmethod
    def _safe_commands(cls, v: list[str]) -> list[str]:
        return [redact(c) for c in v[:20]]

    @field_validator("plan_patch")
    @classmethod
    def _patch_shape(cls, v: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if v is None:
            return None
        for op in v:
            if op.get("op") not in _PATCH_OPS:
                raise ValueError(f"JSON Patch op must be one of {', '.join(sorted(_PATCH_OPS))}")
            if not isinstance(op.get("path"), str) or not (op["path"] == "" or op["path"].startswith("/")):
                raise ValueError("JSON Patch path must be a JSON Pointer such as /services/0/instance_type")
            if op["op"] in ("add", "replace", "test") and "value" not in op:
                raise ValueError(f"JSON Patch op {op['op']!r} needs a value")
            if op["op"] in ("move", "copy") and not isinstance(op.get("from"), str):
                raise ValueError(f"JSON Patch op {op['op']!r} needs 'from'")
        return redact_data(v) or None

    def one_line(self) -> str:
        return f"{self.category}: {self.root_cause}"


@dataclass(frozen=True)
class PatchResult:
    """A plan patch applied to hivemind.yaml: the validated plan and the diff that was written."""

    plan: DeploymentPlan
    diff_text: str
