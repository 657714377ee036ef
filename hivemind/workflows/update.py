"""`hivemind update ID [REPO]`: a new release of a running deployment, through CloudFormation only.

Blue-green (the default): bundle and publish the new artifact -> create the idle colour's app
stack with it at the active colour's capacity -> wait for its targets to be healthy -> verify it
through the test listener -> run the plan's release command once on it -> shift the production
listener with edge-stack change sets (a canary share first if asked), each watched by
CloudFormation rollback triggers on the new colour's alarms for the bake time -> verify -> retire
the previous colour's stack (unless --keep-previous, which keeps an instant rollback).
A failure before the shift deletes the idle colour: traffic never moved.

Rolling (`--rolling` or `strategy: rolling`): the active colour's stack is updated in place and
its Auto Scaling group replaces instances one batch at a time (CloudFormation's rolling update
policy keeps min_instances in service, waiting for each new instance's signal).
"""
from __future__ import annotations

from pathlib import Path

from ..deploy import traffic
from ..deploy.engine import EngineResult
from ..plan import DeploymentPlan
from ..render.names import stack_name, target_group_parameter
from ..state import DeploymentState, DeploymentStatus, refresh_from_cloudformation
from ..state.models import Release
from . import releases
from .deploy import DeployResult, retired_stacks, stopped_before_execution, verify_and_record
from .operation import Operation, Refused
from .rollout import (
    StackFailed, StackRollout, Tuning, artifact_info, artifact_ref, bootstrap_bucket, check_needs, confirm_question,
    plan_hash,
    resolve_plan,
)
from .ui import UserInterface

S = DeploymentStatus
# How long the idle colour's targets may take to pass the load balancer's health checks once
# its stack is complete (the instances already signalled a healthy boot).
HEALTHY_TIMEOUT_S = 600
DEFAULT_BAKE_S = {"stage-1": 0, "production": 300}


def update(
    deployment_id: str,
    repo: Path | None = None,
    *,
    rolling: bool = False,
    canary: int | None = None,
    bake: int | None = None,
    keep_previous: bool = False,
    strict_verify: bool = False,
    what_if: bool = False,
    yes: bool = False,
    allow_replacement: bool = False,
    ui: UserInterface | None = None,
    tuning: Tuning | None = None,
    healthy_timeout: float = HEALTHY_TIMEOUT_S,
    wait_lock: float | str = 0.0,
) -> DeployResult:
    """A release of `deployment_id` from the app at `repo` (default: the current directory)."""
    validate_canary(canary)
    if bake is not None and bake < 0:
        raise Refused("--bake must be 0 or more seconds")
    plan, repo_root = resolve_plan(Path(repo or "."), write=not what_if)
    if plan.name != deployment_id:
        raise Refused(f"{repo or '.'} plans deployment '{plan.name}', not '{deployment_id}'")
    check_needs(plan)
    op = Operation(deployment_id, "update", region=plan.region, ui=ui, what_if=what_if, wait_lock=wait_lock)
    with op:
        if op.state.live_release is None:
            raise Refused(f"deployment '{deployment_id}' has no live release to update; run `hivemind deploy`")
        return run_release(op, plan, repo_root, rolling=rolling, canary=canary, bake=bake,
                           keep_previous=keep_previous, strict_verify=strict_verify, yes=yes,
                           allow_replacement=allow_replacement, tuning=tuning or Tuning(),
                           healthy_timeout=healthy_timeout)


def validate_canary(canary: int | None) -> None:
    if canary is not None and not 1 <= canary <= 99:
        raise Refused("--canary must be a share of traffic from 1 to 99 (percent)")


