"""Shared synths: each example x stage is synthesized once per session (jsii is slow to drive)."""
from __future__ import annotations

import pytest

from synth_support import SynthCache, example_plan


@pytest.fixture(scope="session")
def synths(tmp_path_factory) -> SynthCache:
    from hivemind.checks.lint import warm_up

    # With cfn-lint warm in this process, synthesize() lints in-process instead of in a child.
    warm_up("us-east-1")
    return SynthCache(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def example_synth(synths):
    """example_synth(name, stage) -> SynthResult with checks, shared by every test."""

    def get(name: str, stage: str):
        return synths.get(f"{name}-{stage}", example_plan(name, stage))

    return get


