"""The Medic's entry points: a failure text, a list of stack events, or a deployment's state in;
a Diagnosis out, always (nothing here raises into the caller)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..plan.models import DeploymentPlan
from ..redact import one_line
from . import rules
from .events import FailedEvent, select_root_cause
from .models import Diagnosis, Evidence
from .patches import PatchRejected, check_patch

if TYPE_CHECKING:
    from ..state.models import DeploymentState
    from .classifier import TextClassifier


def _safe_unknown(text: str, note: str, evidence: Evidence | None = None) -> Diagnosis:
    raw = one_line(text or "(no failure text recorded)")
    return Diagnosis(category="unknown", root_cause=f"no known cause matches this failure: {raw}",
                     fix=f"Read the raw event and the stack's events in the CloudFormation console ({note}).",
                     retry_alone_fixes=False, rule="unknown", evidence=evidence or Evidence(reason=text or ""))


def _agent(ctx: rules.Context, chain: list[str], fallback: Diagnosis) -> Diagnosis:
    """Ask the agent about an unknown signature; the fallback (unknown + raw event) on any trouble."""
    try:
        from ..agents.config import LLMConfigError, load_llm_config
        from ..agents.medic_agent import MedicCase, run_medic_agent

        try:
            llm = load_llm_config()
        except LLMConfigError as exc:
            return fallback.model_copy(update={"fix": f"{fallback.fix} (agent not used: {exc})"})
        if llm is None:
            return fallback
        from ..plan.io import dump_plan_yaml

        plan = ctx.plan
        case = MedicCase(
            message=ctx.message, event_lines=chain, evidence=fallback.evidence.model_dump(exclude={"chain"}),
            plan_yaml=dump_plan_yaml(plan) if plan else None,
            service_names=tuple(s.name for s in plan.services) if plan else (),
            deployment_id=ctx.deployment_id, region=ctx.region, aws=ctx.aws)
        answer, error = run_medic_agent(case, llm)
        if answer is None:
            return fallback.model_copy(update={"fix": f"{fallback.fix} (agent: {error})"})
        update: dict = {"rule": "agent", "evidence": fallback.evidence, "confidence": None}
        if answer.plan_patch:
            if plan is None:
                update["plan_patch"] = None
                update["fix"] = f"{answer.fix} (The proposed plan change was dropped: no plan to check it against.)"
            else:
                try:
                    check_patch(plan, answer.plan_patch)
                except PatchRejected as exc:
                    update["plan_patch"] = None
                    update["fix"] = f"{answer.fix} (The proposed plan change was refused: {exc}.)"
        return Diagnosis.model_validate({**answer.model_dump(), **update,
                                         "evidence": update["evidence"].model_dump()})
    except Exception as exc:  # noqa: BLE001 - the Medic never fails its caller
        return fallback.model_copy(update={"fix": f"{fallback.fix} (agent failed: {exc.__class__.__name__})"})


def _learned(ctx: rules.Context, chain: list[str], classifier: "TextClassifier | None") -> Diagnosis | None:
    """The text classifier's answer for a text no rule matched; None below its threshold or on any trouble
    (scikit-learn missing, a model error): the catalogue's answer stands."""
    try:
        from .classifier import shipped
        from .signatures import CATEGORY_ADVICE, category_source

        if not ctx.message.strip():
            return None
        prediction = (classifier or shipped()).predict(ctx.message)
        if prediction.category == "unknown":
            return None
        what, fix = CATEGORY_ADVICE[prediction.category]
        return Diagnosis(
            category=prediction.category, retry_alone_fixes=prediction.retry, rule=f"classifier:{prediction.category}",
            root_cause=f"{what} (no rule matches; the text reads like the corpus' {prediction.category} failures, "
                       f"{prediction.confidence:.0%} confident): {one_line(ctx.message, limit=300)}",
            fix=f"{fix} See {category_source(prediction.category)}", confidence=round(prediction.confidence, 3),
            evidence=rules.evidence_of(ctx, chain))
    except Exception:  # noqa: BLE001 - the Medic never fails its caller
        return None


def _diagnose(ctx: rules.Context, chain: list[str], use_agent: bool,
              classifier: "TextClassifier | None" = None) -> Diagnosis:
    try:
        found = rules.diagnose(ctx, chain)
        if found is not None:
            return found
        fallback = _learned(ctx, chain, classifier) or rules.unknown(ctx, chain)
    except Exception as exc:  # noqa: BLE001
        return _safe_unknown(ctx.message, f"medic error: {exc.__class__.__name__}")
    return _agent(ctx, chain, fallback) if use_agent else fallback


