"""An internet-facing ALB with a blue and a green target group per web service.

The listener's forward actions carry the colour weights, so shifting traffic is one update of the
stack that owns this construct. When one colour takes all traffic the action is a plain forward to
its target group; during a shift it is a weighted forward over both. A test listener (no ingress
by default) forwards to the colour with the least traffic, so the idle colour's target group is
always attached to the load balancer and health-checked before it receives users.

Several services share the ALB: the first one is the default action, each further one gets a
path-based listener rule (`/<prefix>` and `/<prefix>/*`) on every listener.

With a certificate, the public listener is HTTPS:443 with a TLS 1.3 policy, port 80 only redirects
to 443, and the test listener is HTTPS too. The test listener is reachable by nobody unless
`test_ingress_cidrs` names who may reach it (e.g. the verifying machine's address).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct


@dataclass(frozen=True)
class WebTarget:
    """One web service behind the ALB."""

    name: str
    port: int
    health_check_path: str = "/"
    # None: the listener's default action. Otherwise requests under this path prefix.
    path_prefix: str | None = None


class WebEdge(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        subnets: Sequence[ec2.ISubnet],
        targets: Sequence[WebTarget],
        colors: Sequence[str] = ("blue", "green"),
        weights: Mapping[str, int] | None = None,
        certificate_arn: str | None = None,
        access_log_bucket: s3.IBucket | None = None,
        access_log_prefix: str | None = None,
        test_port: int | None = 9000,
        test_ingress_cidrs: Sequence[str] = (),
        # TLS 1.3 with TLS 1.2 fallback: TLS13-1-3 alone would refuse clients that predate TLS 1.3
        # (older Android, Java 8, some corporate proxies) for no gain against a modern client.
        ssl_policy: elbv2.SslPolicy = elbv2.SslPolicy.RECOMMENDED_TLS,
        deletion_protection: bool = False,
        # During a weighted shift a user keeps the colour they first got (no version flip-flop
        # between requests of one session); outside a shift the action is a plain forward.
        shift_stickiness: Duration | None = Duration.hours(1),
    ) -> None:
        super().__init__(scope, construct_id)
        if not targets:
            raise ValueError("WebEdge needs at least one target")
        if sum(1 for t in targets if t.path_prefix is None) != 1:
            raise ValueError("exactly one WebTarget must be the default (path_prefix=None)")
        weights = {color: int((weights or {colors[0]: 100}).get(color, 0)) for color in colors}
        if sum(weights.values()) <= 0:
            raise ValueError("at least one colour needs a positive weight")

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            internet_facing=True,
            security_group=security_group,
            vpc_subnets=ec2.SubnetSelection(subnets=list(subnets)),
            drop_invalid_header_fields=True,
            deletion_protection=deletion_protection,
        )
        self._stickiness = shift_stickiness
        if access_log_bucket is not None:
            self.load_balancer.log_access_logs(access_log_bucket, access_log_prefix)

        # target_groups[(service, colour)]
        self.target_groups: dict[tuple[str, str], elbv2.ApplicationTargetGroup] = {}
        for target in targets:
            for color in colors:
                self.target_groups[(target.name, color)] = elbv2.ApplicationTargetGroup(
                    self,
                    f"{_pascal(target.name)}{_pascal(color)}",
                    vpc=vpc,
                    port=target.port,
                    protocol=elbv2.ApplicationProtocol.HTTP,
                    target_type=elbv2.TargetType.INSTANCE,
                    deregistration_delay=Duration.seconds(30),
                    health_check=elbv2.HealthCheck(
                        path=target.health_check_path,
                        healthy_http_codes="200-399",
                        interval=Duration.seconds(15),
                        healthy_threshold_count=2,
                        unhealthy_threshold_count=3,
                    ),
                )

        default = next(t for t in targets if t.path_prefix is None)
        if certificate_arn:
            self.listener = self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)],
                ssl_policy=ssl_policy,
                open=False,
                default_action=self._forward(default.name, colors, weights),
            )
            self.load_balancer.add_listener(
                "HttpRedirect",
                port=80,
                open=False,
                default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port="443", permanent=True),
            )
        else:
            self.listener = self.load_balancer.add_listener(
                "Http", port=80, open=False, default_action=self._forward(default.name, colors, weights)
            )

        self.test_listener: elbv2.ApplicationListener | None = None
        if test_port and len(colors) > 1:
            idle = min(colors, key=lambda c: (weights[c], colors.index(c) == 0))
            self.idle_color = idle
            tls = dict(protocol=elbv2.ApplicationProtocol.HTTPS, ssl_policy=ssl_policy,
                       certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)]) if certificate_arn else \
                dict(protocol=elbv2.ApplicationProtocol.HTTP)
            self.test_listener = self.load_balancer.add_listener(
                "Test", port=test_port, open=False,
                default_action=self._forward(default.name, colors, {idle: 100}), **tls,
            )
            for index, cidr in enumerate(test_ingress_cidrs):
                # A separate rule resource: the security group may belong to another stack.
                ec2.CfnSecurityGroupIngress(
                    self, f"TestIngress{index}", group_id=security_group.security_group_id, ip_protocol="tcp",
                    from_port=test_port, to_port=test_port, cidr_ip=cidr,
                    description="test listener: the verifying machine only",
                )

        for listener in (self.listener, self.test_listener):
            if listener is None:
                continue
            listener_weights = weights if listener is self.listener else {self.idle_color: 100}
            priority = 10
            for target in targets:
                if target.path_prefix is None:
                    continue
                prefix = "/" + target.path_prefix.strip("/")
                listener.add_action(
                    f"Route{_pascal(target.name)}",
                    priority=priority,
                    conditions=[elbv2.ListenerCondition.path_patterns([prefix, f"{prefix}/*"])],
                    action=self._forward(target.name, colors, listener_weights),
                )
                priority += 10

    def _forward(self, service: str, colors: Sequence[str], weights: Mapping[str, int]) -> elbv2.ListenerAction:
        live = [color for color in colors if weights.get(color, 0) > 0]
        if len(live) == 1:
            return elbv2.ListenerAction.forward([self.target_groups[(service, live[0])]])
        groups = [
            elbv2.WeightedTargetGroup(target_group=self.target_groups[(service, color)], weight=int(weights.get(color, 0)))
            for color in colors
        ]
        return elbv2.ListenerAction.weighted_forward(groups, stickiness_duration=self._stickiness)


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("_", "-").split("-"))
