"""CloudFormation's execution role: what HiveMind's templates create, and nothing else.

The role is passed to CloudFormation with RoleARN (the model of the CDK bootstrap's and Copilot's
execution roles): CloudFormation, not the deployer, then holds the rights to create resources.
Its actions come from the resource types the templates contain (catalogue.py) through the
CloudFormation resource provider schemas that cfn-lint ships: each type's `handlers.create /
read / update / delete .permissions` are what CloudFormation calls to manage it.
"""
from __future__ import annotations

import fnmatch
import functools
import re

from ..render import names
from .document import Scope, UnscopedActions, document, statement

HANDLERS = ("create", "read", "update", "delete")  # not "list": CloudFormation lists only for imports

# Services some handlers name for features HiveMind's templates never set, dropped whole.
UNUSED_FEATURES = {
    "s3tables": "S3 Tables (AWS::S3::Bucket's handler covers table buckets)",
    "managed-fleets": "Auto Scaling managed fleets",
    "vpc-lattice": "VPC Lattice target groups on an Auto Scaling group",
    "firehose": "log delivery to Kinesis Data Firehose",
    "acm-pca": "private CA certificates (HiveMind's are public, DNS-validated)",
    "cognito-idp": "Cognito authentication on a listener",
    "redshift": "Redshift log delivery", "redshift-serverless": "Redshift log delivery",
    "docdb-elastic": "DocumentDB elastic clusters",
}

# Handler actions that are not for HiveMind's templates: AWS::IAM::Policy can attach to users and
# groups, HiveMind's attach to roles only.
# The S3 bucket's handler also lists API operation names that are no IAM action; IAM authorizes
# them with the Put* action the handler lists too (DeleteBucketCors -> s3:PutBucketCORS, ...).
NOT_USED = frozenset({"iam:DeleteGroupPolicy", "iam:DeleteUserPolicy", "iam:GetGroupPolicy", "iam:GetUserPolicy",
                      "iam:PutGroupPolicy", "iam:PutUserPolicy",
                      "s3:DeleteBucketAnalyticsConfiguration", "s3:DeleteBucketCors", "s3:DeleteBucketEncryption",
                      "s3:DeleteBucketLifecycle", "s3:DeleteBucketMetricsConfiguration", "s3:DeleteBucketReplication",
                      "s3:PutBucketReplication", "s3:PutObjectLockConfiguration",
                      # Cross-region replication of automated backups: HiveMind's databases set none.
                      "rds:StartDBInstanceAutomatedBackupsReplication",
                      "rds:StopDBInstanceAutomatedBackupsReplication"})
# An IAM action name is letters and digits (the S3 bucket's handler also lists "s3:REST.PUT.OBJECT",
# which is no action).
ACTION_NAME = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+\*?")

# Non-read actions IAM authorizes on "*" only (no resource-level permission), whatever the service.
NO_RESOURCE_LEVEL = frozenset({
    "cloudwatch:GetMetricData", "secretsmanager:GetRandomPassword", "xray:GetSamplingRules",
    "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe",  # subscriptions
    # Log delivery (RDS/ElastiCache log exports, flow logs) and log resource policies.
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:PutResourcePolicy", "logs:DeleteResourcePolicy",
})

# A handler's wildcard ("ec2:Describe*") is narrowed to the actions of that shape the handlers of
# the same templates name explicitly, plus these, which the wildcard holders (the Auto Scaling
# group's handler) are documented to call and no other handler names.
WILDCARD_EXTRAS = {
    "ec2:Describe*": ("ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeInstanceTypes",
                      "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeLaunchTemplateVersions"),
    "ec2:Get*": ("ec2:GetInstanceTypesFromInstanceRequirements",),
    "autoscaling:Describe*": ("autoscaling:DescribeScalingActivities",),
    "ssm:Get*": ("ssm:GetParameter", "ssm:GetParameters"),  # the launch template's public AMI parameter
}

