"""The deployer's policy: exactly the AWS calls HiveMind makes (scan.py), each scoped.

The actions come from the code; where each may act is this module's table (`_rules`), so a new
boto3 call without a scope stops the policy from being built (a test runs that) instead of
silently landing on "*". Only the actions in ANY_RESOURCE get "*": AWS authorizes them on no
particular resource, or HiveMind calls them to find resources it does not know yet.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..artifact.bootstrap import BOOTSTRAP_STACK
from ..render import names
from ..state import remote
from ..state.lease import LOCK_PREFIX
from . import catalogue
from .actions import actions_for
from .document import Scope, UnscopedActions, actions_of, document, statement
from .execution import template_actions
from .scan import ApiCall, ScanResult, scan

# The bootstrap stack's bucket: CloudFormation names it <stack>-<logical id lower-cased>-<suffix>.
BOOTSTRAP_BUCKET = f"{BOOTSTRAP_STACK}-artifactbucket*"
CHANGE_SET_NAMES = "hivemind-*"  # deploy/changeset.py names its change sets hivemind-<ms>

# Actions authorized on "*" only (no resource-level permission in IAM), or called to discover.
ANY_RESOURCE = {
    "cloudformation:DescribeStacks": "janitor, list and destroy page through all stacks to find a deployment's by tag",
    "autoscaling:DescribeAutoScalingGroups": "no resource-level permission",
    "ce:GetCostAndUsage": "no resource-level permission", "ce:GetCostForecast": "no resource-level permission",
    "cloudwatch:DescribeAlarms": "janitor lists alarms in ALARM to find the deployment's",
    "cloudwatch:GetMetricData": "no resource-level permission",
    "ec2:DescribeInstances": "no resource-level permission", "ec2:DescribeRouteTables": "no resource-level permission",
    "elasticache:DescribeReplicationGroups": "no resource-level permission for a filtered read",
    "elasticloadbalancing:DescribeLoadBalancers": "no resource-level permission",
    "elasticloadbalancing:DescribeTargetHealth": "no resource-level permission",
    "logs:DescribeLogGroups": "no resource-level permission",
    "rds:DescribeDBInstances": "destroy and janitor page through all instances to find the deployment's replicas",
    "ssm:GetCommandInvocation": "no resource-level permission",
    "tag:GetResources": "no resource-level permission",
    "xray:GetTraceSummaries": "no resource-level permission",
}


@dataclass(frozen=True)
class _Rule:
    sid: str
    resources: tuple[str, ...]
    condition: dict | None = None


def _rules(scope: Scope) -> dict[str, list[_Rule]]:
    """IAM action -> where it may act (one action may have several statements)."""
    d = scope.name_pattern
    stacks = _Rule("CloudFormationStacks", tuple(scope.stack_arns() + [
        scope.arn("cloudformation", f"stack/{BOOTSTRAP_STACK}/*"),
        scope.arn("cloudformation", f"changeSet/{CHANGE_SET_NAMES}/*")]))
    state = remote.head_name(d)
    ssm_read = _Rule("SsmRead", (
        scope.arn("ssm", f"parameter{state}"), scope.arn("ssm", f"parameter{state}/*"),
        scope.arn("ssm", f"parameter{remote.PREFIX}"),  # `hivemind list` reads the path of all states
        scope.arn("ssm", f"parameter{names.parameter_prefix(d)}/*"),  # values the stacks hand over
        scope.arn("ssm", "parameter/aws/service/ami-amazon-linux-latest/*", account=False)))
    ssm_write = _Rule("SsmStateWrite", (scope.arn("ssm", f"parameter{state}"), scope.arn("ssm", f"parameter{state}/*")))
    objects = tuple(f"arn:{scope.partition}:s3:::{BOOTSTRAP_BUCKET}/{key}" for key in (
        f"artifacts/{d}/*", f"templates/{d}/*", f"builds/{d}/*", f"{LOCK_PREFIX}{d}.json"))
    bucket = _Rule("ArtifactBucket", (f"arn:{scope.partition}:s3:::{BOOTSTRAP_BUCKET}",))
    tagged_instance = _Rule("OwnInstances", (scope.arn("ec2", "instance/*"),),
                            {"StringEquals" if scope.deployment else "Null": {
                                f"aws:ResourceTag/{names.DEPLOYMENT_TAG}": scope.deployment or "false"}})
    rules: dict[str, list[_Rule]] = {}
    for action in ("CancelUpdateStack", "ContinueUpdateRollback", "CreateChangeSet", "CreateStack", "DeleteChangeSet",
                   "DeleteStack", "DescribeChangeSet", "DescribeStackEvents", "ExecuteChangeSet", "GetTemplate",
                   "ListStackResources", "SetStackPolicy", "UpdateStack", "UpdateTerminationProtection"):
        rules[f"cloudformation:{action}"] = [stacks]
    for action in ("GetParameter", "GetParameters", "GetParametersByPath"):
        rules[f"ssm:{action}"] = [ssm_read]
    for action in ("PutParameter", "DeleteParameter", "DeleteParameters"):
        rules[f"ssm:{action}"] = [ssm_write]
    rules["ssm:SendCommand"] = [  # the release command and QA checks, on the deployment's instances only
        _Rule("RunShellScript", (scope.arn("ssm", "document/AWS-RunShellScript", account=False),)), tagged_instance]
    rules["ec2:GetConsoleOutput"] = [tagged_instance]  # the Medic reads a failed instance's boot log
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"):
        rules[action] = [_Rule("ArtifactObjects", objects)]
    rules["s3:ListBucket"] = rules["s3:ListBucketVersions"] = [bucket]
    snapshots = _Rule("FinalSnapshot", (scope.arn("rds", f"db:{names.database_identifier(d)}*"),
                                        scope.arn("rds", f"snapshot:{d}-final-*")))
    rules["rds:CreateDBSnapshot"] = rules["rds:AddTagsToResource"] = rules["rds:DescribeDBSnapshots"] = [snapshots]
    rules["cloudwatch:GetDashboard"] = [_Rule("Dashboard", (
        scope.arn("cloudwatch", f"dashboard/{names.dashboard_name(d)}", region=False),))]
    rules["logs:FilterLogEvents"] = [_Rule("AppLogs", (scope.arn("logs", f"log-group:{names.log_group_name(d, '*')}"),
                                                       scope.arn("logs", f"log-group:{names.log_group_name(d, '*')}:*")))]
    group = names.xray_group_name(d) if scope.deployment else "hivemind-*"
    rules["xray:GetGroup"] = [_Rule("TraceGroup", (scope.arn("xray", f"group/{group}/*"),))]
    return rules


def code_actions(found: ScanResult) -> set[str]:
    return {a for call in found.calls for a in actions_for(call)}


def deployer_policy(scope: Scope, found: ScanResult | None = None) -> dict:
    """The deployer's policy for `scope`, from the calls found in HiveMind's code."""
    found = found if found is not None else scan()
    rules = _rules(scope)
    actions = code_actions(found)
    unscoped = sorted(a for a in actions if a not in rules and a not in ANY_RESOURCE)
    if unscoped:
        raise UnscopedActions(f"the deployer's policy has no scope for {', '.join(unscoped)}: "
                              "add a rule in hivemind/iam/deployer.py")
    grouped: dict[str, tuple[_Rule, set[str]]] = {}
    for action in sorted(actions - set(ANY_RESOURCE)):
        for rule in rules[action]:
            grouped.setdefault(rule.sid, (rule, set()))[1].add(action)
    statements = [statement("ReadAnyResource", actions & set(ANY_RESOURCE), "*")]
    statements += [statement(sid, acts, list(rule.resources), rule.condition) for sid, (rule, acts) in grouped.items()]
    # hivemind-bootstrap is created with the deployer's own credentials (artifact/bootstrap.py
    # passes no RoleARN): what CloudFormation needs for its bucket, on that bucket only.
    bootstrap = template_actions(catalogue.load()["bootstrap"])
    statements.append(statement("BootstrapBucket", {a for a in bootstrap if a.startswith("s3:")},
                                [f"arn:{scope.partition}:s3:::{BOOTSTRAP_BUCKET}",
                                 f"arn:{scope.partition}:s3:::{BOOTSTRAP_BUCKET}/*"]))
    statements.append(statement("PassExecutionRole", ["iam:PassRole"], [scope.execution_role_arn],
                                {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}))
    return document(statements)


def uncovered(calls: list[ApiCall], policy: dict) -> list[tuple[ApiCall, str]]:
    """(call, action) for every action a scanned call needs that `policy` does not allow."""
    allowed = actions_of(policy)
    return [(call, action) for call in calls for action in actions_for(call) if action not in allowed]
