"""Plan + render options -> one CDK App with the deployment's stacks (DESIGN.md, "Stacks")."""
from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

from ..plan import DeploymentPlan
from . import names
from .options import RenderOptions
from .stacks.app import AppStack
from .stacks.data import DataStack
from .stacks.edge import EdgeStack
from .stacks.network import NetworkStack
from .stacks.observability import ObservabilityStack


def app_context(plan: DeploymentPlan) -> dict[str, object]:
    """Context that keeps synth offline and deterministic (no version metadata, no stack traces)."""
    return {
        "aws:cdk:version-reporting": False,
        "aws:cdk:disable-stack-trace": True,
        # Same subnet layout whatever the account: two AZs picked by Fn::GetAZs at deploy time.
        "@aws-cdk/core:newStyleStackSynthesis": True,
    }


def build_app(plan: DeploymentPlan, options: RenderOptions, *, outdir: Path, validation: bool = False) -> cdk.App:
    """Build (not synthesize) the CDK app for `plan`.

    Stacks: `<name>-network`, `<name>-data` (database or cache), `<name>-edge` (web services with a
    port), `<name>-app-<colour>` per colour in `options.colors`, `<name>-observability`.
    """
    app = cdk.App(
        outdir=str(outdir),
        context=app_context(plan),
        analytics_reporting=False,
        stack_traces=False,
        # CDK's own CloudFormation validation costs ~1.5 s per synth; cfn-lint runs instead.
        builtin_cloud_formation_validation=validation,
    )
    add_stacks(app, plan, options)
    return app


def add_stacks(scope, plan: DeploymentPlan, options: RenderOptions) -> dict[str, cdk.Stack]:
    """Add the deployment's stacks to `scope` (an App); returns them by stack name."""
    from ..checks.acknowledgements import acknowledge

    stacks: dict[str, cdk.Stack] = {}
    network = NetworkStack(scope, plan)
    stacks[network.stack_name] = network
    data = edge = None
    if plan.database or plan.cache:
        data = DataStack(scope, plan)
        data.add_dependency(network, "subnets and security groups")
        stacks[data.stack_name] = data
    if plan.web_services:
        edge = EdgeStack(scope, plan, options)
        edge.add_dependency(network, "subnets and security groups")
        stacks[edge.stack_name] = edge
    for color in options.colors:
        app_stack = AppStack(scope, plan, options, color)
        app_stack.add_dependency(network, "subnets and security groups")
        for upstream, reason in ((data, "database secret, cache endpoint"), (edge, "target group ARNs")):
            if upstream is not None:
                app_stack.add_dependency(upstream, reason)
        stacks[app_stack.stack_name] = app_stack
    observability = ObservabilityStack(scope, plan)
    observability.add_dependency(network, "log groups")
    for upstream in (data, edge):
        if upstream is not None:
            observability.add_dependency(upstream, "metric dimensions")
    stacks[observability.stack_name] = observability
    for stack in stacks.values():
        acknowledge(stack, plan)
    return stacks


__all__ = ["build_app", "add_stacks", "names"]
