"""The Medic agent: diagnoses a failure the rule catalogue does not know, with read-only tools over
this operation's stack events, the failing resource's template, the plan and recent app log lines.

Its answer is a `Diagnosis` (validated by the loop). A plan patch it proposes is checked against the
plan schema and the stateful guard before anyone sees it; a refused or invalid patch is dropped
and the reason is appended to the fix. Any failure comes back as an error string, never raised.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from ..redact import one_line, redact
from .budget import Budget
from .config import LLMConfig
from .loop import run_agent
from .steplog import StepLog, agent_log_path
from .tools import Tool, ToolError, ToolSet

SYSTEM = """You are HiveMind's Medic. A deployment to AWS through CloudFormation failed and no known
rule matched its error. Find the root cause from the evidence and the tools, then answer with ONE
JSON object matching the schema:
- category: one of capacity, quota, permission, name_conflict, invalid_config, not_found,
  health_timeout, dependency, stack_state, throttling, network, kms, unknown (never another word;
  unknown when the evidence does not say);
- root_cause: one line in plain words; fix: what to change or run;
- retry_alone_fixes: true, false or "sometimes" (transient or ordering issues);
- rule: "agent"; evidence: copy the event you were given;
- plan_patch: a JSON Patch (RFC 6902) on the plan as the `plan` tool shows it (paths like
  /services/0/instance_type), or null. Never change the database or cache engine, the database
  name, or the deployment name: such patches are refused.
- commands: shell commands the user may run (read-only checks first), or [].
Use only what the tools show; do not invent resource names."""


class EventsArgs(BaseModel):
    stack: str | None = Field(default=None, description="Only this stack's events (default: every stack)")


class TemplateArgs(BaseModel):
    stack: str
    logical_id: str


class NoArgs(BaseModel):
    pass


class LogArgs(BaseModel):
    service: str = Field(description="A service name from the plan")
    lines: int = Field(default=50, ge=1, le=200)


@dataclass
class MedicCase:
    """What the agent may look at. `aws` says whether the AWS reads are allowed (region known)."""

    message: str
    event_lines: list[str] = field(default_factory=list)  # this operation's events, oldest first
    evidence: dict = field(default_factory=dict)
    plan_yaml: str | None = None
    service_names: tuple[str, ...] = ()
    deployment_id: str | None = None
    region: str | None = None
    aws: bool = False


def medic_toolset(case: MedicCase) -> ToolSet:
    def stack_events(args: EventsArgs) -> str:
        lines = [line for line in case.event_lines if args.stack is None or f" {args.stack} " in f" {line} "]
        return "\n".join(redact(line) for line in lines) or "no events recorded for this operation"

    def resource_template(args: TemplateArgs) -> str:
        if not (case.aws and case.region):
            raise ToolError("AWS is not reachable from here; use the event text")
        from ..medic.cfn_reads import resource_template as read

        try:
            return read(args.stack, args.logical_id, case.region)
        except Exception as exc:  # noqa: BLE001 - the model reads the reason and carries on
            raise ToolError(one_line(f"cannot read the template: {exc}", 300)) from None

    def plan(args: NoArgs) -> str:
        if case.plan_yaml is None:
            raise ToolError("no plan is known for this failure")
        return redact(case.plan_yaml)

    def app_logs(args: LogArgs) -> str:
        if args.service not in case.service_names:
            raise ToolError(f"unknown service {args.service!r}; the plan has: {', '.join(case.service_names) or 'none'}")
        if not (case.aws and case.region and case.deployment_id):
            raise ToolError("AWS is not reachable from here; no log lines")
        from ..medic.cfn_reads import recent_log_lines
        from ..render import names

        group = names.log_group_name(case.deployment_id, args.service)
        try:
            lines = recent_log_lines(group, case.region, args.lines)
        except Exception as exc:  # noqa: BLE001
            raise ToolError(one_line(f"cannot read {group}: {exc}", 300)) from None
        return "\n".join(lines) or f"{group} has no recent lines"

    return ToolSet([
        Tool("stack_events", "This failed operation's CloudFormation events, oldest first", EventsArgs, stack_events),
        Tool("resource_template", "The failing resource's block of the deployed template", TemplateArgs,
             resource_template),
        Tool("plan", "The deployment plan (hivemind.yaml) the patch paths refer to", NoArgs, plan),
        Tool("app_logs", "Recent log lines of one service (boot and app output)", LogArgs, app_logs),
    ])


def user_prompt(case: MedicCase) -> str:
    evidence = json.dumps(case.evidence, default=str)
    return redact(f"The failure event (evidence): {evidence}\n\nIts reason: {case.message}\n\n"
                  f"This operation has {len(case.event_lines)} recorded events (tool stack_events).")


def run_medic_agent(case: MedicCase, llm: LLMConfig, *, client=None):
    """Returns (Diagnosis or None, error or None). Never raises."""
    from ..medic.models import Diagnosis

    try:
        log_path = agent_log_path(case.deployment_id, "medic") if case.deployment_id else None
        log = StepLog(log_path, secrets=llm.secrets())
        result = run_agent(SYSTEM, user_prompt(case), medic_toolset(case), Diagnosis, Budget(llm.budget_tokens),
                           llm=llm, log=log, client=client, max_tool_rounds=4)
    except Exception as exc:  # noqa: BLE001 - the Medic never fails its caller
        return None, one_line(f"medic agent failed: {exc.__class__.__name__}", 200)
    if not result.ok:
        return None, result.error
    return result.output, None
