"""What `app.py` renders for the stock CDK CLI (`cdk synth|diff|deploy -c plan=...`).

`hivemind synth` renders a plan with default render options (a placeholder artifact, blue only).
A deployed app runs more than the plan: its live release's artifact (the user data and the
permission to fetch it), its standing colours, the listener weights and the pinned images. So
that `cdk diff` right after `hivemind deploy` shows no differences, the stock CLI renders the plan
with the options that reproduce the deployment, read from the state like every hivemind command
(local cache under $HIVEMIND_HOME, else the copy in AWS when credentials are configured).

Context keys (all optional but one of plan/deployment):
  plan=PATH          a hivemind.yaml or a repository directory
  deployment=ID      the deployment to reproduce (default: the plan's name, when it is deployed);
                     `none` renders like `hivemind synth` even when a deployment exists;
                     without `plan`, the deployment's recorded plan is rendered
  release=vN         render release vN on its colour instead of what is live (a rollback preview)
  stage=stage-1|production, xray=true|false   like `hivemind synth --stage-1/--production/--xray`
  colors=blue,green  colour stacks to render, only without a deployment
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Callable, Mapping

from ..errors import HivemindError
from ..plan import DeploymentPlan, apply_stage
from ..render.options import RenderOptions
from ..state.models import DeploymentStatus
from .source import load_plan_arg

NO_DEPLOYMENT = "none"
PATH_METADATA_CONTEXT = "aws:cdk:enable-path-metadata"  # cx-api PATH_METADATA_ENABLE_CONTEXT
STAGES = ("stage-1", "production")


class ContextError(HivemindError):
    """A `-c key=value` the app cannot use; app.py prints it as one line."""


@dataclass(frozen=True)
class StockRender:
    """The plan and options app.py renders, and where the options came from (for the one-line note)."""

    plan: DeploymentPlan
    options: RenderOptions
    deployment: str | None = None  # the deployment reproduced, None: rendered like `hivemind synth`
    release: str | None = None  # e.g. "v2": the release the app stacks run

    @property
    def note(self) -> str:
        if self.deployment is None:
            return f"{self.plan.name}: no deployment in the state; rendering like `hivemind synth`"
        colours = ", ".join(f"{c} {self.options.weights.get(c, 0)}%" for c in self.options.colors)
        return f"{self.plan.name}: reproducing deployment {self.deployment} ({self.release or 'no release'}; {colours})"


def _flag(value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ContextError(f"-c xray= takes true or false, not {value!r}")


def aws_configured() -> bool:
    """True when boto3 would find credentials (env, profile, SSO, container or instance role)."""
    import boto3

    return boto3.session.Session().get_credentials() is not None


def _load_state(deployment_id: str, region: str | None, *, explicit: bool):
    """The deployment's state, or None when none is known (only an implicit lookup may find none)."""
    from ..aws import AwsError
    from ..state import load_state
    from ..state.local import read_local
    from ..state.store import DeploymentNotFound

    if not aws_configured():
        # Offline: this machine's copy is all there is (no wait on an AWS that cannot answer).
        local = read_local(deployment_id)
        if local is not None or not explicit:
            return local
    try:
        return load_state(deployment_id, region)
    except DeploymentNotFound:
        if explicit:
            raise
        return None
    except AwsError as exc:
        raise AwsError(f"{exc} (reading the state of {deployment_id}; pass -c deployment=none to render "
                       "without it)") from None


def _recorded_images(state, options: RenderOptions) -> RenderOptions:
    """Pinned images the releases recorded, for colours whose options carry none."""
    images = dict(options.image_ids)
    for color, running in state.colors.items():
        release = state.release(running.release)
        if color in options.colors and release is not None and release.image_id and color not in images:
            images[color] = release.image_id
    return dataclasses.replace(options, image_ids=images) if images != options.image_ids else options


def deployed_options(state) -> RenderOptions:
    """The options that reproduce what runs now: live_options plus the recorded image ids."""
    from ..workflows.releases import live_options

    return _recorded_images(state, live_options(state))


def release_options(state, version_label: str) -> tuple[RenderOptions, str]:
    """Release vN on its colour taking all the traffic; other standing colours keep what they run."""
    from ..workflows.releases import render_options

    label = version_label.strip().lower()
    if not label.startswith("v") or not label[1:].isdigit():
        raise ContextError(f"-c release= takes a release label like v2, not {version_label!r}")
    release = state.release(int(label[1:]))
    if release is None:
        known = ", ".join(r.label for r in state.releases) or "none"
        raise ContextError(f"deployment {state.id} has no release {label} (releases: {known})")
    artifacts = {c: cs.artifact for c, cs in state.colors.items()}
    artifacts[release.color] = release.artifact
    colors = tuple(dict.fromkeys([release.color, *state.colors]))
    options = render_options(state, colors=colors, weights={release.color: 100}, artifacts=artifacts)
    if release.image_id:
        options = dataclasses.replace(options, image_ids={**options.image_ids, release.color: release.image_id})
    return _recorded_images(state, options), release.label


