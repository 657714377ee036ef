"""`hivemind upgrade ID --to-production`: stage-1 -> production in place, from the state kept in
AWS alone (a CI runner has no repository checkout of the plan and no ~/.hivemind).

The stored plan is rewritten to production sizing (2+ instances across AZs, Multi-AZ database,
one read replica, 7-day backups, deletion protection) and released blue-green with the live
artifact: one wave of change sets in dependency order updates the network (NAT gateways, same
VPC and subnets), the data stack (in-place database modifications, the replica as a new
resource) and the edge, and creates the idle colour in the private subnets; then traffic shifts
and the stage-1 colour is retired, so the app serves throughout. The stateful guard refuses any
replacement of a VPC, subnet, database, cache or bucket unless --allow-replacement. Afterwards the
data stack gets a stack policy denying Update:Replace and Update:Delete, and the data and network
stacks termination protection.
"""
from __future__ import annotations

import json

from ..aws import aws_errors, client
from ..plan import DeploymentPlan
from ..plan.stages import apply_stage
from ..render.names import stack_name
from ..state import DeploymentStatus
from .deploy import DeployResult
from .operation import Operation, Refused
from .rollout import Tuning
from .ui import UserInterface
from .update import HEALTHY_TIMEOUT_S, run_release

S = DeploymentStatus
# Stack policy for the data stack in production: nothing in it is replaced or deleted by an update.
DATA_STACK_POLICY = {"Statement": [
    {"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Principal": "*", "Resource": "*"},
    {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
]}


def production_plan(plan: DeploymentPlan, *, certificate_arn: str | None = None,
                    http_only_reason: str | None = None) -> DeploymentPlan:
    """The plan at production sizing; TLS settings given on the command line are added."""
    upgraded = apply_stage(plan, "production")
    data = upgraded.model_dump()
    if certificate_arn:
        data["certificate_arn"] = certificate_arn
    if http_only_reason:
        data["http_only_reason"] = http_only_reason
    return DeploymentPlan.model_validate(data)


def upgrade(deployment_id: str, *, to_production: bool = True, bake: int | None = None, what_if: bool = False,
            yes: bool = False, allow_replacement: bool = False, certificate_arn: str | None = None,
            http_only_reason: str | None = None, region: str | None = None, ui: UserInterface | None = None,
            tuning: Tuning | None = None, healthy_timeout: float = HEALTHY_TIMEOUT_S,
            wait_lock: float | str = 0.0) -> DeployResult:
    if not to_production:
        raise Refused("upgrade needs a target: --to-production")
    if bake is not None and bake < 0:
        raise Refused("--bake must be 0 or more seconds")
    op = Operation(deployment_id, "upgrade", region=region, ui=ui, what_if=what_if, wait_lock=wait_lock)
    with op:
        state = op.state
        if state.stage == "production" or state.plan.stage == "production":
            raise Refused(f"deployment '{deployment_id}' is in production already")
        live = state.live_release
        if live is None:
            raise Refused(f"deployment '{deployment_id}' has no live release to upgrade; run `hivemind deploy`")
        plan = production_plan(state.plan, certificate_arn=certificate_arn, http_only_reason=http_only_reason)
        if plan.web_services and not (plan.certificate_arn or plan.domain or plan.http_only_reason):
            raise Refused("production serves HTTPS: pass --certificate-arn ARN (or set certificate_arn or domain in "
                          "the plan), or --http-only-reason TEXT to accept plain HTTP")
        result = run_release(op, plan, None, artifact=live.artifact, bake=bake, yes=yes,
                             allow_replacement=allow_replacement, tuning=tuning or Tuning(), strategy="upgrade",
                             healthy_timeout=healthy_timeout)
        if result.lifecycle is not None and result.lifecycle.status == "succeeded":
            protect_production_stacks(plan)
        return result


def protect_production_stacks(plan: DeploymentPlan) -> None:
    """Stack settings (not resources): a stack policy on the data stack, termination protection
    on the data and network stacks."""
    cfn = client("cloudformation", plan.region)
    data, network = stack_name(plan.name, "data"), stack_name(plan.name, "network")
    has_data = bool(plan.database or plan.cache)
    with aws_errors("protecting the production stacks"):
        if has_data:
            cfn.set_stack_policy(StackName=data, StackPolicyBody=json.dumps(DATA_STACK_POLICY))
        for name in ((data,) if has_data else ()) + (network,):
            cfn.update_termination_protection(StackName=name, EnableTerminationProtection=True)
