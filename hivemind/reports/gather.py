"""Gather a deployment report's data: the state, plus read-only CloudFormation calls.

AWS is asked two things per live stack: its resources (`list_stack_resources`, paginated) and
its template (`get_template`, priced by `hivemind.costs.estimate`). When AWS cannot be asked, the
report says so ("not read (reason)") and prices the last synthesized assembly instead, if this
machine has one. Every string that may carry a secret (plan env, stack outputs, failure reasons,
diagnoses, phase details) goes through `hivemind.redact` here, so the model is safe to render.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone

from botocore.exceptions import BotoCoreError, ClientError

from ..costs import CostEstimate, estimate
from ..errors import HivemindError
from ..paths import deployment_dir
from ..redact import MASK, is_secret_name, one_line, redact, redact_data
from ..render import names
from ..state.models import DeploymentState
from .model import (
    AccessInfo, CheckRow, ConfigRow, CostInfo, CostLineRow, DiagnosisInfo, FailureRow, OperationRow, PhaseRow,
    Report, ResourceRow, Step, TroubleshootingInfo, VerificationInfo,
)

_GONE = ("MISSING", "DELETE_COMPLETE")


def build_report(state: DeploymentState, *, action: str | None = None, read_aws: bool = True,
                 now: datetime | None = None) -> Report:
    """The report of `state`; with `read_aws`, its stacks' resources and templates are read live."""
    now = now or datetime.now(timezone.utc)
    live = state.live_release
    report = Report(
        deployment=state.id, generated_at=_when(now), action=action, status=state.status.value, stage=state.stage,
        region=state.region, release=live.label if live else None, active_color=state.active_color,
    )
    report.timeline = [_operation(o) for o in state.operations]
    report.configuration = configuration_rows(state)
    report.verification = _verification(state)
    report.access = _access(state)
    resources, templates, problem = _read_stacks(state) if read_aws else (None, [], "offline report")
    priced, report.cost_note = _estimate(state, templates, problem)
    if priced is not None:
        report.cost = _cost(priced, live_templates=bool(templates))
    if resources is None:
        report.resources_note = f"not read ({problem})"
    else:
        report.resources = _resource_rows(resources, templates, priced)
    report.next_steps = next_steps(state)
    report.troubleshooting = _troubleshooting(state)
    return report


# --- timeline ---

def _operation(op) -> OperationRow:
    return OperationRow(
        id=op.id, action=op.action, status=op.status, started_at=_when(op.started_at), seconds=op.seconds,
        release=f"v{op.release}" if op.release else None,
        phases=[PhaseRow(p.name, p.seconds, p.outcome, redact(p.detail)) for p in op.phases],
        stacks_changed=list(op.stacks_changed), error=one_line(op.error) if op.error else None,
    )


# --- AWS reads (read-only) ---

def _live_stack_names(state: DeploymentState) -> list[str]:
    order = {name: i for i, name in enumerate(names.all_stack_names(state.id))}
    live = [n for n, s in state.stacks.items() if s.status not in _GONE]
    return sorted(live, key=lambda n: (order.get(n, len(order)), n))


def _read_stacks(state: DeploymentState):
    """({stack: [resource summaries]}, [(stack, template)], None), or (None, [], reason) when AWS
    could not be asked. A stack that vanished since the state was saved is left out."""
    from ..aws import aws_errors
    from ..ops.util import aws_reason, read_client

    resources: dict[str, list[dict]] = {}
    templates: list[tuple[str, dict]] = []
    try:
        cfn = read_client("cloudformation", state.region)
        for name in _live_stack_names(state):
            with aws_errors(f"reading stack {name}"):
                try:
                    summaries = [r for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name)
                                 for r in page["StackResourceSummaries"]]
                    body = cfn.get_template(StackName=name)["TemplateBody"]
                except ClientError as exc:
                    if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
                        continue
                    raise
            resources[name] = summaries
            templates.append((name, _template_of(body)))
    except HivemindError as exc:
        return None, [], one_line(str(exc), 300)
    except (BotoCoreError, ClientError) as exc:
        return None, [], aws_reason(exc)
    return resources, templates, None


def _template_of(body) -> dict:
    """boto3 hands a JSON template back parsed, other text as a string (HiveMind deploys JSON)."""
    if not isinstance(body, str):
        return dict(body)
    try:
        return json.loads(body)
    except ValueError:
        return {}  # not JSON (a stack someone changed by hand): its resources are still listed


def _assembly_templates(state: DeploymentState) -> list[tuple[str, dict]]:
    """The templates of the last synth on this machine ($HIVEMIND_HOME/deployments/<id>/cdk.out)."""
    from ..synth.assembly import read_assembly

    outdir = deployment_dir(state.id) / "cdk.out"
    if not (outdir / "manifest.json").exists():
        return []
    wanted = set(_live_stack_names(state))
    try:
        stacks = read_assembly(outdir)
        return [(s.name, s.template) for s in stacks if s.name in wanted]
    except (HivemindError, OSError, ValueError):
        return []


