"""What HiveMind remembers about one deployment (a cache of CloudFormation's truth plus history)."""
from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import __version__
from ..plan.models import DeploymentPlan
from ..redact import one_line


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class DeploymentStatus(str, Enum):
    """Lifecycle of a deployment (the seed's status list)."""

    PENDING = "pending"
    ANALYZING = "analyzing"
    BUILDING = "building"
    PROVISIONING = "provisioning"
    DEPLOYING = "deploying"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    FAILED = "failed"
    AWAITING_FIX = "awaiting_fix"
    FIXING = "fixing"
    UPDATING = "updating"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    DESTROYING = "destroying"
    DESTROYED = "destroyed"

    @property
    def in_progress(self) -> bool:
        """A command was acting on the deployment (if none is now, it was interrupted)."""
        return self in _IN_PROGRESS


_IN_PROGRESS = frozenset({
    DeploymentStatus.ANALYZING, DeploymentStatus.BUILDING, DeploymentStatus.PROVISIONING,
    DeploymentStatus.DEPLOYING, DeploymentStatus.VERIFYING, DeploymentStatus.FIXING,
    DeploymentStatus.UPDATING, DeploymentStatus.ROLLING_BACK, DeploymentStatus.DESTROYING,
})


class _Model(BaseModel):
    # State files written by a newer HiveMind may carry fields this one does not know: keep going.
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class StackState(_Model):
    """One CloudFormation stack as last seen."""

    status: str = Field(description="CloudFormation stack status, e.g. CREATE_COMPLETE; MISSING if gone")
    outputs: dict[str, str] = Field(default_factory=dict)
    last_updated: datetime | None = None
    stack_id: str | None = None
    status_reason: str | None = None


class ArtifactInfo(_Model):
    """The app bundle the running colour was built from."""

    bucket: str
    key: str
    sha256: str


Color = Literal["blue", "green"]


class Release(_Model):
    """One version of the app that was rolled out (v1, v2, ...): what ran, where, and how it ended.

    outcome: pending (being rolled out), live (takes the traffic), previous (the release before the
    live one; its colour may still be standing for an instant rollback), superseded (older),
    failed (never took traffic), rolled_back (took traffic, then was shifted away from).
    """

    version: int
    artifact: ArtifactInfo
    color: Color
    plan_hash: str
    strategy: Literal["initial", "blue-green", "rolling", "rollback", "upgrade"] = "initial"
    image_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    outcome: Literal["pending", "live", "previous", "superseded", "failed", "rolled_back"] = "pending"
    operation_id: str | None = None

    @property
    def label(self) -> str:
        return f"v{self.version}"


class ColorState(_Model):
    """What one colour stack runs right now."""

    release: int
    artifact: ArtifactInfo


class PhaseRecord(_Model):
    """One named step of an operation (bundle, synth, checks, change sets, execute, shift, ...)."""

    name: str
    started_at: datetime = Field(default_factory=utcnow)
    seconds: float | None = None
    outcome: Literal["running", "ok", "failed", "skipped", "interrupted", "refused"] = "running"
    detail: str = ""

    @field_validator("detail")
    @classmethod
    def _safe_detail(cls, v: str) -> str:
        return one_line(v) if v else v


class OperationRecord(_Model):
    """One lifecycle command's run: the Conductor's timeline that reports and the Medic read."""

    id: str
    action: str = Field(description="deploy, update, rollback, upgrade, destroy, retry")
    started_at: datetime = Field(default_factory=utcnow)
    seconds: float | None = None
    status: Literal["running", "succeeded", "failed", "cancelled", "refused", "interrupted"] = "running"
    phases: list[PhaseRecord] = Field(default_factory=list)
    release: int | None = None
    stacks_changed: list[str] = Field(default_factory=list)
    # CloudFormation's ClientRequestToken on the change sets this operation executed: its stack
    # events carry it, so the Medic reads exactly this operation's events.
    client_request_token: str | None = None
    error: str | None = None

    @field_validator("error")
    @classmethod
    def _safe_error(cls, v: str | None) -> str | None:
        return one_line(v) if v else v


