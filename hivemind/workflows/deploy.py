"""`hivemind deploy`: plan -> bundle -> synth + checks -> change sets -> (confirm) -> execute -> state.

Every step moves the deployment's status (pending, building, provisioning, deploying, verifying,
completed / failed) and saves state, so `hivemind status` on any machine tells the truth, also
after a Ctrl-C. What-if stops after the change sets: it prints them and deletes them, and
leaves the deployment's state untouched.
"""
from __future__ import annotations

import hashlib
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from botocore.exceptions import BotoCoreError
from botocore.parsers import ResponseParserError
from rich.console import Console

from ..aws import aws_errors, client
from ..deploy import guard
from ..deploy.cfn import thread_local_factory
from ..deploy.changeset import ChangeSetContext, StackPreview, StackSpec
from ..deploy.diff import print_what_if
from ..deploy.engine import DeployEngine, EngineResult
from ..deploy.errors import ChecksFailed, DeployError, ReplacementRefused
from ..deploy.progress import DeployProgress
from ..errors import HivemindError
from ..paths import deployment_dir
from ..plan import DeploymentPlan, load_plan
from ..plan.models import Stage
from ..render.names import stack_name
from ..render.options import ArtifactRef, RenderOptions
from ..state import (
    DeploymentNotFound, DeploymentState, DeploymentStatus, append_history, deployment_lock, load_state,
    mark_failed, one_line, refresh_from_cloudformation, save_state,
)

S = DeploymentStatus
# Statuses a refused deploy returns to (the deployment is running as it was).
_SETTLED = frozenset({S.COMPLETED, S.FAILED, S.ROLLED_BACK})


@dataclass
class DeployResult:
    plan: DeploymentPlan
    state: DeploymentState | None  # None for what-if (state is not touched)
    previews: list[StackPreview] = field(default_factory=list)
    violations: list[guard.Violation] = field(default_factory=list)
    engine: EngineResult | None = None
    what_if: bool = False
    cancelled: bool = False

    @property
    def changed(self) -> bool:
        return any(not p.no_changes for p in self.previews)

    @property
    def ok(self) -> bool:
        return self.engine is None or self.engine.ok


def resolve_plan(
    repo_or_plan: Path, *, description: str, stage: Stage | None, xray: bool | None, write: bool = True
) -> tuple[DeploymentPlan, Path]:
    """(plan, repository root): a plan file is used as is (plus this run's options); a directory
    gets `hivemind plan`'s treatment (its hivemind.yaml, or a fresh analysis written there unless
    `write` is False, as for a what-if, which must change nothing)."""
    from .plan import apply_options, build_plan

    path = Path(repo_or_plan)
    if path.is_file():
        return apply_options(load_plan(path), description=description, stage=stage, xray=xray), path.parent
    return build_plan(path, description=description, stage=stage, xray=xray, write=write).plan, path


def _colors(state: DeploymentState) -> tuple[str, ...]:
    """The colour stacks to render: the active colour, plus the other one if it exists (mid-shift)."""
    active = state.active_color or "blue"
    live = [c for c in ("blue", "green")
            if (stack := state.stacks.get(stack_name(state.id, "app", c))) and stack.status != "MISSING"]
    return tuple(dict.fromkeys([active, *live]))


# Stacks a plan edit can drop (no database/cache left, no web service left). Colour stacks are
# the lifecycle workflows' business (retiring the idle colour), never retired by a deploy.
_RETIRABLE = ("network", "data", "edge", "observability")


def _retired_stacks(deployment_id: str, rendered: set[str]) -> tuple[str, ...]:
    """Stacks this deployment may own that the plan no longer renders (the engine checks which
    exist and carry this deployment's tag)."""
    return tuple(n for n in (stack_name(deployment_id, kind) for kind in _RETIRABLE) if n not in rendered)


def _bootstrap_bucket(region: str, *, create: bool) -> str | None:
    """The artifact bucket; for a what-if it is only looked up, never created nor updated (an
    older bootstrap version is brought up to date by the next real deploy)."""
    from ..artifact.bootstrap import ensure_bootstrap, find_bootstrap_bucket

    return ensure_bootstrap(region) if create else find_bootstrap_bucket(region)


def _template_uploader(bucket: str, deployment_id: str, region: str) -> Callable[[str, str], str]:
    """Templates over CloudFormation's inline limit go to the artifact bucket, content-addressed."""
    s3 = client("s3", region)

    def upload(stack: str, body: str) -> str:
        data = body.encode("utf-8")
        key = f"templates/{deployment_id}/{stack}-{hashlib.sha256(data).hexdigest()}.json"
        with aws_errors(f"uploading the {stack} template"):
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json")
        return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"

    return upload


def _has_file_assets(assembly_dir: Path) -> bool:
    """True when the assembly lists file assets other than the stack templates themselves: the
    engine hands templates to CloudFormation directly (inline, or uploaded when too big), so the
    synthesizer's "<stack> Template" assets need no publishing."""
    import json

    for manifest in Path(assembly_dir).glob("*.assets.json"):
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files") or {}
        if any(not (a.get("source") or {}).get("path", "").endswith(".template.json") for a in files.values()):
            return True
    return False