def _estimate(state: DeploymentState, templates: list, problem: str | None) -> tuple[CostEstimate | None, str | None]:
    if templates:
        return estimate(templates, state.region), None
    if problem is None:  # AWS answered: nothing is deployed
        return None, "not estimated: no stack is deployed"
    local = _assembly_templates(state)  # AWS could not be asked: price what was last synthesized here
    if local:
        return estimate(local, state.region), None
    return None, f"not estimated: the templates were not read ({problem}) and no synthesized assembly is here"


def _cost(est: CostEstimate, *, live_templates: bool) -> CostInfo:
    per_stack: dict[str, float] = defaultdict(float)
    for line in est.lines:
        per_stack[line.stack] += line.monthly_usd
    source = ("the templates CloudFormation runs now" if live_templates
              else "the last synthesized assembly on this machine (AWS was not read)")
    return CostInfo(
        source=source, total_usd=est.total_usd, after_always_free_usd=est.free_tier_total_usd,
        per_stack=[(stack, round(total, 2)) for stack, total in per_stack.items()],
        lines=[CostLineRow(line.stack, line.resource, line.description, line.monthly_usd) for line in est.lines],
        assumptions=list(est.assumptions), price_region=est.price_region, as_of=est.as_of,
    )


def _resource_rows(resources: dict[str, list[dict]], templates: list[tuple[str, dict]],
                   priced: CostEstimate | None) -> list[ResourceRow]:
    """Every resource CloudFormation lists, plus any its template declares that it does not list
    (an endpoint that skips unsupported types), each with its monthly cost where priced."""
    costs: dict[tuple[str, str], float] = defaultdict(float)
    for line in priced.lines if priced else ():
        costs[(line.stack, line.resource)] += line.monthly_usd
    declared = dict(templates)
    rows: list[ResourceRow] = []
    for stack, summaries in resources.items():
        listed = set()
        for res in summaries:
            logical = res.get("LogicalResourceId")
            if not logical:
                continue  # moto lists unsupported resources as blank entries
            listed.add(logical)
            rows.append(ResourceRow(stack, logical, res.get("ResourceType", "?"), res.get("PhysicalResourceId") or "-",
                                    res.get("ResourceStatus", ""), _cost_of(costs, stack, logical)))
        for logical, resource in (declared.get(stack, {}).get("Resources") or {}).items():
            if logical not in listed:
                rows.append(ResourceRow(stack, logical, resource.get("Type", "?"), "- (not listed by CloudFormation)",
                                        "NOT_LISTED", _cost_of(costs, stack, logical)))
    return rows


def _cost_of(costs: dict, stack: str, logical: str) -> float | None:
    value = costs.get((stack, logical))
    return round(value, 2) if value is not None else None


# --- configuration ---

def configuration_rows(state: DeploymentState) -> list[ConfigRow]:
    """Every value of the plan (dotted paths like evidence's `services[0].port`), with its evidence."""
    plan = state.plan
    data = plan.model_dump(mode="json", exclude={"evidence"})
    for service in data.get("services", []):
        # env is plain by contract, but an old or hand-edited state may hold anything: mask by name and shape.
        service["env"] = redact_data(service.get("env") or {})
        service["secrets"] = {k: v if _is_reference(v) else MASK for k, v in (service.get("secrets") or {}).items()}
    values = dict(_flatten(data))
    evidence = {e.field: e for e in plan.evidence}
    rows = []
    for path, value in values.items():
        ev = evidence.get(path)
        rows.append(ConfigRow(path, value, redact(ev.source) if ev else "", redact(ev.reason) if ev else ""))
    for path, ev in evidence.items():
        if path not in values:  # evidence of a value the plan no longer holds (edited since)
            shown = MASK if is_secret_name(path) else redact(ev.value)
            rows.append(ConfigRow(path, f"{shown} (no longer in the plan)", redact(ev.source), redact(ev.reason)))
    return rows


def _is_reference(value) -> bool:
    return isinstance(value, str) and value.startswith(("arn:", "/", "ssm:", "secretsmanager:", "{{resolve:"))


def _flatten(value, prefix: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{i}]")
    elif value is not None:
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        yield prefix, MASK if is_secret_name(prefix.rsplit(".", 1)[-1]) and not _is_reference(text) else redact(text)


# --- verification and access ---

