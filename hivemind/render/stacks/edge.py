"""`<name>-edge`: the ALB, its listener(s) and a blue and a green target group per web service.

Routing between several web services: the first web service of the plan takes the listener's
default action, every further one gets a path rule for `/<service>` and `/<service>/*`.
"""
from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib import WebEdge, WebTarget

from ...plan import DeploymentPlan
from ..options import RenderOptions
from .. import handoff, names
from ..tls import creates_certificate, uses_tls
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
        production = plan.stage == "production"
        self.access_logs: s3.Bucket | None = None
        if production:
            # Access logs are an audit record: the bucket outlives the stack, keeps 90 days (versions
            # 30 days more), accepts TLS only. SSE-S3 because ALB log delivery cannot use SSE-KMS.
            self.access_logs = s3.Bucket(
                self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.RETAIN,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, versioned=True,
                lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90),
                                                  noncurrent_version_expiration=Duration.days(30),
                                                  abort_incomplete_multipart_upload_after=Duration.days(7))],
            )
        zone = None
        if plan.domain and plan.hosted_zone_id:
            # From attributes, not a lookup: synth stays offline and deterministic.
            zone = route53.PublicHostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=plan.hosted_zone_id, zone_name=plan.zone_name)
        certificate_arn = plan.certificate_arn
        if creates_certificate(plan):
            certificate = acm.Certificate(self, "Certificate", domain_name=plan.domain,
                                          validation=acm.CertificateValidation.from_dns(zone))
            certificate_arn = certificate.certificate_arn
        self.edge = WebEdge(
            self, "Edge", vpc=vpc, security_group=handoff.import_security_group(self, plan.name, "alb"),
            subnets=handoff.subnets(vpc, "public"), targets=targets, colors=EDGE_COLORS,
            weights={c: options.weights.get(c, 0) for c in EDGE_COLORS}, certificate_arn=certificate_arn,
            access_log_bucket=self.access_logs, access_log_prefix="alb" if self.access_logs else None,
            # Production: a stray delete cannot take the entry point down. The destroy workflow renders
            # with alb_deletion_protection=False and updates this stack before deleting it.
            deletion_protection=production and options.alb_deletion_protection,
            test_ingress_cidrs=options.test_listener_cidrs,
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
        if zone is not None:
            route53.ARecord(self, "Alias", zone=zone, record_name=plan.domain,
                            target=route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(alb)))
        scheme = "https" if uses_tls(plan) else "http"
        url = f"{scheme}://{plan.domain if zone is not None else alb.load_balancer_dns_name}"
        handoff.publish(self, "UrlParam", names.url_parameter(plan.name), url, "public URL")
        CfnOutput(self, "Url", value=url, description="Public URL of the load balancer")

