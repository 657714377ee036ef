"""What a deployment report holds: plain data, already redacted, nothing printed.

`gather.build_report` fills it from the state and (read-only) CloudFormation; `render` turns it
into markdown or HTML with the jinja2 templates. The section order is fixed by `SECTIONS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The report's sections, in order (issue 14); both templates render exactly these headings.
SECTIONS = ("Timeline", "Resources", "Configuration", "Verification", "Access", "Cost breakdown", "Next steps",
            "Troubleshooting")


@dataclass
class PhaseRow:
    name: str
    seconds: float | None
    outcome: str
    detail: str = ""


@dataclass
class OperationRow:
    """One recorded lifecycle command with its timed phases."""

    id: str
    action: str
    status: str
    started_at: str
    seconds: float | None
    release: str | None
    phases: list[PhaseRow] = field(default_factory=list)
    stacks_changed: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ResourceRow:
    stack: str
    logical_id: str
    resource_type: str
    physical_id: str  # "-" when CloudFormation reports none
    status: str = ""
    monthly_usd: float | None = None  # None: the estimator does not price this type


@dataclass
class ConfigRow:
    """One plan value and, when recon or a person recorded one, why it was chosen."""

    field: str
    value: str
    source: str = ""
    reason: str = ""


@dataclass
class CheckRow:
    name: str
    passed: bool
    detail: str
    seconds: float
    unreachable: bool = False


@dataclass
class VerificationInfo:
    time: str
    passed: bool
    url: str | None
    color: str | None
    checks: list[CheckRow] = field(default_factory=list)


@dataclass
class AccessInfo:
    url: str | None
    outputs: list[tuple[str, str, str]] = field(default_factory=list)  # (stack, key, value) that are URLs
    dashboard_name: str | None = None
    dashboard_url: str | None = None
    log_groups: list[tuple[str, str]] = field(default_factory=list)  # (service, log group)
    logs_command: str = ""
    status_command: str = ""


@dataclass
class CostLineRow:
    stack: str
    resource: str
    description: str
    monthly_usd: float


@dataclass
class CostInfo:
    """The monthly estimate; `source` says which templates were priced (live, or the local assembly)."""

    source: str
    total_usd: float
    after_always_free_usd: float
    per_stack: list[tuple[str, float]] = field(default_factory=list)
    lines: list[CostLineRow] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    price_region: str = ""
    as_of: str = ""


@dataclass
class Step:
    """Something worth doing next: why, the plan edit to make first (if any), and the command."""

    why: str
    command: str
    edit: str = ""


@dataclass
class DiagnosisInfo:
    category: str
    root_cause: str
    fix: str
    rule: str = ""
    retry_alone_fixes: str = ""
    commands: list[str] = field(default_factory=list)


@dataclass
class FailureRow:
    time: str
    action: str
    phase: str
    where: str  # stack / logical id (type)
    status: str
    reason: str
    resolved: bool = False  # a later command succeeded (the state keeps the failure until a retry clears it)


@dataclass
class TroubleshootingInfo:
    failure: FailureRow | None = None
    diagnosis: DiagnosisInfo | None = None
    past_diagnoses: list[tuple[str, str]] = field(default_factory=list)  # (time, "category: root cause")
    common: list[Step] = field(default_factory=list)


@dataclass
class Report:
    deployment: str
    generated_at: str
    action: str | None  # the command the report was saved after; None for `hivemind report`
    status: str
    stage: str
    region: str
    release: str | None
    active_color: str | None
    timeline: list[OperationRow] = field(default_factory=list)
    resources: list[ResourceRow] = field(default_factory=list)
    resources_note: str | None = None  # "not read (reason)" when AWS could not be asked
    configuration: list[ConfigRow] = field(default_factory=list)
    verification: VerificationInfo | None = None
    access: AccessInfo = field(default_factory=lambda: AccessInfo(url=None))
    cost: CostInfo | None = None
    cost_note: str | None = None
    next_steps: list[Step] = field(default_factory=list)
    troubleshooting: TroubleshootingInfo = field(default_factory=TroubleshootingInfo)
    sections: tuple[str, ...] = SECTIONS

    @property
    def last_operation(self) -> OperationRow | None:
        return self.timeline[-1] if self.timeline else None
