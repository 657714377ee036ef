"""cdk-nag findings HiveMind accepts by design, each with the reason a reviewer sees.

Acknowledgements are attached to the exact resources they concern (matched by CloudFormation
type), never to a whole stack, so a new resource of another type still gets flagged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations

from ..plan import DeploymentPlan

_PACK = "AwsSolutions::"
_MANAGED = "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{}]"


@dataclass(frozen=True)
class Accepted:
    resource_type: str
    rule: str
    reason: str
    applies: Callable[[DeploymentPlan, CfnResource], bool] = lambda plan, resource: True


def _stage1(plan: DeploymentPlan, _resource: CfnResource) -> bool:
    return plan.stage == "stage-1"


def _path_has(fragment: str) -> Callable[[DeploymentPlan, CfnResource], bool]:
    return lambda plan, resource: fragment in resource.node.path


ACCEPTED: tuple[Accepted, ...] = (
    Accepted("AWS::EC2::SecurityGroup", "AwsSolutions-EC23",
             "The internet-facing load balancer must accept HTTP(S) from anywhere; app instances accept only "
             "the load balancer's security group.", _path_has("AlbSecurityGroup")),
    Accepted("AWS::IAM::Role", _MANAGED.format("AmazonSSMManagedInstanceCore"),
             "AWS-maintained minimum for Session Manager, which replaces SSH (no key pairs, no port 22)."),
    Accepted("AWS::IAM::Role", _MANAGED.format("CloudWatchAgentServerPolicy"),
             "AWS-maintained minimum for the CloudWatch agent that ships app logs and memory/disk metrics."),
    Accepted("AWS::IAM::Role", _MANAGED.format("AWSXRayDaemonWriteAccess"),
             "AWS-maintained minimum for the X-Ray daemon (only present when tracing is enabled)."),
    Accepted("AWS::IAM::Role", "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
             "AWS-maintained minimum for RDS enhanced monitoring (OS metrics to CloudWatch Logs).",
             _path_has("MonitoringRole")),
    Accepted("AWS::AutoScaling::AutoScalingGroup", "AwsSolutions-AS3",
             "Scaling activity is in the group's activity history and on the dashboard; CPU and unhealthy-host "
             "alarms notify through the deployment's SNS topic."),
    Accepted("AWS::RDS::DBInstance", "AwsSolutions-RDS3",
             "Stage 1 is the cheapest honest setup: one single-AZ instance. Production is Multi-AZ.", _stage1),
    Accepted("AWS::RDS::DBInstance", "AwsSolutions-RDS3",
             "Read replicas serve reads only; the primary is Multi-AZ in production.", _path_has("/Replica")),
    Accepted("AWS::RDS::DBInstance", "AwsSolutions-RDS2",
             "A read replica inherits the encryption of its encrypted primary; CloudFormation rejects "
             "StorageEncrypted together with SourceDBInstanceIdentifier.", _path_has("/Replica")),
    Accepted("AWS::RDS::DBInstance", "AwsSolutions-RDS10",
             "Stage 1 stays destroyable in one command; removal still takes a final snapshot "
             "(DeletionPolicy Snapshot). Production enables deletion protection.", _stage1),
    Accepted("AWS::RDS::DBInstance", "AwsSolutions-RDS11",
             "The database sits in isolated subnets and its security group admits only the app instances; a "
             "non-default port would add no protection but break client defaults."),
    Accepted("AWS::SecretsManager::Secret", "AwsSolutions-SMG4",
             "Apps read the database secret once at boot; rotation without a coordinated restart would break "
             "running instances. Rotate by re-deploying (blue-green) after changing the secret."),
    Accepted("AWS::ElastiCache::ReplicationGroup", "AwsSolutions-AEC4",
             "Stage 1 runs one cache node; production runs two with automatic Multi-AZ failover.", _stage1),
    Accepted("AWS::ElastiCache::ReplicationGroup", "AwsSolutions-AEC5",
             "Reachable only from the app security group inside the VPC; a non-default port adds no protection."),
    Accepted("AWS::ElastiCache::ReplicationGroup", "AwsSolutions-AEC6",
             "TLS in transit and at-rest encryption are on and only the app security group can connect; no shared "
             "AUTH password has to be distributed to instances."),
    Accepted("AWS::ElasticLoadBalancingV2::LoadBalancer", "AwsSolutions-ELB2",
             "Stage 1 skips ALB access logs to keep cost minimal; production writes them to an S3 bucket.", _stage1),
    Accepted("AWS::S3::Bucket", "AwsSolutions-S1",
             "This bucket receives the load balancer's access logs; logging access to it would recurse.",
             _path_has("AccessLogs")),
)


# checkov findings accepted by design, written into each resource's Metadata (checkov's own
# `skip` format), so any checkov run on the templates sees the reason beside the resource.
CHECKOV_ACCEPTED: tuple[Accepted, ...] = (
    Accepted("AWS::S3::Bucket", "CKV_AWS_18",
             "This bucket receives the load balancer's access logs; logging access to it would recurse.",
             _path_has("AccessLogs")),
    Accepted("AWS::SNS::Topic", "CKV_AWS_26",
             "Alarm notifications carry alarm names and states only; CloudWatch cannot publish to a topic under "
             "the AWS-managed SNS key, and a customer key ($1/month, key policy) would protect nothing secret."),
    Accepted("AWS::SecretsManager::Secret", "CKV_AWS_149",
             "Encrypted with the AWS-managed Secrets Manager key; access is limited by IAM to this deployment's "
             "instance roles. A customer key adds cost and a key policy to keep in step, not protection."),
    Accepted("AWS::RDS::DBInstance", "CKV_AWS_16",
             "A read replica inherits the encryption of its encrypted primary; CloudFormation rejects "
             "StorageEncrypted together with SourceDBInstanceIdentifier.", _path_has("/Replica")),
    Accepted("AWS::RDS::DBInstance", "CKV_AWS_157",
             "Read replicas serve reads only; the primary is Multi-AZ in production.", _path_has("/Replica")),
    Accepted("AWS::RDS::DBInstance", "CKV_AWS_157",
             "Stage 1 is the cheapest honest setup: one single-AZ instance. Production is Multi-AZ.", _stage1),
    Accepted("AWS::Logs::LogGroup", "CKV_AWS_158",
             "CloudWatch Logs encrypts every log group at rest with service keys; app logs hold no secrets "
             "(values are never logged by the boot script), so a customer key would add cost, not protection."),
    Accepted("AWS::EC2::SecurityGroup", "CKV_AWS_260",
             "The internet-facing load balancer's port 80 only redirects to HTTPS (production) or is the "
             "acknowledged plain-HTTP entry (stage 1); app instances accept only the load balancer.",
             _path_has("AlbSecurityGroup")),
    Accepted("AWS::ElastiCache::ReplicationGroup", "CKV_AWS_31",
             "TLS in transit and at-rest encryption are on and only the app security group can connect; no shared "
             "AUTH token has to be distributed to instances."),
)

_TYPES = {accepted.resource_type for accepted in ACCEPTED + CHECKOV_ACCEPTED}


def acknowledge(stack: Stack, plan: DeploymentPlan) -> None:
    # Every jsii call costs a round trip to node: filter in Python, then one call per resource.
    for construct in stack.node.find_all():
        if not isinstance(construct, CfnResource):
            continue
        resource_type = construct.cfn_resource_type
        if resource_type not in _TYPES:
            continue
        rules = [
            Acknowledgment(id=_PACK + accepted.rule, reason=accepted.reason)
            for accepted in ACCEPTED
            if accepted.resource_type == resource_type and accepted.applies(plan, construct)
        ]
        if rules:
            Validations.of(construct).acknowledge(*rules)
        skips = [{"id": accepted.rule, "comment": accepted.reason} for accepted in CHECKOV_ACCEPTED
                 if accepted.resource_type == resource_type and accepted.applies(plan, construct)]
        if skips:
            construct.add_metadata("checkov", {"skip": skips})


def reasons() -> dict[str, str]:
    """Rule id -> the first reason given for it (for reports)."""
    out: dict[str, str] = {}
    for accepted in ACCEPTED:
        out.setdefault(accepted.rule, accepted.reason)
    return out