def diagnose_message(text: str, resource_type: str | None = None, *, use_agent: bool = True,
                     classifier: "TextClassifier | None" = None) -> Diagnosis:
    """Diagnose one AWS / CloudFormation error text (no AWS reads). `classifier`: a text classifier to use
    instead of the shipped one (the accuracy tests train one without the batch they measure)."""
    try:
        ctx = rules.Context(message=str(text or "").strip(), resource_type=resource_type or None)
        return _diagnose(ctx, [], use_agent, classifier)
    except Exception as exc:  # noqa: BLE001
        return _safe_unknown(str(text), f"medic error: {exc.__class__.__name__}")


def _context_of(root: FailedEvent, plan: DeploymentPlan | None, region: str | None,
                deployment_id: str | None) -> rules.Context:
    return rules.Context(
        message=root.reason, resource_type=root.resource_type or None, stack=root.stack or None,
        logical_id=root.logical_id or None, physical_id=root.physical_id or None, status=root.status or None,
        plan=plan, region=region, aws=region is not None, deployment_id=deployment_id or (plan.name if plan else None))


def diagnose_events(events: list[dict], *, client_request_token: str | None = None, plan: DeploymentPlan | None = None,
                    region: str | None = None, use_agent: bool = True) -> Diagnosis:
    """Diagnose a failed operation from raw CloudFormation events (describe_stack_events shape, any
    order, any number of stacks). Only the events carrying `client_request_token` are read when it
    is given. With `region`, rules may read AWS (boot logs) read-only."""
    try:
        selection = select_root_cause(events or [], client_request_token)
        chain = [e.line() for e in selection.chain]
        if selection.root is None:
            ctx = rules.Context(message="", plan=plan, region=region, aws=region is not None,
                                deployment_id=plan.name if plan else None)
            return _safe_unknown("", "no failed event of this operation among the events", rules.evidence_of(ctx, chain))
        return _diagnose(_context_of(selection.root, plan, region, None), chain, use_agent)
    except Exception as exc:  # noqa: BLE001
        return _safe_unknown("", f"medic error: {exc.__class__.__name__}")


def _failure_context(state: "DeploymentState") -> rules.Context:
    failure = state.failure
    if failure is not None:
        return rules.Context(
            message=failure.reason or state.last_error or "", resource_type=failure.resource_type, stack=failure.stack,
            logical_id=failure.logical_id,
            status=failure.status, plan=state.plan, region=state.region, aws=True, deployment_id=state.id)
    return rules.Context(message=state.last_error or "", plan=state.plan, region=state.region, aws=True,
                         deployment_id=state.id)


def diagnose_state(state: "DeploymentState", *, use_agent: bool = True) -> Diagnosis:
    """Diagnose a deployment's last failure (state.failure, else state.last_error).

    The failed operation's events are read from CloudFormation (read-only, filtered by the
    operation's ClientRequestToken) when reachable; otherwise, or when they hold no failed event
    (an endpoint without per-resource events), state.failure itself is the evidence."""
    try:
        ctx = _failure_context(state)
        failure = state.failure
        token = None
        if failure is not None and failure.operation_id:
            operation = next((o for o in state.operations if o.id == failure.operation_id), None)
            # Operation ids are their ClientRequestToken (workflows/operation.py); the record says so explicitly.
            token = (operation.client_request_token if operation else None) or failure.operation_id
        chain: list[str] = []
        try:
            from ..render.names import stack_name
            from .cfn_reads import operation_stack_events

            stacks = list(state.stacks)
            if failure is not None and failure.stack and failure.stack not in stacks:
                stacks.append(failure.stack)
            if not stacks:
                stacks = [stack_name(state.id, kind) for kind in ("network", "data", "edge", "observability")]
                stacks += [stack_name(state.id, "app", color) for color in ("blue", "green")]
            if token:  # without a token, old operations' failures could pass for this one's
                events = operation_stack_events(stacks, state.region, token)
                selection = select_root_cause(events, token)
                chain = [e.line() for e in selection.chain]
                if selection.root is not None:
                    ctx = _context_of(selection.root, state.plan, state.region, state.id)
        except Exception:  # noqa: BLE001 - CloudFormation unreachable: state.failure is the evidence
            pass
        return _diagnose(ctx, chain, use_agent)
    except Exception as exc:  # noqa: BLE001
        reason = state.failure.reason if getattr(state, "failure", None) else getattr(state, "last_error", "") or ""
        return _safe_unknown(reason, f"medic error: {exc.__class__.__name__}")
