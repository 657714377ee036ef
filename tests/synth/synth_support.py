"""Helpers for the synth tests: example discovery, plans per stage, a session synth memo."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("JSII_DEPRECATED", "quiet")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
STAGES = ("stage-1", "production")


def example_names() -> list[str]:
    """Every example directory holding a deployable app (the CI workflow example is not one)."""
    from hivemind.errors import HivemindError
    from hivemind.synth import load_plan_arg

    names = []
    for path in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()) if EXAMPLES.is_dir() else []:
        try:
            load_plan_arg(path)
        except HivemindError:
            continue
        names.append(path.name)
    return names


EXAMPLE_NAMES = example_names()


EXAMPLE_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
ALARM_EMAIL = "ops@example.com"


def example_plan(name: str, stage: str, *, production_ready: bool = True):
    """The example's plan at `stage`. Production as a careful team ships it (a certificate and an
    alarm recipient) unless `production_ready=False`: the plan exactly as recon made it."""
    from hivemind.plan import apply_stage
    from hivemind.synth import load_plan_arg

    plan = apply_stage(load_plan_arg(EXAMPLES / name), stage)
    if stage == "production" and production_ready:
        plan = plan.model_copy(update={
            "certificate_arn": EXAMPLE_CERTIFICATE,
            "observability": plan.observability.model_copy(update={"alarm_email": ALARM_EMAIL}),
        })
    return plan


class SynthCache:
    """Session-wide memo of synth results keyed by a label, each in its own directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.results: dict[str, object] = {}

    def get(self, label: str, plan, options=None, checks: bool = True):
        if label not in self.results:
            from hivemind.synth import synthesize

            self.results[label] = synthesize(plan, options=options, outdir=self.root / label, checks=checks, use_cache=False)
        return self.results[label]


def resources(template: dict, rtype: str) -> dict[str, dict]:
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == rtype}


def all_resources(result, rtype: str) -> dict[str, dict]:
    out = {}
    for stack in result.stacks:
        out.update({f"{stack.name}/{k}": v for k, v in resources(stack.template, rtype).items()})
    return out
