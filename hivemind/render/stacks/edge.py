"""`<name>-edge`: the ALB, its listener(s) and a blue and a green target group per web service.

Routing between several web services: the first web service of the plan takes the listener's
default action, every further one gets a path rule for `/<service>` and `/<service>/*`.
"""
from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib import WebEdge, WebTarget

from ...plan import DeploymentPlan
from ..options import RenderOptions
from .. import handoff, names
from .base import HivemindStack

EDGE_COLORS = ("blue", "green")


class EdgeStack(HivemindStack):
    def __init__(self, scope: Construct, plan: DeploymentPlan, options: RenderOptions) -> None:
        super().__init__(scope, names.stack_name(plan.name, "edge"), plan, kind="edge",
                         description="load balancer, listener, blue and green target groups")
        vpc = handoff.import_vpc(self, plan.name, self.availability_zones, ("public",), with_vpc_id=True)
        web = plan.web_services
        targets = [
            WebTarget(name=s.name, port=s.port, health_check_path=s.health_check_path,
                      path_prefix=None if i == 0 else s.name)
            for i, s in enumerate(web)
        ]
        self.access_logs: s3.Bucket | None = None
        if plan.stage == "production":
            # Access logs are an audit record: the bucket outlives the stack.
            self.access_logs = s3.Bucket(
                self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.RETAIN,
                lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            )
        self.edge = WebEdge(
            self, "Edge", vpc=vpc, security_group=handoff.import_security_group(self, plan.name, "alb"),
            subnets=handoff.subnets(vpc, "public"), targets=targets, colors=EDGE_COLORS,
            weights={c: options.weights.get(c, 0) for c in EDGE_COLORS}, certificate_arn=plan.certificate_arn,
            access_log_bucket=self.access_logs, access_log_prefix="alb" if self.access_logs else None,
        )
        alb = self.edge.load_balancer
        # Dimension values derived from the ARNs ("app/<name>/<id>", "targetgroup/<name>/<id>").
        handoff.publish(self, "LoadBalancerDimensionParam", names.load_balancer_dimension_parameter(plan.name),
                        Fn.select(1, Fn.split("loadbalancer/", alb.load_balancer_arn)), "ALB metric dimension")
        for (service, color), group in self.edge.target_groups.items():
            key = f"{''.join(p.capitalize() for p in service.split('-'))}{color.capitalize()}"
            handoff.publish(self, f"TargetGroupArn{key}", names.target_group_parameter(plan.name, service, color),
                            group.target_group_arn, f"{service} {color} target group")
            handoff.publish(self, f"TargetGroupDim{key}", names.target_group_dimension_parameter(plan.name, service, color),
                            Fn.select(5, Fn.split(":", group.target_group_arn)), f"{service} {color} metric dimension")
        scheme = "https" if plan.certificate_arn else "http"
        url = f"{scheme}://{alb.load_balancer_dns_name}"
        handoff.publish(self, "UrlParam", names.url_parameter(plan.name), url, "public URL")
        CfnOutput(self, "Url", value=url, description="Public URL of the load balancer")