def _verification(state: DeploymentState) -> VerificationInfo | None:
    v = state.verification
    if v is None:
        return None
    return VerificationInfo(
        time=_when(v.time), passed=v.passed, url=redact(v.url) if v.url else None, color=v.color,
        checks=[CheckRow(c.name, c.passed, redact(c.detail), c.seconds, c.unreachable) for c in v.checks],
    )


def _access(state: DeploymentState) -> AccessInfo:
    from ..ops.dashboard import dashboard_name

    outputs = [(stack, key, redact(value)) for stack, info in sorted(state.stacks.items())
               for key, value in sorted(info.outputs.items()) if str(value).startswith(("http://", "https://"))]
    dashboard = state.plan.observability.dashboard
    return AccessInfo(
        url=redact(state.url) if state.url else None, outputs=outputs,
        dashboard_name=dashboard_name(state) if dashboard else None,
        dashboard_url=redact(state.dashboard_url) if dashboard and state.dashboard_url else None,
        log_groups=[(s.name, names.log_group_name(state.id, s.name)) for s in state.plan.services],
        logs_command=f"hivemind logs {state.id}", status_command=f"hivemind status {state.id}",
    )


# --- next steps and troubleshooting ---

def next_steps(state: DeploymentState) -> list[Step]:
    """What the state says is worth doing next (upgrade, TLS, alarm email, a failed check, a failure)."""
    plan, did = state.plan, state.id
    steps: list[Step] = []
    if state.status.value in ("failed", "awaiting_fix"):
        steps.append(Step("the last command failed: the Medic's root cause and fix", f"hivemind diagnose {did}"))
        steps.append(Step("then run it again", f"hivemind retry {did} [REPO]"))
    if state.stage == "stage-1":
        steps.append(Step("stage-1 runs one instance and a single-AZ database: move to production sizing in place",
                          f"hivemind upgrade {did} --to-production"))
    if plan.web_services and not (plan.certificate_arn or plan.domain):
        steps.append(Step("the app is served over plain HTTP: add a domain (a DNS-validated certificate is created) "
                          "or an ACM certificate",
                          f"hivemind update {did}", edit="set domain + hosted_zone_id (or certificate_arn) in hivemind.yaml"))
    if plan.observability.alarms and not plan.observability.alarm_email:
        steps.append(Step("alarms fire but notify nobody", f"hivemind update {did}",
                          edit="set observability.alarm_email in hivemind.yaml"))
    if state.verification is not None and not state.verification.passed:
        failed = ", ".join(c.name for c in state.verification.checks if not c.passed) or "no checks"
        steps.append(Step(f"verification did not pass ({failed})", f"hivemind verify {did}"))
    steps.append(Step("release a new version of the code", f"hivemind update {did} REPO"))
    return steps


COMMON_FAILURES = (
    ("a deploy or update failed: the root cause and its fix", "hivemind diagnose {id}"),
    ("run the failed command again (after the Medic's plan fix, if any)", "hivemind retry {id} [REPO]"),
    ("a release misbehaves: traffic back to the previous release", "hivemind rollback {id} [--to vN]"),
    ("a stack is UPDATE_ROLLBACK_FAILED", "hivemind rollback {id} [--skip-resource R]"),
    ("the app errors: its logs, errors counted", "hivemind logs {id} --grep ERROR"),
    ("a command died holding the lock", "hivemind unlock {id}"),
    ("resources left behind after a destroy", "hivemind janitor {id}"),
)


def _troubleshooting(state: DeploymentState) -> TroubleshootingInfo:
    info = TroubleshootingInfo(common=[Step(why, command.format(id=state.id)) for why, command in COMMON_FAILURES])
    f = state.failure
    if f is not None:
        where = " / ".join(x for x in (f.stack, f.logical_id) if x) + (f" ({f.resource_type})" if f.resource_type else "")
        info.failure = FailureRow(_when(f.time), f.action or "-", f.phase or "-", where or "-", f.status or "-",
                                  one_line(f.reason or state.last_error or "", 1000),
                                  resolved=state.status.value in ("completed", "rolled_back"))
    d = state.diagnosis
    if d:
        info.diagnosis = DiagnosisInfo(
            category=one_line(str(d.get("category", "unknown"))), root_cause=one_line(str(d.get("root_cause", "")), 1500),
            fix=one_line(str(d.get("fix", "")), 1500), rule=one_line(str(d.get("rule", ""))),
            retry_alone_fixes=_verdict(d.get("retry_alone_fixes")),
            commands=[redact(str(c)) for c in d.get("commands") or []],
        )
    info.past_diagnoses = [(_when(h.time), one_line(h.detail)) for h in state.history if h.action == "diagnose"]
    return info


def _verdict(value) -> str:
    """The Medic's retry verdict in words: true, false or "sometimes"."""
    return {True: "yes", False: "no"}.get(value, one_line(str(value or "unknown")))


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"
