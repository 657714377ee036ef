"""`hivemind rollback ID [--to vN]`: back to an earlier release, through CloudFormation only.

- The target release still runs in its colour (an update with --keep-previous): one edge-stack
  change set points traffic back. No other stack is touched; seconds, not minutes.
- Otherwise: the target release's artifact is deployed into the idle colour and traffic shifts
  to it (the blue-green update flow, with the current plan's infrastructure).
- A stack CloudFormation could not roll back (UPDATE_ROLLBACK_FAILED): `continue-update-rollback`,
  skipping the resources the user names (`--skip-resource`).
- A failed first deploy (no release ever went live): the stacks it created are deleted in
  reverse dependency order (the data stack's snapshot policy applies).
"""
from __future__ import annotations

from ..deploy.changeset import CREATE_STATES
from ..deploy.engine import dependency_order
from ..deploy.changeset import StackSpec
from ..render.names import stack_name
from ..state import DeploymentStatus, refresh_from_cloudformation
from . import releases
from .deploy import DeployResult, stopped_before_execution
from .operation import Operation, Refused
from .rollout import StackRollout, Tuning, bootstrap_bucket
from .ui import UserInterface
from .update import _Release, ensure_settled, run_release

S = DeploymentStatus


def rollback(deployment_id: str, *, to: str | None = None, yes: bool = False, what_if: bool = False,
             skip_resources: tuple[str, ...] = (), ui: UserInterface | None = None,
             tuning: Tuning | None = None, region: str | None = None,
             wait_lock: float | str = 0.0) -> DeployResult:
    tuning = tuning or Tuning()
    version = _parse_version(to)
    op = Operation(deployment_id, "rollback", region=region, ui=ui, what_if=what_if, wait_lock=wait_lock)
    with op:
        state = op.state
        refresh_from_cloudformation(state)
        stuck = [n for n, s in state.stacks.items() if s.status == "UPDATE_ROLLBACK_FAILED"]
        if stuck:
            return _continue_rollback(op, stuck, skip_resources, yes=yes, tuning=tuning)
        if state.live_release is None:
            return _delete_failed_first_deploy(op, yes=yes, tuning=tuning)
        target = state.release(version) if version is not None else releases.previous_release(state)
        if version is not None and target is None:
            raise Refused(f"deployment '{deployment_id}' has no release v{version} (see `hivemind history {deployment_id}`)")
        if target is None:
            raise Refused(f"deployment '{deployment_id}' has no previous release to roll back to")
        if target.outcome == "live":
            raise Refused(f"{target.label} is the live release already")
        if target.outcome == "failed":
            raise Refused(f"{target.label} never went live (it failed); pick another with --to")
        ensure_settled(state)
        plan = state.plan
        op.extra["target"] = target.label
        standing = state.colors.get(target.color)
        if standing is not None and standing.release == target.version and target.color != state.active_color:
            return _shift_back(op, plan, target, yes=yes, tuning=tuning)
        # Redeploy the target's artifact (same bytes, same key) into the idle colour and shift.
        return run_release(op, plan, None, artifact=target.artifact, yes=yes, allow_replacement=False,
                           tuning=tuning, strategy="rollback", bake=0, keep_previous=False)


def _parse_version(to: str | None) -> int | None:
    if to is None:
        return None
    text = to.strip().lower().removeprefix("v")
    if not text.isdigit() or int(text) < 1:
        raise Refused(f"--to must name a release like v3, not {to!r}")
    return int(text)


def _shift_back(op: Operation, plan, target, *, yes: bool, tuning: Tuning) -> DeployResult:
    """One edge change set: the colour that still runs `target` takes the traffic again."""
    state = op.state
    run = _Release(op, plan, allow_replacement=False, tuning=tuning)
    run.rollout = StackRollout(op, plan, bucket=bootstrap_bucket(plan.region, create=False),
                               allow_replacement=False, tuning=tuning)
    edge = stack_name(plan.name, "edge")
    artifacts = {c: cs.artifact for c, cs in state.colors.items()}
    colors = releases.live_colors(state)
    with op.phase("synth", status=S.PROVISIONING):
        specs = [s for s in run.rollout.synth(releases.render_options(
            state, colors=colors, weights={target.color: 100}, artifacts=artifacts), publish_assets=False)
            if s.name == edge]
    engine, previews = run._change_sets(specs, whole_plan=False)
    question = f"Shift all traffic back to {target.color} ({target.label}) on {edge}?"
    if not run._confirm(engine, previews, yes=yes, question=question):
        return run.result
    current = state.live_release
    with op.phase("shift", status=S.ROLLING_BACK, detail=f"{target.color} 100%"):
        run.result.engine = run.rollout.execute(engine, previews)
    releases.promote(state, target)
    if current is not None:
        releases.set_outcome(current, "rolled_back")
    op.release_label = target.label
    op.record.release = target.version
    refresh_from_cloudformation(state)
    run.result.lifecycle = op.succeed(S.ROLLED_BACK, f"traffic back on {target.color} ({target.label})")
    return run.result