def _check_findings(result) -> None:
    blocking = result.blocking_findings
    if not blocking:
        return
    first = blocking[0]
    more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
    raise ChecksFailed(
        f"{len(blocking)} unacknowledged check error(s): {first.source} {first.rule_id} in {first.stack} "
        f"{first.resource}: {one_line(first.message, 200)}{more}; see `hivemind synth`"
    )


def _confirm(previews: list[StackPreview], console: Console, confirm: Callable[[str], bool] | None) -> bool:
    changing = [p.name for p in previews if not p.no_changes and not p.retire]
    retiring = [p.name for p in previews if p.retire]
    parts = [f"deploy changes to {len(changing)} stack(s) ({', '.join(changing)})"] if changing else []
    if retiring:
        parts.append(f"delete {len(retiring)} stack(s) no longer in the plan ({', '.join(retiring)})")
    question = " and ".join(parts) + "?"
    question = question[0].upper() + question[1:]
    if confirm is not None:
        return confirm(question)
    if not sys.stdin.isatty():
        raise HivemindError("deploying needs confirmation: rerun with --yes (stdin is not a terminal)")
    import typer

    return typer.confirm(question, default=False)


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
    waiter_delays: tuple[float, float] | None = None,
    poll_interval: float = 2.0,
) -> DeployResult:
    """Deploy (or with `what_if`, preview) the app at `repo_or_plan`; see the module docstring.

    `confirm` replaces the interactive prompt (tests); `waiter_delays`/`poll_interval` tune how
    often CloudFormation is polled (moto answers at once).
    """
    console = console or Console()
    if max_parallel < 1:
        raise DeployError("--max-parallel must be at least 1")
    plan, repo = resolve_plan(repo_or_plan, description=description, stage=stage, xray=xray, write=not what_if)
    with deployment_lock(plan.name):
        try:
            state = load_state(plan.name, plan.region)
            state.plan, state.stage = plan, plan.stage
        except DeploymentNotFound:
            state = DeploymentState.new(plan)
        previous_status = state.status
        runner = _DeployRun(plan, repo, state, console, what_if=what_if, allow_replacement=allow_replacement,
                            max_parallel=max_parallel, waiter_delays=waiter_delays, poll_interval=poll_interval)
        try:
            return runner.run(yes=yes, confirm=confirm, previous_status=previous_status)
        except KeyboardInterrupt:
            if what_if or not runner.touched_state:
                raise  # nothing was started: the state is still true as it is
            phase = state.status.value if state.status.in_progress or state.status is S.PENDING else "deploying"
            message = (f"interrupted during {phase}; CloudFormation may still be working: "
                       f"run `hivemind status {plan.name}`")
            mark_failed(state, message, stage=phase)
            _save_quietly(state)
            raise HivemindError(message, exit_code=130) from None
        except (BotoCoreError, ResponseParserError) as exc:
            # An AWS call outside aws_errors() (e.g. a garbled endpoint answer): one line, state failed.
            error = DeployError(f"AWS call failed during {state.status.value}: {one_line(str(exc), 300)}")
            if not what_if and runner.touched_state:
                mark_failed(state, error, stage=state.status.value)
                _save_quietly(state)
            raise error from None
        except HivemindError as exc:
            if not what_if and runner.touched_state:
                if isinstance(exc, (ReplacementRefused, ChecksFailed)) and previous_status in _SETTLED:
                    # Nothing was sent to CloudFormation: the deployment is as it was.
                    append_history(state, "deploy", f"refused: {exc}", status=previous_status)
                elif state.status.in_progress or state.status is S.PENDING:
                    mark_failed(state, exc, stage=state.status.value)
                _save_quietly(state)
            raise


def _save_quietly(state: DeploymentState) -> None:
    """Save state on the way out of a failure; the local copy must land even if AWS is the problem."""
    try:
        save_state(state)
    except HivemindError:
        save_state(state, remote=False)


