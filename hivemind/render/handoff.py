"""Values handed from one stack to another through SSM parameters (no CloudFormation exports).

The producer writes an `AWS::SSM::Parameter`; the consumer declares a template parameter of type
`AWS::SSM::Parameter::Value<String>` that CloudFormation resolves at deploy time. Deleting or
replacing a consumer never blocks on an export, and no lookup happens at synth time.
"""
from __future__ import annotations

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from . import names

AZ_COUNT = 2
UNUSED_VPC_ID = "vpc-not-used-by-this-stack"
TIERS = ("public", "private", "isolated")


def publish(scope: Construct, construct_id: str, parameter_name: str, value: str, description: str) -> ssm.StringParameter:
    return ssm.StringParameter(
        scope, construct_id, parameter_name=parameter_name, string_value=value, description=description
    )


def read(scope: Construct, parameter_name: str) -> str:
    return ssm.StringParameter.value_for_string_parameter(scope, parameter_name)


def import_vpc(
    scope: Construct, plan_name: str, availability_zones: list[str], tiers: tuple[str, ...], *, with_vpc_id: bool = False
) -> ec2.IVpc:
    """The network stack's VPC, rebuilt from its published ids (only the tiers this stack uses).

    Stacks whose resources never name the VPC (RDS, ASG: they take subnets) skip the VPC id, so
    their templates carry no unused parameter; tests assert UNUSED_VPC_ID never reaches a template.
    """
    subnet_ids = {
        tier: [read(scope, names.subnet_parameter(plan_name, tier, i)) for i in range(AZ_COUNT)] for tier in tiers
    }
    # Route tables are not needed by consumers (they only place resources in subnets).
    Annotations.of(scope).acknowledge_warning(
        "@aws-cdk/aws-ec2:noSubnetRouteTableId", "consumer stacks never touch the network stack's route tables"
    )
    return ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id=read(scope, names.vpc_parameter(plan_name)) if with_vpc_id else UNUSED_VPC_ID,
        availability_zones=availability_zones[:AZ_COUNT],
        public_subnet_ids=subnet_ids.get("public"),
        private_subnet_ids=subnet_ids.get("private"),
        isolated_subnet_ids=subnet_ids.get("isolated"),
    )


def subnets(vpc: ec2.IVpc, tier: str) -> list[ec2.ISubnet]:
    if tier == "public":
        return list(vpc.public_subnets)
    if tier == "private":
        return list(vpc.private_subnets)
    return list(vpc.isolated_subnets)


def import_security_group(scope: Construct, plan_name: str, role: str) -> ec2.ISecurityGroup:
    # Immutable: the rules live in the network stack, consumers never add to them.
    return ec2.SecurityGroup.from_security_group_id(
        scope, f"{role.capitalize()}SecurityGroup", read(scope, names.security_group_parameter(plan_name, role)),
        mutable=False,
    )