# Destructive calls on EC2, Auto Scaling, ELB and ACM resources, whose ids are generated: allowed
# only on resources carrying the deployment's tag (CloudFormation puts the stack tags on every
# resource type that takes tags; these calls act on such types). Other calls on those services
# act on untaggable things (routes, listeners, rules) or before the tag exists (creates).
TAG_GUARDED = frozenset({
    "ec2:DeleteVpc", "ec2:DeleteSubnet", "ec2:DeleteInternetGateway", "ec2:DeleteRouteTable",
    "ec2:DeleteRoute", "ec2:DeleteNatGateway", "ec2:ReleaseAddress", "ec2:DeleteSecurityGroup",
    "ec2:DeleteLaunchTemplate", "ec2:DeleteFlowLogs", "ec2:TerminateInstances",
    "autoscaling:DeleteAutoScalingGroup", "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup", "acm:DeleteCertificate",
})
READ_PREFIXES = ("Describe", "List")  # metadata reads: many support no resource-level permission


@functools.lru_cache(maxsize=None)
def handler_permissions(resource_type: str, region: str = "us-east-1") -> tuple[str, ...]:
    """The actions CloudFormation's handlers for `resource_type` call (cfn-lint's provider schema)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    handlers = schema.get("handlers") or {}
    if not handlers:
        raise UnscopedActions(f"{resource_type}: its provider schema lists no handler permissions")
    return tuple(sorted({p for h in HANDLERS for p in (handlers.get(h) or {}).get("permissions", [])}))


def template_actions(resource_types: set[str] | list[str]) -> set[str]:
    """Every action the handlers of `resource_types` need, wildcards narrowed, unused features dropped."""
    named: set[str] = set()
    wildcards: set[str] = set()
    for resource_type in resource_types:
        for action in handler_permissions(resource_type):
            if action.split(":")[0] in UNUSED_FEATURES or action in NOT_USED or not ACTION_NAME.fullmatch(action):
                continue
            (wildcards if "*" in action else named).add(action)
    for pattern in wildcards:
        named.update(a for a in list(named) if fnmatch.fnmatchcase(a, pattern))
        named.update(WILDCARD_EXTRAS.get(pattern, ()))
    return named


def trust_policy() -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _deployment_condition(scope: Scope) -> dict:
    key = f"aws:ResourceTag/{names.DEPLOYMENT_TAG}"
    if scope.deployment:
        return {"StringEquals": {key: scope.deployment}}
    return {"Null": {key: "false"}}  # any HiveMind deployment: the tag must be there


def _named_resources(prefix: str, scope: Scope) -> list[str] | None:
    """ARNs of what the templates name deterministically (render/names.py; CloudFormation names
    the rest `<stack name>-<logical id>-<suffix>`, so they start with the deployment's id). None
    for services whose resources only have generated ids."""
    d = scope.name_pattern
    if prefix == "iam":
        return [scope.arn("iam", f"role/{d}-*", region=False), scope.arn("iam", f"instance-profile/{d}-*", region=False),
                scope.arn("iam", f"policy/{d}-*", region=False),
                # RDS, Auto Scaling, ELB and ElastiCache create their service-linked roles on first use.
                scope.arn("iam", "role/aws-service-role/*", region=False)]
    if prefix == "ssm":
        return [scope.arn("ssm", f"parameter{names.parameter_prefix(d)}/*"),
                scope.arn("ssm", "parameter/aws/service/*", account=False)]  # public AMI ids
    if prefix == "secretsmanager":
        return [scope.arn("secretsmanager", f"secret:{names.database_secret_prefix(d)}*")]
    if prefix == "logs":
        return [scope.arn("logs", f"log-group:{names.log_group_name(d, '*')}"),
                scope.arn("logs", f"log-group:{names.log_group_name(d, '*')}:*"),
                scope.arn("logs", f"log-group:{d}-*"), scope.arn("logs", f"log-group:{d}-*:*"),
                scope.arn("logs", f"log-group:/aws/rds/instance/{names.database_identifier(d)}*")]
    if prefix == "rds":
        return [scope.arn("rds", f"{kind}:{d}-*") for kind in ("db", "subgrp", "pg", "snapshot")] + [
                # A database without its own groups uses the engine's default ones.
                scope.arn("rds", "og:default:*"), scope.arn("rds", "pg:default.*")]
    if prefix == "elasticache":
        # The replication group's id may be the deployment's id cut and hashed (names.cache_group_id).
        base = names.cache_group_id(d).removesuffix("-redis") if scope.deployment else "*"
        return [scope.arn("elasticache", f"{kind}:{base}*") for kind in ("replicationgroup", "cluster", "snapshot")] + [
                scope.arn("elasticache", f"subnetgroup:{d}-*"), scope.arn("elasticache", "parametergroup:default.*"),
                scope.arn("elasticache", "user:default")]
    if prefix == "cloudwatch":
        return [scope.arn("cloudwatch", f"alarm:{d}-*"),
                scope.arn("cloudwatch", f"dashboard/{names.dashboard_name(d)}", region=False)]
    if prefix == "sns":
        return [scope.arn("sns", f"{d}-*")]
    if prefix == "s3":
        return [f"arn:{scope.partition}:s3:::{d}-*", f"arn:{scope.partition}:s3:::{d}-*/*"]
    if prefix == "xray":
        group = names.xray_group_name(d) if scope.deployment else "hivemind-*"
        rule = names.xray_sampling_rule_name(d) if scope.deployment else "hm-*"
        return [scope.arn("xray", f"group/{group}/*"), scope.arn("xray", f"sampling-rule/{rule}")]
    if prefix == "route53":
        return [f"arn:{scope.partition}:route53:::hostedzone/*", f"arn:{scope.partition}:route53:::change/*"]
    if prefix == "kms":
        return [scope.arn("kms", "key/*")]
    return None


# Services whose resources have generated ids only: mutations on "*", destructive ones tag-guarded.
GENERATED_IDS = frozenset({"ec2", "autoscaling", "elasticloadbalancing", "acm"})


def execution_policy(resource_types: set[str] | list[str], scope: Scope) -> dict:
    actions = template_actions(resource_types)
    reads = {a for a in actions if a.split(":")[1].startswith(READ_PREFIXES)}
    anywhere = actions & NO_RESOURCE_LEVEL
    by_prefix: dict[str, set[str]] = {}
    for action in actions - reads - anywhere:
        by_prefix.setdefault(action.split(":")[0], set()).add(action)
    statements = [statement("ReadMetadata", reads, "*")] if reads else []
    if anywhere:
        statements.append(statement("NoResourceLevel", anywhere, "*"))
    for prefix, found in sorted(by_prefix.items()):
        sid = "".join(part.capitalize() for part in prefix.split("-"))
        if prefix in GENERATED_IDS:
            guarded = found & TAG_GUARDED
            if found - guarded:
                statements.append(statement(f"{sid}GeneratedIds", found - guarded, "*"))
            if guarded:
                statements.append(statement(f"{sid}DeleteTagged", guarded, "*", _deployment_condition(scope)))
            continue
        resources = _named_resources(prefix, scope)
        if resources is None:
            raise UnscopedActions(f"the execution role has no scope for {prefix} actions "
                                  f"({', '.join(sorted(found))}): add one in hivemind/iam/execution.py")
        condition = None
        if prefix == "kms":  # AWS-managed keys, used only through the services that encrypt with them
            condition = {"StringLike": {"kms:ViaService": [f"{s}.{scope.region}.amazonaws.com" for s in
                                                          ("rds", "secretsmanager", "elasticache", "logs")]}}
        if prefix == "iam" and "iam:PassRole" in found:
            found = found - {"iam:PassRole"}
            statements.append(statement("IamPassRole", ["iam:PassRole"], resources[:1]))  # the deployment's own roles
        statements.append(statement(f"{sid}Named", found, resources, condition))
    return document(statements)
