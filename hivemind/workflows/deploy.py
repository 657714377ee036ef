"""`hivemind deploy REPO`: the first deploy of an app, or, on an existing deployment, a release.

First deploy: plan -> bundle -> synth + checks -> change sets -> confirm -> execute -> verify,
every stack created with the blue colour live (release v1).
Existing deployment: a new artifact or plan is a release, made the way `hivemind update` makes
it (blue-green by default, rolling when the plan says `strategy: rolling`); with neither, the
stacks are compared with what runs and only a drift (e.g. a newer HiveMind's templates) is
applied in place. A no-op creates no change set at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console

from ..deploy import guard
from ..deploy.changeset import StackPreview
from ..deploy.engine import EngineResult
from ..plan import DeploymentPlan
from ..plan.models import Stage
from ..render.names import stack_name
from ..state import DeploymentState, DeploymentStatus, refresh_from_cloudformation
from . import releases
from .operation import LifecycleResult, Operation, Refused
from .rollout import (
    StackRollout, Tuning, artifact_info, bootstrap_bucket, check_needs, plan_hash, resolve_plan,
)
from .ui import QuietUI, UserInterface

S = DeploymentStatus
# Stacks a plan edit can drop (no database/cache left, no web service left). Colour stacks are
# the lifecycle workflows' business (retiring the idle colour), never retired by a deploy.
_RETIRABLE = ("network", "data", "edge", "observability")
GATE_CHECKS = ("dns", "port", "tls", "http", "targets")


@dataclass
class DeployResult:
    plan: DeploymentPlan
    state: DeploymentState | None  # None for what-if (state is not touched)
    previews: list[StackPreview] = field(default_factory=list)
    violations: list[guard.Violation] = field(default_factory=list)
    engine: EngineResult | None = None
    what_if: bool = False
    cancelled: bool = False
    lifecycle: LifecycleResult | None = None

    @property
    def changed(self) -> bool:
        return any(not p.no_changes for p in self.previews)

    @property
    def ok(self) -> bool:
        return self.engine is None or self.engine.ok


def retired_stacks(deployment_id: str, rendered: set[str]) -> tuple[str, ...]:
    """Stacks this deployment may own that the plan no longer renders (the engine checks which
    exist and carry this deployment's tag)."""
    return tuple(n for n in (stack_name(deployment_id, kind) for kind in _RETIRABLE) if n not in rendered)


def ui_for(console: Console | None, confirm: Callable[[str], bool] | None, ui: UserInterface | None) -> UserInterface:
    """Library callers pass a `confirm` callback or a UI; the CLI passes its TerminalUI."""
    if ui is not None:
        return ui
    if confirm is not None:
        return _CallbackUI(confirm)
    from ..cli.ui import TerminalUI

    return TerminalUI(console or Console())


class _CallbackUI(QuietUI):
    def __init__(self, confirm: Callable[[str], bool]):
        super().__init__()
        self._confirm = confirm

    def confirm(self, question: str, previews: list, violations: list) -> bool:
        self.questions.append(question)
        return self._confirm(question)


def deploy(
    repo_or_plan: Path,
    *,
    description: str = "",
    stage: Stage | None = None,
    xray: bool | None = None,
    what_if: bool = False,
    yes: bool = False,
    allow_replacement: bool = False,
    max_parallel: int = 4,
    console: Console | None = None,
    confirm: Callable[[str], bool] | None = None,
    ui: UserInterface | None = None,
    waiter_delays: tuple[float, float] | None = None,
    poll_interval: float = 2.0,
    wait_lock: float | str = 0.0,
) -> DeployResult:
    """Deploy (or with `what_if`, preview) the app at `repo_or_plan`; see the module docstring."""
    tuning = Tuning(max_parallel, waiter_delays, poll_interval)
    if max_parallel < 1:
        raise Refused("--max-parallel must be at least 1")
    plan, repo = resolve_plan(repo_or_plan, description=description, stage=stage, xray=xray, write=not what_if)
    check_needs(plan)
    ui = ui_for(console, confirm, ui)
    op = Operation(plan.name, "deploy", region=plan.region, ui=ui, what_if=what_if, wait_lock=wait_lock,
                   state_factory=lambda: DeploymentState.new(plan))
    with op:
        state = op.state
        if state.status is S.DESTROYED:
            state = op.state = _fresh_after_destroy(state, plan)
        if state.live_release is not None:
            from .update import run_release

            return run_release(op, plan, repo, yes=yes, allow_replacement=allow_replacement, tuning=tuning,
                               via="deploy")
        return _first_deploy(op, plan, repo, yes=yes, allow_replacement=allow_replacement, tuning=tuning)


def _fresh_after_destroy(old: DeploymentState, plan: DeploymentPlan) -> DeploymentState:
    """A destroyed deployment deployed again starts fresh; its history is kept."""
    fresh = DeploymentState.new(plan)
    fresh.history, fresh.operations = old.history, old.operations
    fresh.revision = old.revision  # the stored copy it replaces (else the save is a StateConflict)
    return fresh


def _first_deploy(op: Operation, plan: DeploymentPlan, repo: Path, *, yes: bool, allow_replacement: bool,
                  tuning: Tuning) -> DeployResult:
    state = op.state
    color = state.active_color or "blue"
    result = DeployResult(plan, None if op.what_if else state, what_if=op.what_if)
    with op.phase("bundle", status=S.BUILDING):
        bucket = bootstrap_bucket(plan.region, create=not op.what_if)
        rollout = StackRollout(op, plan, bucket=bucket, allow_replacement=allow_replacement, tuning=tuning)
        ref = rollout.publish(repo)
    with op.phase("synth", status=S.PROVISIONING):
        colors = releases.live_colors(state) if state.colors else (color,)
        artifacts = {c: cs.artifact for c, cs in state.colors.items()}
        if ref:
            artifacts[color] = artifact_info(ref)
        options = releases.render_options(state, colors=colors, weights={color: 100}, artifacts=artifacts)
        specs = rollout.synth(options)
    with op.phase("change sets", status=S.PROVISIONING):
        engine = rollout.engine()
        previews, violations = rollout.preview(engine, specs, retire=retired_stacks(plan.name, {s.name for s in specs}))
        result.previews, result.violations = previews, violations
    with op.phase("confirm"):
        proceed = rollout.confirm(engine, previews, violations, yes=yes)
    if stopped_before_execution(op, result, proceed):
        return result
    if violations:
        op.ui.note(f"--allow-replacement: replacing or deleting {len(violations)} stateful resource(s)")
    release = releases.new_release(state, artifact=artifact_info(ref), color=color, plan_hash=plan_hash(plan),
                                   strategy="initial", operation_id=op.record.id)
    op.release_label = release.label
    op.record.release = release.version
    with op.phase("execute", status=S.DEPLOYING,
                  detail=f"{sum(not p.no_changes for p in previews)} stack(s) with changes"):
        try:
            result.engine = rollout.execute(engine, previews)
        except BaseException:
            releases.set_outcome(release, "failed")
            raise
    state.plan, state.stage = plan, plan.stage
    releases.promote(state, release)
    with op.phase("verify", status=S.VERIFYING):
        # This process holds the lock, so the refresh reads the deploy as running, not interrupted.
        refresh_from_cloudformation(state)
        verify_and_record(op, state)
    changed = result.engine.changed
    result.lifecycle = op.succeed(S.COMPLETED, f"{len(changed)} stack(s) changed" if changed else "no changes")
    return result


def stopped_before_execution(op: Operation, result: DeployResult, proceed: bool) -> bool:
    """After the confirmation: True (and the result's lifecycle set) for a what-if, which has
    shown the change sets, or a "no", which changed nothing."""
    if op.what_if:
        result.lifecycle = op.result("what-if")
        return True
    if not proceed:
        result.cancelled = True
        result.lifecycle = op.cancel()
        return True
    return False


def verify_and_record(op: Operation, state: DeploymentState, *, test_listener: bool = False,
                      strict: bool = False) -> list[str]:
    """QA's checks on the deployment (or on the idle colour through the test listener).

    Returns the checks that failed on an answer (an HTTP error, a bad certificate), as
    "name: detail" lines; empty when nothing did. An
    address HiveMind cannot reach from here (no DNS, no route) is said, and the load balancer's
    own health checks are relied on, unless `strict`.
    """
    try:
        from ..qa import record_verification, verify
    except ImportError:
        op.ui.note("verification skipped: QA checks are not available in this build")
        return []
    if not state.url:
        return []
    # The gate before a shift judges the colour (its answers, its targets); the data tier's probes
    # belong to the deployment as a whole and run once traffic has moved.
    result = verify(state, test_listener=test_listener, checks=GATE_CHECKS if test_listener else None)
    if not test_listener:
        record_verification(state, result)
    failed = [c for c in result.checks if not c.passed]
    unreachable = [c for c in failed if getattr(c, "unreachable", False)]
    answered = [c for c in failed if not getattr(c, "unreachable", False)]
    if unreachable and not answered:
        where = "the idle colour's test listener" if test_listener else state.url
        op.ui.note(f"{where} cannot be reached from here ({unreachable[0].detail}); relying on the load "
                   "balancer's health checks")
        if strict:
            raise Refused(f"--strict-verify: {where} cannot be reached from here: {unreachable[0].detail}",
                          exit_code=1)
        return []
    return [f"{c.name}: {c.detail}" for c in answered]