class FailureInfo(_Model):
    """The root cause of the last failure: the first failed resource event, not its echoes."""

    operation_id: str | None = None
    action: str | None = None
    phase: str | None = None
    stack: str | None = None
    logical_id: str | None = None
    resource_type: str | None = None
    status: str | None = None
    reason: str = ""
    time: datetime = Field(default_factory=utcnow)

    @field_validator("reason")
    @classmethod
    def _safe_reason(cls, v: str) -> str:
        return one_line(v) if v else v


class HistoryEvent(_Model):
    time: datetime = Field(default_factory=utcnow)
    action: str = Field(description="What happened: deploy, what-if, update, rollback, refresh, ...")
    status: DeploymentStatus | None = None
    detail: str = ""

    @field_validator("detail")
    @classmethod
    def _safe_detail(cls, v: str) -> str:
        return one_line(v) if v else v


class VerificationCheck(_Model):
    """One named QA check (http, tls, targets, port, database, cache, dns), see hivemind.qa."""

    name: str
    passed: bool
    detail: str = ""
    seconds: float = 0.0
    unreachable: bool = Field(default=False, description="The address could not be reached at all (no DNS, no route)")
    data: dict = Field(default_factory=dict, description="Measurements: latencies, days to expiry, targets, ...")

    @field_validator("detail")
    @classmethod
    def _safe_detail(cls, v: str) -> str:
        return one_line(v) if v else v


class Verification(_Model):
    """The last `hivemind verify` (or post-deploy verification): all checks and their verdict."""

    time: datetime = Field(default_factory=utcnow)
    passed: bool
    url: str | None = None
    color: str | None = None
    checks: list[VerificationCheck] = Field(default_factory=list)


class DeploymentState(_Model):
    id: str
    status: DeploymentStatus = DeploymentStatus.PENDING
    stage: str = "stage-1"
    region: str = "us-east-1"
    plan: DeploymentPlan
    stacks: dict[str, StackState] = Field(default_factory=dict)
    active_color: Literal["blue", "green"] | None = None
    url: str | None = None
    dashboard_url: str | None = None
    artifact: ArtifactInfo | None = None  # the live release's artifact
    releases: list[Release] = Field(default_factory=list)
    colors: dict[str, ColorState] = Field(default_factory=dict, description="colour -> what it runs")
    operations: list[OperationRecord] = Field(default_factory=list)
    failure: FailureInfo | None = None
    diagnosis: dict | None = Field(default=None, description="The Medic's diagnosis of `failure`")
    last_error: str | None = Field(default=None, description="One line, redacted")
    failed_stage: str | None = None
    retry_count: int = 0
    history: list[HistoryEvent] = Field(default_factory=list)
    verification: Verification | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    revision: int = Field(default=0, ge=0, description="Revision of the copy in AWS (SSM) this state was read "
                          "from or last saved as; 0: never stored there. A save is refused if AWS moved past it")
    hivemind_version: str = __version__

    @field_validator("last_error")
    @classmethod
    def _safe_error(cls, v: str | None) -> str | None:
        # Whoever sets it, it is stored and shown as one redacted line.
        return one_line(v) if v else v

    @classmethod
    def new(cls, plan: DeploymentPlan, *, region: str | None = None) -> "DeploymentState":
        """A fresh, pending state for a plan (id, stage and region taken from it)."""
        return cls(id=plan.name, stage=plan.stage, region=region or plan.region, plan=plan)

    def release(self, version: int) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)

    @property
    def live_release(self) -> Release | None:
        return next((r for r in reversed(self.releases) if r.outcome == "live"), None)

    @property
    def idle_color(self) -> Color:
        return "green" if (self.active_color or "blue") == "blue" else "blue"

    def summary(self, source: "SummarySource" = "aws") -> "DeploymentSummary":
        return DeploymentSummary(
            id=self.id, status=self.status, stage=self.stage, region=self.region, url=self.url,
            updated_at=self.updated_at, stacks=len(self.stacks), source=source,
        )


SummarySource = Literal["aws", "local-only", "cloudformation-only"]


class DeploymentSummary(_Model):
    """One row of `hivemind list`."""

    id: str
    status: DeploymentStatus | None = None
    stage: str | None = None
    region: str
    url: str | None = None
    updated_at: datetime | None = None
    stacks: int = 0
    source: SummarySource = Field(
        default="aws",
        description="aws: state stored in AWS; local-only: only this machine knows it; "
        "cloudformation-only: stacks tagged for HiveMind but no stored state",
    )