def run_release(op: Operation, plan: DeploymentPlan, repo: Path | None, *, artifact=None, rolling: bool = False,
                canary: int | None = None, bake: int | None = None, keep_previous: bool = False,
                strict_verify: bool = False, yes: bool, allow_replacement: bool, tuning: Tuning,
                via: str = "update", strategy: str | None = None,
                healthy_timeout: float = HEALTHY_TIMEOUT_S) -> DeployResult:
    """Release `plan` with a new artifact (bundled from `repo`, or the given `artifact`)."""
    ensure_settled(op.state)
    run = _Release(op, plan, allow_replacement=allow_replacement, tuning=tuning)
    with op.phase("bundle", status=S.BUILDING):
        run.rollout = StackRollout(op, plan, bucket=bootstrap_bucket(plan.region, create=not op.what_if),
                                   allow_replacement=allow_replacement, tuning=tuning)
        ref = artifact_ref(artifact) if artifact is not None else run.rollout.publish(repo)
    live = op.state.live_release
    if via == "deploy" and ref is not None and live.artifact.sha256 == ref.sha256 and live.plan_hash == plan_hash(plan):
        return run.in_place(yes=yes)
    rolling = rolling or plan.strategy == "rolling"
    bake = DEFAULT_BAKE_S.get(plan.stage, 0) if bake is None else bake
    if rolling:
        if canary:
            raise Refused("--canary needs a blue-green update (a rolling update has no second colour)")
        return run.rolling(ref, yes=yes, strategy=strategy or "rolling")
    return run.blue_green(ref, canary=canary, bake=bake, keep_previous=keep_previous, strict_verify=strict_verify,
                          yes=yes, strategy=strategy or "blue-green", healthy_timeout=healthy_timeout)


def ensure_settled(state: DeploymentState) -> None:
    """Refuse while a stack is busy or stuck: CloudFormation accepts no new change set then."""
    refresh_from_cloudformation(state)
    for name, stack in state.stacks.items():
        status = stack.status
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            raise Refused(f"{name} is {status}: wait for CloudFormation to finish (`hivemind status {state.id}`)")
        if status == "UPDATE_ROLLBACK_FAILED":
            raise Refused(f"{name} is UPDATE_ROLLBACK_FAILED: run `hivemind rollback {state.id}` to continue "
                          "CloudFormation's rollback first")


