"""What every HiveMind stack shares: region-only env, no bootstrap rule, tags, a description."""
from __future__ import annotations

from aws_cdk import DefaultStackSynthesizer, Environment, Stack, Tags
from constructs import Construct

from ...plan import DeploymentPlan
from .. import names


class HivemindStack(Stack):
    def __init__(self, scope: Construct, stack_name: str, plan: DeploymentPlan, *, kind: str, description: str) -> None:
        super().__init__(
            scope,
            stack_name,
            stack_name=stack_name,
            description=f"HiveMind {plan.name}: {description}",
            # Account-agnostic: the same template deploys to any account; HiveMind publishes its own
            # artifact, so no CDK bootstrap stack (and no BootstrapVersion rule) is needed.
            env=Environment(region=plan.region),
            synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        )
        self.plan = plan
        # Handoff parameters are left untagged: moto 5.2 cannot read AWS::SSM::Parameter's map-shaped
        # Tags, and these parameters carry the deployment in their /hivemind/<name>/ path anyway.
        for key, value in ((names.DEPLOYMENT_TAG, plan.name), (names.STACK_TAG, kind), (names.STAGE_TAG, plan.stage)):
            Tags.of(self).add(key, value, exclude_resource_types=["AWS::SSM::Parameter"])