class _DeployRun:
    """One deploy's steps, sharing the plan, state and console."""

    def __init__(self, plan: DeploymentPlan, repo: Path, state: DeploymentState, console: Console, *,
                 what_if: bool, allow_replacement: bool, max_parallel: int,
                 waiter_delays: tuple[float, float] | None, poll_interval: float):
        self.plan, self.repo, self.state, self.console = plan, repo, state, console
        self.what_if, self.allow_replacement, self.max_parallel = what_if, allow_replacement, max_parallel
        self.waiter_delays, self.poll_interval = waiter_delays, poll_interval
        self.cancel = threading.Event()
        self.touched_state = False

    def _step(self, status: DeploymentStatus, detail: str = "") -> None:
        if self.what_if:
            return
        append_history(self.state, "deploy", detail or status.value, status=status)
        self.state.last_error = None if status is not S.FAILED else self.state.last_error
        save_state(self.state)
        self.touched_state = True

    def run(self, *, yes: bool, confirm, previous_status: DeploymentStatus) -> DeployResult:
        from ..artifact import bundle_app, publish_artifact
        from ..artifact.publish import artifact_key, publish_assembly_assets
        from ..synth import synthesize

        plan, state = self.plan, self.state
        if not self.what_if:
            state.failed_stage = None
            self._step(S.PENDING, f"deploy of {plan.name} ({plan.stage}) requested")

        # building: the app bundle, published to the artifact bucket (bootstrapped on first use).
        self._step(S.BUILDING)
        color = state.active_color or "blue"
        bundle = bundle_app(self.repo, plan, deployment_dir(plan.name) / "bundles")
        bucket = _bootstrap_bucket(plan.region, create=not self.what_if)
        if self.what_if:
            # The key is content-addressed: what it would be, without uploading anything.
            ref = ArtifactRef(bucket, artifact_key(bundle.name, bundle.sha256), bundle.sha256) if bucket else None
        else:
            ref = publish_artifact(bundle, plan.region)
            from ..state import ArtifactInfo

            state.artifact = ArtifactInfo(bucket=ref.bucket, key=ref.key, sha256=ref.sha256)

        # provisioning: synth + checks, then one change set per stack.
        self._step(S.PROVISIONING)
        colors = _colors(state)
        options = RenderOptions(
            colors=colors,  # type: ignore[arg-type]
            weights={c: (100 if c == color else 0) for c in ("blue", "green")},
            artifacts={c: ref for c in colors} if ref else {},
        )
        synth = synthesize(plan, options=options, outdir=deployment_dir(plan.name) / "cdk.out", checks=True)
        _check_findings(synth)
        if not self.what_if and _has_file_assets(synth.assembly_dir):
            publish_assembly_assets(synth.assembly_dir, plan.region)
        specs = [StackSpec(s.name, s.template, tuple(s.dependencies)) for s in synth.stacks]

        progress = DeployProgress([s.name for s in specs], self.console)
        delays = self.waiter_delays
        factory = thread_local_factory(plan.region, cancel=self.cancel, **({"waiter_delays": delays} if delays else {}))
        ctx = ChangeSetContext(plan.name, plan.stage,
                               upload_template=_template_uploader(bucket, plan.name, plan.region) if bucket else None)
        engine = DeployEngine(factory, ctx, region=plan.region, max_parallel=self.max_parallel,
                              allow_replacement=self.allow_replacement, progress=progress,
                              poll_interval=self.poll_interval, cancel=self.cancel)
        with aws_errors("creating change sets"):
            previews = engine.preview(specs, what_if=self.what_if,
                                      retire=_retired_stacks(plan.name, {s.name for s in specs}))
        result = DeployResult(plan, None if self.what_if else state, previews, what_if=self.what_if)
        proceed = False
        try:
            result.violations = guard.enforce(previews, plan.region, allow_replacement=self.allow_replacement
                                              or self.what_if)
            if self.what_if:
                print_what_if(self.console, previews, result.violations)
                return result
            if result.changed and not confirm_or_yes(previews, self.console, yes, confirm):
                result.cancelled = True
            else:
                proceed = True
        finally:
            # A preview, a refusal, a "no" or a Ctrl-C at the prompt: leave no change set behind.
            if not proceed:
                with aws_errors("deleting change sets"):
                    engine.discard(previews)
        if result.violations:
            self.console.print(f"[yellow]--allow-replacement: replacing or deleting {len(result.violations)} stateful "
                               "resource(s)[/]")
        if result.cancelled:
            append_history(state, "deploy", "cancelled at confirmation", status=previous_status
                           if not previous_status.in_progress else S.FAILED)
            save_state(state)
            return result

        # deploying: execute the change sets along the DAG with a live view.
        self._step(S.DEPLOYING, f"{sum(not p.no_changes for p in previews)} stack(s) with changes")
        try:
            with progress:
                result.engine = engine.execute(previews)
        except KeyboardInterrupt:
            self.cancel.set()
            raise
        state.active_color = color
        for name in result.engine.deleted:
            state.stacks.pop(name, None)  # gone on purpose, not "MISSING"

        # verifying: read back stacks, outputs, URL and dashboard from CloudFormation.
        self._step(S.VERIFYING)
        try:
            # This process holds the lock, so the refresh reads the deploy as running, not interrupted.
            refresh_from_cloudformation(state)
        except HivemindError:
            if result.engine.ok:
                raise
        if not result.engine.ok:
            mark_failed(state, result.engine.error_line() or "deploy failed", stage="deploying")
            save_state(state)
            raise DeployError(f"deploy failed: {state.last_error}")
        changed = result.engine.changed
        self._step(S.COMPLETED, f"{len(changed)} stack(s) changed" if changed else "no changes")
        return result


def confirm_or_yes(previews: list[StackPreview], console: Console, yes: bool, confirm) -> bool:
    return True if yes else _confirm(previews, console, confirm)