def _colors_option(value: object) -> RenderOptions:
    colors = tuple(c.strip() for c in str(value).split(",") if c.strip())
    if not colors or not set(colors) <= {"blue", "green"} or len(set(colors)) != len(colors):
        raise ContextError("-c colors= takes blue, green or blue,green")
    active = colors[0]
    return RenderOptions(colors=colors, weights={c: (100 if c == active else 0) for c in ("blue", "green")})  # type: ignore[arg-type]


def resolve(context: Callable[[str], object] | Mapping[str, object]) -> StockRender:
    """Plan and render options for the context the CDK CLI passed (`-c key=value`, cdk.json)."""
    get = context.get if isinstance(context, Mapping) else context
    plan_arg = get("plan")
    deployment_arg = str(get("deployment") or "").strip() or None
    if not plan_arg and (deployment_arg is None or deployment_arg == NO_DEPLOYMENT):
        raise ContextError("pass the plan with -c plan=PATH (a hivemind.yaml or a repository directory) "
                           "or a deployment with -c deployment=ID")
    stage = get("stage")
    if stage and stage not in STAGES:
        raise ContextError("-c stage= must be stage-1 or production")
    release_arg = get("release")
    colors_arg = get("colors")

    plan = load_plan_arg(str(plan_arg)) if plan_arg else None
    state = None
    if deployment_arg != NO_DEPLOYMENT:
        deployment_id = deployment_arg or plan.name  # type: ignore[union-attr]
        state = _load_state(deployment_id, plan.region if plan else None, explicit=deployment_arg is not None)
        if state is not None and state.status is DeploymentStatus.DESTROYED:
            if deployment_arg is not None:
                raise ContextError(f"deployment {deployment_id} is destroyed: nothing to reproduce "
                                   "(pass -c deployment=none to render the plan)")
            state = None
    if plan is None:
        plan = state.plan  # type: ignore[union-attr]  (explicit deployment: found or raised)
    elif state is not None and state.plan.name != plan.name:
        raise ContextError(f"deployment {state.id} runs plan '{state.plan.name}', not '{plan.name}' "
                           f"(its stacks are {state.plan.name}-*)")
    if stage:
        plan = apply_stage(plan, stage)  # type: ignore[arg-type]
    if _flag(get("xray") or False) and not plan.observability.xray:
        plan = plan.model_copy(update={"observability": plan.observability.model_copy(update={"xray": True})})

    if state is None:
        if release_arg:
            raise ContextError("-c release= needs a deployment (none is recorded for this plan)")
        return StockRender(plan, _colors_option(colors_arg) if colors_arg else RenderOptions())
    if colors_arg:
        raise ContextError("-c colors= only applies without a deployment (the deployment's colours are "
                           "rendered; pass -c deployment=none to choose them)")
    if release_arg:
        options, label = release_options(state, str(release_arg))
        return StockRender(plan, options, deployment=state.id, release=label)
    live = state.live_release
    return StockRender(plan, deployed_options(state), deployment=state.id, release=live.label if live else None)


def synth_app(render: StockRender) -> None:
    """Build and synthesize the CDK app the way `hivemind deploy` does, into the CLI's outdir."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_DEPRECATED", "quiet")
    import aws_cdk as cdk

    from ..render.builder import add_stacks, app_context

    # The CLI passes its own context (CDK_CONTEXT_JSON); post_cli_context puts HiveMind's fixed
    # context above it, as hivemind's in-process App has it. The CLI also asks for `aws:cdk:path`
    # metadata on every resource: hivemind's templates have none, so `cdk diff` would flag every
    # resource of a hivemind-deployed stack and a `cdk deploy` would change them all; it is off.
    # Outdir comes from CDK_OUTDIR. CDK's own CloudFormation validation is off, as in build_app
    # (it took 15 s of a 27 s `cdk synth` here; `hivemind synth` lints with cfn-lint instead).
    context = {**app_context(render.plan), PATH_METADATA_CONTEXT: False}
    app = cdk.App(post_cli_context=context, analytics_reporting=False, stack_traces=False,
                  builtin_cloud_formation_validation=False)
    add_stacks(app, render.plan, render.options)
    try:
        app.synth()
    except Exception as exc:  # jsii raises RuntimeError with the JS stack appended
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise HivemindError(f"CDK synth failed: {first}") from None


def main(context: Callable[[str], object]) -> None:
    """app.py's body: resolve, say what is reproduced (stderr), synthesize; errors are one line."""
    import sys

    try:
        render = resolve(context)
        print(render.note, file=sys.stderr)
        synth_app(render)
    except HivemindError as exc:
        sys.exit(f"error: {exc}")
