"""The steps deploy, update and rollback share: bundle and publish the app, synth with checks,
change sets (the what-if), confirmation, execution along the stack DAG.

Each step runs as a phase of the caller's Operation, so its time and outcome land in the
timeline. Nothing here prints: the operation's UI shows what-ifs, questions and progress.
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..aws import aws_errors, client
from ..deploy import guard
from ..deploy.cfn import thread_local_factory
from ..deploy.changeset import ChangeSetContext, StackPreview, StackSpec
from ..deploy.engine import NO_CHANGES, DeployEngine, EngineResult, StackOutcome
from ..deploy.errors import ChecksFailed, DeployError
from ..paths import deployment_dir
from ..plan import DeploymentPlan, load_plan
from ..plan.models import Stage
from ..redact import one_line
from ..render.options import ArtifactRef, RenderOptions
from ..state import ArtifactInfo, DeploymentStatus
from ..state.models import FailureInfo
from .operation import Operation, Refused

S = DeploymentStatus


def resolve_plan(
    repo_or_plan: Path, *, description: str = "", stage: Stage | None = None, xray: bool | None = None,
    write: bool = True,
) -> tuple[DeploymentPlan, Path]:
    """(plan, repository root): a plan file is used as is (plus this run's options); a directory
    gets `hivemind plan`'s treatment (its hivemind.yaml, or a fresh analysis written there unless
    `write` is False, as for a what-if, which must change nothing)."""
    from .plan import apply_options, build_plan

    path = Path(repo_or_plan)
    if not path.exists():
        raise Refused(f"no such repository or plan: {path}")
    if path.is_file():
        return apply_options(load_plan(path), description=description, stage=stage, xray=xray), path.parent
    return build_plan(path, description=description, stage=stage, xray=xray, write=write).plan, path


def plan_hash(plan: DeploymentPlan) -> str:
    """What the plan asks for (evidence and prose aside): two releases of one plan share it."""
    data = json.loads(plan.model_dump_json(exclude={"evidence", "description"}))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def check_needs(plan: DeploymentPlan) -> None:
    """Refuse a plan whose app reads settings nobody set (Recon lists them under `needs:`)."""
    try:
        from ..plan.needs import unmet_needs
    except ImportError:  # older plans: no needs to check
        return
    missing = unmet_needs(plan)
    if missing:
        raise Refused(f"the app needs {', '.join(missing)}: set them under a service's env or secrets "
                      "in hivemind.yaml")


def bootstrap_bucket(region: str, *, create: bool) -> str | None:
    """The artifact bucket; for a what-if it is only looked up, never created nor updated."""
    from ..artifact.bootstrap import ensure_bootstrap, find_bootstrap_bucket

    return ensure_bootstrap(region) if create else find_bootstrap_bucket(region)


def template_uploader(bucket: str, deployment_id: str, region: str) -> Callable[[str, str], str]:
    """Templates over CloudFormation's inline limit go to the artifact bucket, content-addressed."""
    s3 = client("s3", region)

    def upload(stack: str, body: str) -> str:
        data = body.encode("utf-8")
        key = f"templates/{deployment_id}/{stack}-{hashlib.sha256(data).hexdigest()}.json"
        with aws_errors(f"uploading the {stack} template"):
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json")
        return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"

    return upload


def has_file_assets(assembly_dir: Path) -> bool:
    """True when the assembly lists file assets other than the stack templates themselves (the
    engine hands templates to CloudFormation directly, so those need no publishing)."""
    for manifest in Path(assembly_dir).glob("*.assets.json"):
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files") or {}
        if any(not (a.get("source") or {}).get("path", "").endswith(".template.json") for a in files.values()):
            return True
    return False


def check_findings(result) -> None:
    blocking = result.blocking_findings
    if not blocking:
        return
    first = blocking[0]
    more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
    raise ChecksFailed(
        f"{len(blocking)} unacknowledged check error(s): {first.source} {first.rule_id} in {first.stack} "
        f"{first.resource}: {one_line(first.message, 200)}{more}; see `hivemind synth`"
    )


def confirm_question(previews: list[StackPreview]) -> str:
    changing = [p.name for p in previews if not p.no_changes and not p.retire]
    retiring = [p.name for p in previews if p.retire]
    parts = [f"deploy changes to {len(changing)} stack(s) ({', '.join(changing)})"] if changing else []
    if retiring:
        parts.append(f"delete {len(retiring)} stack(s) no longer in the plan ({', '.join(retiring)})")
    question = " and ".join(parts) + "?"
    return question[0].upper() + question[1:]


@dataclass
class Tuning:
    """How hard to drive CloudFormation (tests poll moto fast; real AWS needs patience)."""

    max_parallel: int = 4
    waiter_delays: tuple[float, float] | None = None
    poll_interval: float = 2.0