class _Release:
    """The phases of one release; `rollout` is set by the bundle phase."""

    def __init__(self, op: Operation, plan: DeploymentPlan, *, allow_replacement: bool, tuning: Tuning):
        self.op, self.plan, self.state = op, plan, op.state
        self.allow_replacement, self.tuning = allow_replacement, tuning
        self.rollout: StackRollout | None = None
        self.result = DeployResult(plan, None if op.what_if else op.state, what_if=op.what_if)

    # --- strategies ---
    def in_place(self, *, yes: bool) -> DeployResult:
        """Same artifact and plan: apply only what differs from the deployed templates (usually nothing)."""
        op, state = self.op, self.state
        with op.phase("synth", status=S.PROVISIONING):
            specs = self.rollout.synth(releases.live_options(state))
        engine, previews = self._change_sets(specs)
        if not self._confirm(engine, previews, yes=yes):
            return self.result
        with op.phase("execute", status=S.DEPLOYING):
            self.result.engine = self.rollout.execute(engine, previews)
        state.plan, state.stage = self.plan, self.plan.stage
        return self._finish("no changes" if not self.result.changed else "applied in place")

    def blue_green(self, ref, *, canary: int | None, bake: int, keep_previous: bool, strict_verify: bool,
                   yes: bool, strategy: str, healthy_timeout: float) -> DeployResult:
        op, state, plan = self.op, self.state, self.plan
        active = state.active_color or "blue"
        idle = state.idle_color
        artifacts = {c: cs.artifact for c, cs in state.colors.items()}
        artifacts[idle] = artifact_info(ref) if ref else artifacts.get(active)
        colors = (active, idle)
        with op.phase("synth", status=S.PROVISIONING):
            specs = self.rollout.synth(releases.render_options(state, colors=colors, weights={active: 100},
                                                               artifacts=artifacts))
        engine, previews = self._change_sets(specs)
        steps = traffic.shift_steps(active, idle, canary)
        op.ui.note(f"then: shift traffic on {stack_name(plan.name, 'edge')} from {active} to {idle} "
                   f"({' then '.join(_weights_text(s) for s in steps)}), bake {bake}s"
                   + ("" if keep_previous else f", retire {stack_name(plan.name, 'app', active)}"))
        question = f"{confirm_question(previews).rstrip('?')}, then shift traffic from {active} to {idle}?"
        if not self._confirm(engine, previews, yes=yes, question=question):
            return self.result
        release = self._new_release(artifacts[idle], idle, strategy)
        idle_stack = stack_name(plan.name, "app", idle)
        created_idle = any(p.name == idle_stack and p.change_set_type == "CREATE" for p in previews)
        try:
            with op.phase("deploy idle", status=S.UPDATING, detail=f"{idle} colour"):
                self.result.engine = self.rollout.execute(engine, previews)
            state.colors[idle] = releases.ColorState(release=release.version, artifact=release.artifact)
            with op.phase("wait healthy", detail=f"{idle} targets"):
                wait_targets_healthy(state, plan, idle, timeout=healthy_timeout)
            with op.phase("verify idle", detail="through the test listener"):
                refresh_from_cloudformation(state)
                failed = verify_and_record(op, state, test_listener=True, strict=strict_verify)
                if failed:
                    raise Refused(f"the {idle} colour failed verification through the test listener "
                                  f"({'; '.join(failed)}); traffic was not moved", exit_code=1)
            self._release_command(idle)
        except BaseException:
            releases.set_outcome(release, "failed")
            if created_idle or idle_stack in op.stacks_changed:
                self._delete_colour(idle, why="the release failed before the shift")
            raise
        self._shift(steps, colors, artifacts, release, bake=bake, active=active)
        with op.phase("verify", status=S.VERIFYING):
            refresh_from_cloudformation(state)
            verify_and_record(op, state, strict=False)
        if keep_previous:
            op.skip("retire", f"--keep-previous: {stack_name(plan.name, 'app', active)} stays for an instant rollback")
        else:
            self._delete_colour(active, why="retire the previous colour")
        state.plan, state.stage = plan, plan.stage
        return self._finish(f"{release.label} live on {idle}")

    def rolling(self, ref, *, yes: bool, strategy: str) -> DeployResult:
        op, state, plan = self.op, self.state, self.plan
        active = state.active_color or "blue"
        artifacts = {c: cs.artifact for c, cs in state.colors.items()}
        artifacts[active] = artifact_info(ref)
        with op.phase("synth", status=S.PROVISIONING):
            specs = self.rollout.synth(releases.render_options(state, colors=releases.live_colors(state),
                                                               weights={active: 100}, artifacts=artifacts))
        engine, previews = self._change_sets(specs)
        if not self._confirm(engine, previews, yes=yes):
            return self.result
        release = self._new_release(artifacts[active], active, strategy)
        try:
            with op.phase("roll", status=S.UPDATING, detail=f"{active} colour, one batch at a time"):
                self.result.engine = self.rollout.execute(engine, previews)
        except BaseException:
            # CloudFormation rolled the stack back: the previous release still runs.
            releases.set_outcome(release, "failed")
            raise
        releases.promote(state, release)
        with op.phase("verify", status=S.VERIFYING):
            refresh_from_cloudformation(state)
            verify_and_record(op, state)
        state.plan, state.stage = plan, plan.stage
        return self._finish(f"{release.label} live on {active} (rolling)")

    # --- pieces ---
    def _change_sets(self, specs, *, whole_plan: bool = True):
        """Change sets for `specs`; `whole_plan` when they are every stack of the plan (then the
        stacks the plan no longer renders are retired too)."""
        retire = retired_stacks(self.plan.name, {s.name for s in specs}) if whole_plan else ()
        with self.op.phase("change sets", status=S.PROVISIONING):
            engine = self.rollout.engine()
            previews, violations = self.rollout.preview(engine, specs, retire=retire)
        self.result.previews, self.result.violations = previews, violations
        return engine, previews

    def _confirm(self, engine, previews, *, yes: bool, question: str | None = None) -> bool:
        violations = self.result.violations
        with self.op.phase("confirm"):
            proceed = self.rollout.confirm(engine, previews, violations, yes=yes, question=question)
        # (A "yes" is implied when nothing changes: rollout.confirm answers True then.)
        return not stopped_before_execution(self.op, self.result, proceed)

    def _new_release(self, artifact, color: str, strategy: str) -> Release:
        op = self.op
        release = releases.new_release(self.state, artifact=artifact, color=color, plan_hash=plan_hash(self.plan),
                                       strategy=strategy, operation_id=op.record.id)
        op.release_label = release.label
        op.record.release = release.version
        return release

    def _shift(self, steps: list[dict], colors, artifacts, release: Release, *, bake: int, active: str) -> None:
        op, state, plan = self.op, self.state, self.plan
        edge = stack_name(plan.name, "edge")
        web = [s.name for s in plan.web_services]
        for i, weights in enumerate(steps):
            final = i == len(steps) - 1
            name = "shift" if final else f"shift canary {weights[release.color]}%"
            with op.phase(name, status=S.UPDATING, detail=_weights_text(weights)):
                specs = [s for s in self.rollout.synth(releases.render_options(
                    state, colors=colors, weights=weights, artifacts=artifacts), publish_assets=False, checks=False)
                    if s.name == edge]
                config = traffic.rollback_configuration(plan.name, web, release.color, plan.region, bake)
                engine = self.rollout.engine(rollback_configurations={edge: config} if config else None)
                previews, _ = self.rollout.preview(engine, specs)
                try:
                    self.rollout.execute(engine, previews)
                except StackFailed as exc:
                    releases.set_outcome(release, "rolled_back" if i else "failed")
                    if exc.failure.status == "UPDATE_ROLLBACK_COMPLETE":
                        raise StackFailed(f"the shift to {release.color} was rolled back by CloudFormation "
                                          f"(a rollback trigger fired or the update failed); traffic is on "
                                          f"{active}: {exc.failure.reason}", exc.failure, exc.result) from None
                    raise
            if final:
                releases.promote(state, release)

    def _release_command(self, color: str) -> None:
        commands = [(s.name, s.release_command) for s in self.plan.services if getattr(s, "release_command", None)]
        if not commands:
            self.op.skip("release command", "the plan has none")
            return
        from .release_command import run_release_command

        for service, command in commands:
            with self.op.phase("release command", detail=f"{service}: once, on the {color} colour"):
                run_release_command(self.state, self.plan, service, color, command)
                break  # once per release: the first service that has one runs it

    def _delete_colour(self, color: str, *, why: str) -> None:
        op, state = self.op, self.state
        name = stack_name(self.plan.name, "app", color)
        with op.phase("retire", detail=f"delete {name}: {why}"):
            engine = self.rollout.engine()
            previews, _ = self.rollout.preview(engine, [], retire=[name])
            self.rollout.execute(engine, previews)
        releases.retire_color(state, color)

    def _finish(self, detail: str) -> DeployResult:
        op, state = self.op, self.state
        refresh_from_cloudformation(state)
        prune_artifacts(state)
        self.result.lifecycle = op.succeed(S.COMPLETED, detail)
        if self.result.engine is None:
            self.result.engine = EngineResult({})
        return self.result


