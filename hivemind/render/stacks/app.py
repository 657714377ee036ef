"""`<name>-app-<colour>`: one fleet per service (launch template + ASG + role + user data).

Target group ARNs come from the edge stack's SSM parameters, so this stack has no import of the
edge and can be deleted (retiring a colour) while the edge lives.
"""
from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_lib import AppFleet

from ...plan import DeploymentPlan, Service
from ..options import RenderOptions
from .. import handoff, names
from ..userdata import build_cache, render_user_data, secret_ref
from .base import HivemindStack


def secret_arn(stack: Stack, reference: str) -> str:
    """IAM resource for a secret reference: the ARN itself, or the name with AWS's random suffix."""
    if reference.startswith("arn:"):
        return reference
    return stack.format_arn(service="secretsmanager", resource="secret", resource_name=f"{reference}-??????",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME)


def parameter_arn(stack: Stack, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return stack.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))


def _uname_arch(service: Service) -> str:
    """The instance type's architecture as `uname -m` names it."""
    arm = ec2.InstanceType(service.instance_type).architecture == ec2.InstanceArchitecture.ARM_64
    return "aarch64" if arm else "x86_64"


class AppStack(HivemindStack):
    def __init__(self, scope: Construct, plan: DeploymentPlan, options: RenderOptions, color: str) -> None:
        super().__init__(scope, names.stack_name(plan.name, "app", color), plan, kind=f"app-{color}",
                         description=f"{color} app fleet")
        self.color = color
        self.options = options
        production = plan.stage == "production"
        # Stage 1 has no NAT: instances sit in public subnets with a public IP, reachable only from the ALB.
        tier = "private" if production else "public"
        vpc = handoff.import_vpc(self, plan.name, self.availability_zones, (tier,))
        subnets = handoff.subnets(vpc, tier)
        app_sg = handoff.import_security_group(self, plan.name, "app")
        artifact = options.artifacts.get(color)
        self.fleets: dict[str, AppFleet] = {}
        for service in plan.services:
            self.fleets[service.name] = self._fleet(plan, service, vpc, subnets, app_sg, artifact, public_ip=not production)

    def _machine_image(self, service: Service) -> ec2.IMachineImage | None:
        """The release's pinned AMI for this colour (and architecture), else None: the fleet then
        reads the public latest-AL2023 SSM parameter, which moves whenever AWS publishes an image."""
        arm = ec2.InstanceType(service.instance_type).architecture == ec2.InstanceArchitecture.ARM_64
        image_id = self.options.image_id(self.color, "arm64" if arm else "x86_64")
        return ec2.MachineImage.generic_linux({self.region: image_id}) if image_id else None

    def _fleet(self, plan: DeploymentPlan, service: Service, vpc: ec2.IVpc, subnets, app_sg, artifact, *, public_ip: bool) -> AppFleet:
        target_groups = []
        if service in plan.web_services:
            target_groups = [handoff.read(self, names.target_group_parameter(plan.name, service.name, self.color))]
        # The database secret's name, resolved by CloudFormation from the data stack's SSM parameter
        # (its suffix is unique per data stack, so it cannot be derived from the plan).
        database_secret = handoff.read(self, names.database_secret_parameter(plan.name)) if plan.database else None
        read_host = (handoff.read(self, names.database_read_host_parameter(plan.name))
                     if plan.database and plan.database.read_replicas else None)
        # A Linux UserData (not custom) so the fleet can add its cfn-signal exit trap in front.
        user_data = ec2.UserData.for_linux()
        user_data.add_commands(render_user_data(plan, service, self.color, artifact, database_secret=database_secret,
                                                database_read_host=read_host, arch=_uname_arch(service))
                               .removeprefix("#!/bin/bash\n"))
        fleet = AppFleet(
            self, "".join(p.capitalize() for p in service.name.split("-")),
            vpc=vpc, subnets=subnets, security_group=app_sg, user_data=user_data,
            instance_type=service.instance_type, min_capacity=service.min_instances, max_capacity=service.max_instances,
            public_ip=public_ip, target_group_arns=target_groups,
            group_name=names.group_name(plan.name, service.name, self.color), xray=plan.observability.xray,
            machine_image=self._machine_image(service),
        )
        if artifact:
            fleet.grant_read_object(artifact.bucket, artifact.key)
            shared = build_cache(plan, service, artifact, _uname_arch(service))
            if shared:
                fleet.grant_read_write_objects(shared["bucket"], [shared["key"], shared["checksum_key"]])
        for reference in service.secrets.values():
            ref = secret_ref(reference)
            if ref.kind == "ssm":
                fleet.grant_parameter_read(parameter_arn(self, reference if reference.startswith("arn:") else ref.name))
            else:
                fleet.grant_secret_read(secret_arn(self, reference))
        if database_secret:
            fleet.grant_secret_read(secret_arn(self, database_secret))
        if plan.cache:
            fleet.grant_describe_cache(self.format_arn(
                service="elasticache", resource="replicationgroup", resource_name=names.cache_group_id(plan.name),
                arn_format=ArnFormat.COLON_RESOURCE_NAME))
        return fleet
