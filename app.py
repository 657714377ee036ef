#!/usr/bin/env python3
"""CDK app entry for the stock CDK CLI: `npx cdk synth -c plan=examples/express-postgres/hivemind.yaml`.

Context keys: `plan` (a plan file or a repository directory, required), `stage` (stage-1 or
production, optional), `xray` (true/false, optional), `colors` (e.g. "blue,green", default blue).
The stacks are exactly those `hivemind synth` renders (same builder), minus the cdk-nag and
cfn-lint passes that `hivemind synth` adds.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from hivemind.errors import HivemindError  # noqa: E402
from hivemind.plan import apply_stage  # noqa: E402
from hivemind.render import RenderOptions  # noqa: E402
from hivemind.render.builder import add_stacks, app_context  # noqa: E402
from hivemind.synth import load_plan_arg  # noqa: E402


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def main() -> None:
    probe = cdk.App()
    plan_arg = probe.node.try_get_context("plan")
    if not plan_arg:
        sys.exit("error: pass the plan with -c plan=PATH (a hivemind.yaml or a repository directory)")
    try:
        plan = load_plan_arg(plan_arg)
    except HivemindError as exc:
        sys.exit(f"error: {exc}")
    stage = probe.node.try_get_context("stage")
    if stage:
        if stage not in ("stage-1", "production"):
            sys.exit("error: -c stage= must be stage-1 or production")
        plan = apply_stage(plan, stage)
    if _flag(probe.node.try_get_context("xray") or False):
        plan = plan.model_copy(update={"observability": plan.observability.model_copy(update={"xray": True})})
    colors = tuple(c.strip() for c in str(probe.node.try_get_context("colors") or "blue").split(",") if c.strip())
    if not set(colors) <= {"blue", "green"}:
        sys.exit("error: -c colors= takes blue, green or blue,green")
    active = colors[0]
    options = RenderOptions(colors=colors, weights={c: (100 if c == active else 0) for c in ("blue", "green")})

    # The CLI passes its context through CDK_CONTEXT_JSON; add HiveMind's fixed context on top.
    app = cdk.App(context=app_context(plan), analytics_reporting=False)
    add_stacks(app, plan, options)
    app.synth()


if __name__ == "__main__":
    main()
