"""cfn-lint on every synthesized template, through its in-process API."""
from __future__ import annotations

import json
from typing import Iterable

from .findings import Finding

_SEVERITY = {"error": "error", "warning": "warning", "informational": "info", "info": "info"}




_RUNNERS: dict[str, object] = {}


def _runner(region: str):
    """One cfn-lint runner per region: loading its ~300 rules costs ~0.4 s, so it is done once."""
    if region not in _RUNNERS:
        from cfnlint.config import ConfigMixIn
        from cfnlint.runner.cli import Runner

        _RUNNERS[region] = Runner(ConfigMixIn(regions=[region]))
    return _RUNNERS[region]


def is_warm(region: str) -> bool:
    """True when this process has already linted for `region` (no child process needed)."""
    return region in _RUNNERS


# Resource types HiveMind's stacks use. cfn-lint loads each type's schema on first sight; a type
# missing here is only loaded later, at its first real template.
WARM_UP_TYPES = (
    "AWS::AutoScaling::AutoScalingGroup", "AWS::AutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard", "AWS::EC2::EIP", "AWS::EC2::FlowLog", "AWS::EC2::InternetGateway",
    "AWS::EC2::LaunchTemplate", "AWS::EC2::NatGateway", "AWS::EC2::Route", "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPC", "AWS::EC2::VPCGatewayAttachment",
    "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::SubnetGroup", "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::IAM::InstanceProfile", "AWS::IAM::Policy", "AWS::IAM::Role",
    "AWS::Logs::LogGroup", "AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup", "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy", "AWS::SNS::Subscription", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy",
    "AWS::SSM::Parameter", "AWS::SecretsManager::Secret", "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::XRay::Group", "AWS::XRay::SamplingRule",
)


def warm_up(region: str) -> None:
    """Import cfn-lint and load its rules and this region's schemas ahead of the first template."""
    resources = {f"R{i}": {"Type": rtype, "Properties": {}} for i, rtype in enumerate(WARM_UP_TYPES)}
    lint_template("warm-up", {"Resources": resources}, region)


def lint_template(stack: str, template: dict, region: str) -> list[Finding]:
    """cfn-lint findings of one template for `region`."""
    from cfnlint.decode import decode_str

    # cfn-lint's decoder marks nodes with positions that some rules rely on. Not ASCII-escaped:
    # its decoder refuses the \ud83d\ude80 surrogate pairs an emoji (any non-BMP character) becomes.
    decoded, errors = decode_str(json.dumps(template, ensure_ascii=False))
    matches = list(errors) if errors else list(_runner(region).validate_template(decoded))
    findings = []
    for match in matches:
        path = getattr(match, "path", None) or []
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else "/".join(str(p) for p in path[:2])
        findings.append(Finding(
            "cfn-lint", match.rule.id, _SEVERITY.get(str(match.rule.severity).lower(), "warning"), stack, resource,
            match.message,
        ))
    return findings


def lint_templates(templates: Iterable[tuple[str, dict]], region: str) -> list[Finding]:
    findings: list[Finding] = []
    for stack, template in templates:
        findings.extend(lint_template(stack, template, region))
    return findings



class LintWorker:
    """cfn-lint in a child process (`python -m hivemind.checks.lint_worker`), warmed up early.

    Loading cfn-lint and linting are pure Python (GIL-bound); a child process keeps them off the
    main process, which is busy driving jsii while the child loads rules and schemas. If the
    child fails, linting falls back to this process. Use as a context manager.
    """

    def __init__(self, region: str) -> None:
        import subprocess
        import sys

        self.region = region
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "hivemind.checks.lint_worker", region],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def lint(self, templates: Iterable[tuple[str, dict]]) -> list[Finding]:
        templates = list(templates)
        try:
            out, _ = self._proc.communicate(json.dumps(templates).encode())
            if self._proc.returncode == 0:
                return [Finding.from_dict(item) for item in json.loads(out)]
        except (OSError, ValueError):
            pass
        return lint_templates(templates, self.region)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> "LintWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