def prune_artifacts(state: DeploymentState) -> None:
    """Delete app bundles no kept release needs from HiveMind's own artifact bucket (never the
    live or previous release's, nor the newest few). Best effort: a bundle left behind costs cents."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..aws import client

    old = releases.prunable_artifacts(state)
    if not old:
        return
    s3 = client("s3", state.region)
    for artifact in old:
        try:
            s3.delete_object(Bucket=artifact.bucket, Key=artifact.key)
        except (ClientError, BotoCoreError):
            return


def wait_targets_healthy(state: DeploymentState, plan: DeploymentPlan, color: str, *, timeout: float) -> None:
    """Every target of `color`'s target groups passes the load balancer's health check (read-only
    polling through boto3's `target_in_service` waiter)."""
    from botocore.exceptions import WaiterError

    from ..aws import aws_errors, client

    services = [s.name for s in plan.web_services]
    if not services:
        return
    ssm, elbv2 = client("ssm", plan.region), client("elbv2", plan.region)
    delay = 5 if timeout >= 30 else max(0.05, timeout / 20)
    for service in services:
        with aws_errors(f"reading the {color} target group of {service}"):
            arn = ssm.get_parameter(Name=target_group_parameter(plan.name, service, color))["Parameter"]["Value"]
        try:
            with aws_errors(f"waiting for {service} ({color}) targets"):
                elbv2.get_waiter("target_in_service").wait(
                    TargetGroupArn=arn, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(timeout / delay))})
        except WaiterError:
            health = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            unhealthy = [f"{t['Target']['Id']} {t['TargetHealth']['State']}"
                         f" ({t['TargetHealth'].get('Reason', '')})" for t in health
                         if t["TargetHealth"]["State"] != "healthy"] or ["no registered targets"]
            raise Refused(f"{service} ({color}) is not healthy after {timeout:.0f}s: {', '.join(unhealthy[:3])}",
                          exit_code=1) from None


def _weights_text(weights: dict[str, int]) -> str:
    return ", ".join(f"{c} {w}%" for c, w in weights.items())
