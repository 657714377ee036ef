"""`<name>-network`: VPC, flow logs, the security groups of every tier, the service log groups.

Security groups live here (not beside their resources) so that each rule can name its peer group
without a cross-stack reference, and log groups live here so they outlive the colour stacks.
"""
from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib import Network
from constructs_lib.cache import REDIS_PORT
from constructs_lib.database import DEFAULT_PORTS

from ...plan import DeploymentPlan
from .. import handoff, names
from ..tls import uses_tls
from .base import HivemindStack

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(days: int) -> logs.RetentionDays:
    """The closest CloudWatch retention that keeps logs at least `days` days."""
    for allowed in sorted(_RETENTION):
        if allowed >= days:
            return _RETENTION[allowed]
    return logs.RetentionDays.FIVE_YEARS


class NetworkStack(HivemindStack):
    def __init__(self, scope: Construct, plan: DeploymentPlan) -> None:
        super().__init__(scope, names.stack_name(plan.name, "network"), plan, kind="network",
                         description="VPC, subnet tiers, security groups, log groups")
        production = plan.stage == "production"
        # Production: one NAT gateway per AZ, so losing an AZ never cuts the other AZ's instances off
        # from AWS APIs and the internet (~$33/month each). Stage 1 has none: instances sit in public subnets.
        self.network = Network(
            self, "Network", max_azs=handoff.AZ_COUNT, nat_gateways=handoff.AZ_COUNT if production else 0,
            flow_log_retention=retention(plan.observability.log_retention_days),
        )
        vpc = self.network.vpc
        handoff.publish(self, "VpcIdParam", names.vpc_parameter(plan.name), vpc.vpc_id, "VPC id")
        for tier in handoff.TIERS:
            for index, subnet in enumerate(self.network.subnets(tier)):
                handoff.publish(self, f"Subnet{tier.capitalize()}{index}Param",
                                names.subnet_parameter(plan.name, tier, index), subnet.subnet_id, f"{tier} subnet {index}")

        self.app_sg = ec2.SecurityGroup(self, "AppSecurityGroup", vpc=vpc, allow_all_outbound=True,
                                        description="App instances: ingress only from the load balancer")
        groups = {"app": self.app_sg}
        web = plan.web_services
        if web:
            alb_sg = ec2.SecurityGroup(self, "AlbSecurityGroup", vpc=vpc, allow_all_outbound=False,
                                       description="Internet-facing load balancer")
            listener_ports = [443, 80] if uses_tls(plan) else [80]
            for port in listener_ports:
                alb_sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port), f"HTTP{'S' if port == 443 else ''} from the internet")
            for port in sorted({s.port for s in web}):
                alb_sg.add_egress_rule(self.app_sg, ec2.Port.tcp(port), f"to app port {port}")
                self.app_sg.add_ingress_rule(alb_sg, ec2.Port.tcp(port), f"from the load balancer on {port}")
            groups["alb"] = alb_sg
        if plan.database:
            port = DEFAULT_PORTS[plan.database.engine]
            db_sg = ec2.SecurityGroup(self, "DbSecurityGroup", vpc=vpc, allow_all_outbound=False,
                                      description=f"{plan.database.engine}: ingress only from the app instances")
            db_sg.add_ingress_rule(self.app_sg, ec2.Port.tcp(port), "from the app instances")
            groups["db"] = db_sg
        if plan.cache:
            cache_sg = ec2.SecurityGroup(self, "CacheSecurityGroup", vpc=vpc, allow_all_outbound=False,
                                         description="Redis: ingress only from the app instances")
            cache_sg.add_ingress_rule(self.app_sg, ec2.Port.tcp(REDIS_PORT), "from the app instances")
            groups["cache"] = cache_sg
        for role, group in groups.items():
            handoff.publish(self, f"{role.capitalize()}SecurityGroupParam",
                            names.security_group_parameter(plan.name, role), group.security_group_id,
                            f"{role} security group")

        for service in plan.services:
            logs.LogGroup(
                self, f"Logs{''.join(p.capitalize() for p in service.name.split('-'))}",
                log_group_name=names.log_group_name(plan.name, service.name),
                retention=retention(plan.observability.log_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            )