class StackRollout:
    """Synth, change sets, confirmation and execution for one operation (possibly in several waves,
    e.g. the idle colour first, the edge's traffic shift later)."""

    def __init__(self, op: Operation, plan: DeploymentPlan, *, bucket: str | None, allow_replacement: bool,
                 tuning: Tuning):
        if tuning.max_parallel < 1:
            raise Refused("--max-parallel must be at least 1")
        self.op, self.plan, self.bucket = op, plan, bucket
        self.allow_replacement, self.tuning = allow_replacement, tuning
        self.cancel = threading.Event()
        delays = tuning.waiter_delays
        self.factory = thread_local_factory(plan.region, cancel=self.cancel,
                                            **({"waiter_delays": delays} if delays else {}))
        self._waves = 0

    # --- artifact ---
    def publish(self, repo: Path) -> ArtifactRef | None:
        """Bundle the app and upload it (content-addressed); a what-if only computes the key."""
        from ..artifact import bundle_app, publish_artifact
        from ..artifact.publish import artifact_key

        bundle = bundle_app(repo, self.plan, deployment_dir(self.plan.name) / "bundles")
        if self.op.what_if:
            return ArtifactRef(self.bucket, artifact_key(bundle.name, bundle.sha256), bundle.sha256) if self.bucket else None
        return publish_artifact(bundle, self.plan.region)

    # --- synth ---
    def synth(self, options: RenderOptions, *, publish_assets: bool = True, checks: bool = True) -> list[StackSpec]:
        """`checks=False` only for a re-render of a plan whose checks already ran in this
        operation (a traffic shift changes the listener's weights, nothing the checks judge)."""
        from ..artifact.publish import publish_assembly_assets
        from ..synth import synthesize

        result = synthesize(self.plan, options=options, outdir=deployment_dir(self.plan.name) / "cdk.out",
                            checks=checks)
        if checks:
            check_findings(result)
        if publish_assets and not self.op.what_if and has_file_assets(result.assembly_dir):
            publish_assembly_assets(result.assembly_dir, self.plan.region)
        return [StackSpec(s.name, s.template, tuple(s.dependencies)) for s in result.stacks]

    # --- change sets ---
    def engine(self, *, rollback_configurations: dict[str, dict] | None = None, progress=None) -> DeployEngine:
        self._waves += 1
        token = self.op.client_request_token if self._waves == 1 else f"{self.op.client_request_token}-{self._waves}"
        ctx = ChangeSetContext(
            self.plan.name, self.plan.stage,
            upload_template=template_uploader(self.bucket, self.plan.name, self.plan.region) if self.bucket else None,
            client_request_token=token, rollback_configurations=rollback_configurations or {},
        )
        return DeployEngine(self.factory, ctx, region=self.plan.region, max_parallel=self.tuning.max_parallel,
                            allow_replacement=self.allow_replacement, progress=progress,
                            poll_interval=self.tuning.poll_interval, cancel=self.cancel)

    def preview(self, engine: DeployEngine, specs: list[StackSpec], *, retire: Iterable[str] = ()
                ) -> tuple[list[StackPreview], list[guard.Violation]]:
        """Change sets for `specs`; the guard's verdict (refuses unless --allow-replacement; a
        what-if shows it instead). On refusal nothing is left behind."""
        with aws_errors("creating change sets"):
            previews = engine.preview(specs, what_if=self.op.what_if, retire=tuple(retire))
        try:
            violations = guard.enforce(previews, self.plan.region,
                                       allow_replacement=self.allow_replacement or self.op.what_if)
        except BaseException:
            self.discard(engine, previews)
            raise
        return previews, violations

    def confirm(self, engine: DeployEngine, previews: list[StackPreview], violations: list, *, yes: bool,
                question: str | None = None) -> bool:
        """True to go ahead. A what-if shows the change sets, deletes them and returns False."""
        ui = self.op.ui
        proceed = False
        try:
            if self.op.what_if:
                ui.show_what_if(previews, violations)
                return False
            if not any(not p.no_changes for p in previews):
                proceed = True
                return True
            proceed = yes or ui.confirm(question or confirm_question(previews), previews, violations)
            return proceed
        finally:
            if not proceed:
                self.discard(engine, previews)

    def discard(self, engine: DeployEngine, previews: list[StackPreview]) -> None:
        with aws_errors("deleting change sets"):
            engine.discard(previews)

    def execute(self, engine: DeployEngine, previews: list[StackPreview]) -> EngineResult:
        """Execute along the DAG with live progress. A failed stack raises DeployError carrying the
        root cause (recorded as the state's failure)."""
        if not any(not p.no_changes for p in previews):
            return EngineResult({p.name: StackOutcome(p.name, NO_CHANGES) for p in previews})
        self.op.changed_aws = True
        with self.op.ui.progress([p.name for p in previews]) as progress:
            engine.progress = progress
            try:
                result = engine.execute(previews)
            except KeyboardInterrupt:
                self.cancel.set()
                raise
        for name in result.changed:
            if name not in self.op.stacks_changed:
                self.op.stacks_changed.append(name)
        for name in result.deleted:
            self.op.state.stacks.pop(name, None)  # gone on purpose, not "MISSING"
        if not result.ok:
            failure = result.first_failure
            cause = failure.root_cause if failure else None
            info = FailureInfo(
                stack=cause.stack_name if cause else (failure.name if failure else None),
                logical_id=cause.logical_id if cause else None,
                resource_type=cause.resource_type if cause else None,
                status=failure.stack_status if failure else None,
                reason=(cause.reason if cause else (failure.error if failure else "")) or "stack failed",
            )
            raise StackFailed(f"{self.op.action} failed: {result.error_line() or 'a stack failed'}", info, result)
        return result


class StackFailed(DeployError):
    """A stack's execution failed; `failure` is its root-cause event, `result` the engine's outcomes."""

    def __init__(self, message: str, failure: FailureInfo, result: EngineResult):
        super().__init__(message)
        self.failure = failure
        self.result = result


def artifact_info(ref: ArtifactRef) -> ArtifactInfo:
    return ArtifactInfo(bucket=ref.bucket, key=ref.key, sha256=ref.sha256)


def artifact_ref(info: ArtifactInfo) -> ArtifactRef:
    return ArtifactRef(info.bucket, info.key, info.sha256)
