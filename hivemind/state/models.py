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


class HistoryEvent(_Model):
    time: datetime = Field(default_factory=utcnow)
    action: str = Field(description="What happened: deploy, what-if, update, rollback, refresh, ...")
    status: DeploymentStatus | None = None
    detail: str = ""

    @field_validator("detail")
    @classmethod
    def _safe_detail(cls, v: str) -> str:
        return one_line(v) if v else v


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
    artifact: ArtifactInfo | None = None
    last_error: str | None = Field(default=None, description="One line, redacted")
    failed_stage: str | None = None
    retry_count: int = 0
    history: list[HistoryEvent] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
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