def _continue_rollback(op: Operation, stuck: list[str], skip: tuple[str, ...], *, yes: bool,
                       tuning: Tuning) -> DeployResult:
    """CloudFormation's continue-update-rollback on each stuck stack (the only way out of
    UPDATE_ROLLBACK_FAILED), skipping the resources the user named after fixing them by hand."""
    from ..aws import aws_errors
    from ..deploy.cfn import CloudFormationApi

    state = op.state
    result = DeployResult(state.plan, None if op.what_if else state, what_if=op.what_if)
    question = f"Continue CloudFormation's rollback of {', '.join(stuck)}" + (
        f" skipping {', '.join(skip)}" if skip else "") + "?"
    with op.phase("confirm"):
        if op.what_if:
            op.ui.note(question.replace("?", ": would be run"))
            result.lifecycle = op.result("what-if")
            return result
        if not yes and not op.ui.confirm(question, [], []):
            result.cancelled = True
            result.lifecycle = op.cancel()
            return result
    api = CloudFormationApi(state.region, **({"waiter_delays": tuning.waiter_delays} if tuning.waiter_delays else {}))
    with op.phase("continue rollback", status=S.ROLLING_BACK, detail=", ".join(stuck)):
        op.changed_aws = True
        for name in stuck:
            with aws_errors(f"continuing the rollback of {name}"):
                api.continue_update_rollback(name, skip)
            op.stacks_changed.append(name)
    refresh_from_cloudformation(state)
    result.lifecycle = op.succeed(S.ROLLED_BACK, f"rollback continued on {', '.join(stuck)}")
    return result


def _delete_failed_first_deploy(op: Operation, *, yes: bool, tuning: Tuning) -> DeployResult:
    """No release ever went live: delete what the failed deploy created, dependents first."""
    state = op.state
    plan = state.plan
    existing = [n for n, s in state.stacks.items() if s.status not in ("MISSING", *[c for c in CREATE_STATES if c])]
    if not existing:
        raise Refused(f"deployment '{state.id}' has no release and no stacks: nothing to roll back")
    rollout = StackRollout(op, plan, bucket=None, allow_replacement=True, tuning=tuning)
    engine = rollout.engine()
    with op.phase("change sets"):
        previews, violations, order = deletion_previews(rollout, engine, plan.name, existing)
    result = DeployResult(plan, None if op.what_if else state, previews, violations, what_if=op.what_if)
    with op.phase("confirm"):
        question = f"Delete {len(previews)} stack(s) left by the failed first deploy ({', '.join(order)})?"
        proceed = rollout.confirm(engine, previews, violations, yes=yes, question=question)
    if stopped_before_execution(op, result, proceed):
        return result
    with op.phase("delete", status=S.ROLLING_BACK):
        result.engine = execute_deletions(rollout, engine, previews)
    result.lifecycle = op.succeed(S.ROLLED_BACK, f"deleted {len(result.engine.deleted)} stack(s) of the failed deploy")
    return result


def deletion_previews(rollout: StackRollout, engine, plan_name: str, existing: list[str]):
    """Deletion previews of `existing` stacks (those tagged for this deployment), ordered so that
    a stack is deleted once every stack that depends on it is gone: the colours and observability
    before the edge, then data, then network. Returns (previews, violations, order). Shared by
    the failed-first-deploy cleanup and `hivemind destroy`."""
    known = [StackSpec(name, {}, _dependencies(plan_name, name)) for name in existing]
    order = [s.name for s in reversed(dependency_order(known))]
    previews, violations = rollout.preview(engine, [], retire=order)
    for preview in previews:
        preview.spec = StackSpec(preview.name, {}, tuple(
            other for other in existing if preview.name in _dependencies(plan_name, other)))
    return previews, violations, order


def execute_deletions(rollout: StackRollout, engine, previews: list):
    """Delete along `deletion_previews`' order in waves: a wave is every stack whose dependents
    are gone (the engine starts a stack only after its dependencies *deployed*, so a deletion
    never waits on another inside one execute). Stops at the first wave with a failure
    (StackFailed, as rollout.execute); returns the engine's outcomes of every wave."""
    from ..deploy.engine import EngineResult

    outcomes: dict = {}
    done: set[str] = set()
    pending = list(previews)
    while pending:
        wave = [p for p in pending if all(d in done or d not in {q.name for q in pending}
                                          for d in p.spec.dependencies)] or pending[:1]
        for preview in wave:
            preview.spec = StackSpec(preview.name, {}, ())
        try:
            outcomes.update(rollout.execute(engine, wave).outcomes)
        except Exception as exc:
            if hasattr(exc, "result"):
                exc.result.outcomes = {**outcomes, **exc.result.outcomes}
            raise
        done |= {p.name for p in wave}
        pending = [p for p in pending if p.name not in done]
    return EngineResult(outcomes)


def _dependencies(plan_name: str, name: str) -> tuple[str, ...]:
    """Stack-kind dependencies (DESIGN.md, "Stacks") inverted by the caller for deletion."""
    network, data, edge = (stack_name(plan_name, k) for k in ("network", "data", "edge"))
    if name == network:
        return ()
    if name in (data, edge):
        return (network,)
    return (network, data, edge)
