"""Render a DeploymentPlan into a CDK app.

`aws_cdk` is imported only when `build_app` runs, so importing this package stays cheap (the
synth cache answers without starting jsii).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .options import ArtifactRef, Color, RenderOptions

if TYPE_CHECKING:  # pragma: no cover
    import aws_cdk

    from ..plan import DeploymentPlan


def build_app(plan: "DeploymentPlan", options: RenderOptions, *, outdir: Path) -> "aws_cdk.App":
    """One CDK App with the deployment's stacks; see hivemind.render.builder.build_app."""
    from .builder import build_app as _build_app

    return _build_app(plan, options, outdir=outdir)


__all__ = ["ArtifactRef", "Color", "RenderOptions", "build_app"]
