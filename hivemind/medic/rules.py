"""The rule catalogue: deterministic diagnoses of AWS / CloudFormation failure texts, no key needed.

Each rule matches error codes and message shapes (not one exact string), names the AWS page it
follows (`source`), and says whether a retry alone may pass. Rules are tried in order, most
specific first; the first match wins. Plan-level fixes come back as JSON Patches on the plan and are
checked against the plan schema and the stateful guard before they are offered (see patches.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Callable

from ..plan.models import NAME_PATTERN, DeploymentPlan
from . import knowledge
from .models import Diagnosis, Evidence, RetryVerdict
from .patches import PatchRejected, check_patch

CFN_TROUBLESHOOTING = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html"


@dataclass(frozen=True)
class Context:
    """What a rule may look at: the failure text and, when known, where it happened."""

    message: str
    resource_type: str | None = None
    stack: str | None = None
    logical_id: str | None = None
    physical_id: str | None = None
    status: str | None = None
    plan: DeploymentPlan | None = None
    region: str | None = None
    aws: bool = False  # rules may read AWS (logs, console output) read-only
    deployment_id: str | None = None

    @property
    def plan_region(self) -> str:
        return self.region or (self.plan.region if self.plan else "us-east-1")


@dataclass
class Finding:
    root_cause: str
    fix: str
    retry: RetryVerdict | None = None  # overrides the rule's default
    plan_patch: list[dict] | None = None
    commands: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    retry: RetryVerdict
    source: str
    patterns: tuple[str, ...]
    explain: Callable[[Context, re.Match], Finding]
    resource_types: tuple[str, ...] = ()  # prefixes; empty: any

    def match(self, ctx: Context) -> re.Match | None:
        if self.resource_types and ctx.resource_type and not ctx.resource_type.startswith(self.resource_types):
            return None
        for pattern in self.patterns:
            found = re.search(pattern, ctx.message)
            if found:
                return found
        return None


# --- helpers -----------------------------------------------------------------------------------------

def _q(value: str) -> str:
    """Shell-quote for a command line shown to the user."""
    import shlex

    return shlex.quote(value)


def _first(pattern: str, text: str, group: int = 1, flags: int = 0) -> str | None:
    found = re.search(pattern, text, flags)
    return found.group(group) if found else None


_TYPE_PATTERNS = (
    r"\b((?:db|cache)\.[a-z0-9-]+\.[a-z0-9]+)\b",
    r"sufficient ([a-z][a-z0-9-]*\.[a-z0-9]+) capacity",
    r"instance type \(?([a-z][a-z0-9-]*\.[a-z0-9]+)\)?",
    r"\(([a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+)\)",
)


def _instance_type(message: str) -> str | None:
    for pattern in _TYPE_PATTERNS:
        found = re.search(pattern, message)
        if found:
            return found.group(1)
    return None


def _type_locations(plan: DeploymentPlan, type_name: str | None, ctx: Context) -> list[tuple[str, str]]:
    """(JSON pointer, current value) of the plan fields that hold this instance/class/node type."""
    if type_name and type_name.startswith("db."):
        return [("/database/instance_class", type_name)] if plan.database and plan.database.instance_class == type_name else []
    if type_name and type_name.startswith("cache."):
        return [("/cache/node_type", type_name)] if plan.cache and plan.cache.node_type == type_name else []
    services = list(enumerate(plan.services))
    if type_name:
        return [(f"/services/{i}/instance_type", s.instance_type) for i, s in services if s.instance_type == type_name]
    if ctx.resource_type and ctx.resource_type.startswith("AWS::RDS::") and plan.database:
        return [("/database/instance_class", plan.database.instance_class)]
    if ctx.resource_type and ctx.resource_type.startswith("AWS::ElastiCache::") and plan.cache:
        return [("/cache/node_type", plan.cache.node_type)]
    named = [(i, s) for i, s in services if s.name and s.name in f"{ctx.physical_id or ''} {ctx.logical_id or ''}"]
    chosen = named or (services if len({s.instance_type for _, s in services}) == 1 else [])
    return [(f"/services/{i}/instance_type", s.instance_type) for i, s in chosen]


def _family_patch(ctx: Context, type_name: str | None) -> tuple[list[dict] | None, str]:
    """Replace the failing type with the same size in the next family the region offers."""
    if ctx.plan is None:
        alts = knowledge.alternatives(type_name, ctx.plan_region) if type_name else []
        return None, (f"use the same size in another family, e.g. {alts[0]}" if alts else "use another instance type")
    locations = _type_locations(ctx.plan, type_name, ctx)
    if not locations:
        return None, "use the same size in another family"
    current = locations[0][1]
    alts = knowledge.alternatives(current, ctx.plan_region)
    if not alts:
        return None, f"use another type than {current}"
    patch = [{"op": "replace", "path": path, "value": alts[0]} for path, value in locations if value == current]
    where = ", ".join(path.lstrip("/").replace("/", ".") for path, _ in locations)
    return patch, f"set {where} to {alts[0]} (the same size in the next family offered in {ctx.plan_region})"


def _around(text: str, m: re.Match, width: int = 90) -> str:
    """The words around a match, for a root cause that quotes the message."""
    start, end = max(0, m.start() - width), min(len(text), m.end() + width)
    snippet = " ".join(text[start:end].split())
    return ("…" if start else "") + snippet + ("…" if end < len(text) else "")


def _azs(message: str) -> str | None:
    return _first(r"choosing ((?:[a-z]{2}-[a-z]+-\d[a-z](?:, | or |,)?)+)", message)


# --- explanations --------------------------------------------------------------------------------------

def _capacity(ctx: Context, m: re.Match) -> Finding:
    type_name = _instance_type(ctx.message)
    patch, change = _family_patch(ctx, type_name)
    what = type_name or "the requested type"
    return Finding(
        root_cause=f"AWS has no spare {what} capacity in the Availability Zone it tried right now",
        fix=f"Retry later (capacity comes back), or {change}; the Auto Scaling group may also launch in another "
            "Availability Zone of the VPC.",
        plan_patch=patch,
        commands=([f"aws ec2 describe-instance-type-offerings --location-type availability-zone "
                   f"--filters Name=instance-type,Values={type_name} --region {ctx.plan_region}"]
                  if type_name and not type_name.startswith(("db.", "cache.")) else []),
    )


def _unsupported_type(ctx: Context, m: re.Match) -> Finding:
    type_name = _instance_type(ctx.message)
    patch, change = _family_patch(ctx, type_name)
    zones = _azs(ctx.message)
    where = f" (it is offered in {zones})" if zones else ""
    what = type_name or "the requested instance type or class"
    commands = []
    if type_name and type_name.startswith("db."):
        engine = ctx.plan.database.engine if ctx.plan and ctx.plan.database else "postgres"
        commands.append(f"aws rds describe-orderable-db-instance-options --engine {engine} "
                        f"--db-instance-class {type_name} --region {ctx.plan_region}")
    elif type_name and not type_name.startswith("cache."):
        commands.append(f"aws ec2 describe-instance-type-offerings --location-type availability-zone "
                        f"--filters Name=instance-type,Values={type_name} --region {ctx.plan_region}")
    return Finding(
        root_cause=f"{what} is not offered where it was requested{where}",
        fix=f"{change[:1].upper()}{change[1:]}.",
        plan_patch=patch, commands=commands,
    )


def _engine_version(ctx: Context, m: re.Match) -> Finding:
    text = ctx.message
    downgrade = re.search(r"Cannot upgrade (\S+) from (\S+) to (\S+?)[.,;)]?(?:\s|$)", text)
    if downgrade:
        engine, running, wanted = downgrade.groups()
        patch = None
        plan = ctx.plan
        if plan and plan.database and plan.database.engine == engine:
            patch = [{"op": "replace", "path": "/database/version", "value": running}]
        return Finding(
            root_cause=f"the plan asks for {engine} {wanted}, older than the {running} the database already runs "
                       "(RDS never downgrades)",
            fix=f"Set database.version to {running} (or newer).", plan_patch=patch)
    wanted = _first(r"version (\d[\w.-]*?)[.,;)]?\s+for\s+\S+", text) or _first(r"[Vv]ersion[ :=]+'?(\d[\w.-]*\d)", text)
    engine = (_first(r"version \S+ for ([\w-]+)", text) or _first(r"\b(postgres|mysql|redis|valkey)\b", text, flags=re.I)
              or (ctx.plan.database.engine if ctx.plan and ctx.plan.database else None))
    engine = engine.lower() if engine else None
    plan = ctx.plan
    path = current = None
    if plan and engine in ("redis", "valkey") and plan.cache:
        path, current = "/cache/version", plan.cache.version
    elif plan and plan.database and (engine is None or engine == plan.database.engine):
        path, current, engine = "/database/version", plan.database.version, plan.database.engine
    target = knowledge.nearest_version(engine, wanted or current or "") if engine else None
    patch = [{"op": "replace", "path": path, "value": target}] if path and target and target != current else None
    supported = f"; the nearest supported one is {target}" if target else ""
    command = (f"aws rds describe-db-engine-versions --engine {engine} --query 'DBEngineVersions[].EngineVersion'"
               if engine in ("postgres", "mysql") else
               f"aws elasticache describe-cache-engine-versions --engine {engine}" if engine else "")
    return Finding(
        root_cause=f"{engine or 'the engine'} version {wanted or current or '(as planned)'} is not offered "
                   f"(retired or never released){supported}",
        fix=(f"Set {path.lstrip('/').replace('/', '.')} to {target}." if patch else
             f"Pick a supported engine version{' such as ' + target if target else ''}."),
        plan_patch=patch, commands=[command] if command else [])


_QUOTAS = (
    # (pattern, service code, quota code, quota name, cheaper plan option applies)
    (r"AddressLimitExceeded|maximum number of addresses|Elastic IP", "ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", True),
    (r"NatGatewayLimitExceeded|NAT gateways?", "vpc", "L-FE5A380F", "NAT gateways per Availability Zone", True),
    (r"VpcLimitExceeded|maximum number of VPCs", "vpc", "L-F678F1CE", "VPCs per Region", False),
    (r"InternetGatewayLimitExceeded|internet gateways", "vpc", "L-A4707A72", "Internet gateways per Region", False),
    (r"SecurityGroupLimitExceeded|security groups per", "vpc", "L-E79EC296", "VPC security groups per Region", False),
    (r"RulesPerSecurityGroupLimitExceeded|rules per security group", "vpc", "L-0EA8095F",
     "Inbound or outbound rules per security group", False),
    (r"VcpuLimitExceeded|vCPU|InstanceLimitExceeded|instance limit|more instances", "ec2", "L-1216C47A",
     "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", False),
    (r"DBInstanceQuotaExceeded|DB instances", "rds", "L-7B6409FD", "DB instances", False),
    (r"TooManyLoadBalancers|load balancers", "elasticloadbalancing", "L-53DA6B97",
     "Application Load Balancers per Region", False),
    (r"TooManyBuckets|buckets", "s3", "L-DC2B2D3D", "General purpose buckets", False),
    (r"[Kk]ey quota|CreateKey|KMS", "kms", None, "Customer managed keys (KMS)", False),
    (r"number of stacks|stack limit|Stack count", "cloudformation", "L-0485CFC0", "Stack count", False),
)


def _quota(ctx: Context, m: re.Match) -> Finding:
    for pattern, service, code, name, cheaper in _QUOTAS:
        if re.search(pattern, ctx.message):
            break
    else:
        service, code, name, cheaper = None, None, None, False
    page = (f"https://console.aws.amazon.com/servicequotas/home/services/{service}/quotas/{code}" if code else
            f"https://console.aws.amazon.com/servicequotas/home/services/{service}/quotas" if service else
            "https://console.aws.amazon.com/servicequotas/home")
    commands = []
    if code:
        commands += [f"aws service-quotas get-service-quota --service-code {service} --quota-code {code}",
                     f"aws service-quotas request-service-quota-increase --service-code {service} "
                     f"--quota-code {code} --desired-value <new limit>"]
    if service == "ec2" and code == "L-0263D0A3":
        commands.append("aws ec2 describe-addresses --query 'Addresses[?AssociationId==null].[AllocationId,PublicIp]'")
    if code == "L-F678F1CE":
        commands.append("aws ec2 describe-vpcs --query 'Vpcs[].[VpcId,IsDefault,Tags]'")
    option = ""
    if cheaper and ctx.plan is not None and ctx.plan.stage == "production":
        option = (" A cheaper plan needs none: stage: stage-1 runs without a NAT gateway (so without its "
                  "Elastic IP), at the cost of instances in public subnets.")
    elif code == "L-1216C47A" and ctx.plan is not None:
        option = " Or ask for fewer vCPUs: a smaller instance_type or a lower max_instances in the plan."
    return Finding(
        root_cause=f"the account reached its {name or 'service'} quota in {ctx.plan_region}",
        fix=f"Release unused resources or raise the quota \"{name or 'see the message'}\" on its Service Quotas page "
            f"({page}).{option}",
        commands=commands)


def _permission(ctx: Context, m: re.Match) -> Finding:
    text = ctx.message
    action = (_first(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)", text)
              or _first(r"API: ([a-z0-9-]+:[A-Za-z0-9*]+)", text)
              or _first(r"not (?:permitted|allowed) to perform (?:operation:? )?([a-z0-9-]+:[A-Za-z0-9*]+)", text)
              or _first(r"don't have the ([a-z0-9-]+:[A-Za-z0-9*]+) permission", text))
    operation = _first(r"when calling the (\w+) operation", text) or _first(r"perform operation:? (\w+)", text)
    resource = _first(r"on resource:? (?:role |user |policy )?(arn:[^\s,;]+|[\w./:*-]+)", text)
    principal = _first(r"User: (arn:aws[\w-]*:(?:iam|sts)::\d{12}:[^\s]+)", text)
    if "cannot be assumed by lambda" in text.lower():
        return Finding(
            root_cause="Lambda cannot assume the function's role: its trust policy lacks lambda.amazonaws.com, or the "
                       "role was created seconds ago and IAM has not propagated it yet",
            fix="Check the role's trust policy names lambda.amazonaws.com; if it does, retry (IAM is eventually "
                "consistent).", retry="sometimes")
    if "tagging operation" in text.lower() or "unauthorizedtagging" in text.lower().replace(" ", ""):
        return Finding(
            root_cause="the deploying identity may create the resource but not tag it (tagging needs its own "
                       "permission, e.g. kms:TagResource, s3:PutBucketTagging, iam:TagRole)",
            fix="Add the service's tagging actions to the deploying identity's policy.",
            commands=[])
    if "explicit deny" in text:
        return Finding(
            root_cause=f"an explicit deny (a service control policy, permissions boundary or resource policy) "
                       f"blocks {action or operation or 'the call'}",
            fix="Ask the account or organization administrator to lift the deny for this action; an Allow "
                "statement cannot override it.")
    if action is None and operation:
        service = _first(r"Service: (?:Amazon|AWS)?\s?(\w+)", text)
        action = f"{service.lower()}:{operation}" if service else None
    statement = {"Effect": "Allow", "Action": action or "<service>:<Action>",
                 "Resource": resource if resource and resource.startswith("arn:") else "*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))
    commands = []
    if principal and ":assumed-role/" in principal:
        role = principal.split(":assumed-role/", 1)[1].split("/", 1)[0]
        commands.append(f"aws iam put-role-policy --role-name {_q(role)} --policy-name hivemind-medic-fix "
                        f"--policy-document {_q(policy)}")
    elif principal and ":user/" in principal:
        user = principal.split(":user/", 1)[1]
        commands.append(f"aws iam put-user-policy --user-name {_q(user)} --policy-name hivemind-medic-fix "
                        f"--policy-document {_q(policy)}")
    who = principal or "the deploying identity"
    return Finding(
        root_cause=f"{who} may not call {action or operation or 'an AWS API the deployment needs'}",
        fix=f"Add this statement to {who}'s IAM policy: {json.dumps(statement)} (or deploy with an identity that has it).",
        commands=commands)


_NAME_PATTERNS = (
    r"identifier '\{\"/properties/\w+\":\"([^\"]+)\"\}'",
    r"with (?:name|id|identifier) '?\"?([\w./:@+-]+?)'?\"? already exists",
    r"([\w./:@+-]+) already exists",
    r"'([^']+)' already exists",
)


def _suffixed(name: str) -> str:
    base = name
    found = re.fullmatch(r"(.*)-(\d+)", name)
    n = int(found.group(2)) + 1 if found else 2
    if found:
        base = found.group(1)
    candidate = f"{base[:40 - len(str(n)) - 1].rstrip('-')}-{n}"
    return candidate if NAME_PATTERN.fullmatch(candidate) else name


def _name_conflict(ctx: Context, m: re.Match) -> Finding:
    name = None
    for pattern in _NAME_PATTERNS:
        name = _first(pattern, ctx.message)
        if name and name.lower() not in ("resource", "stack", "it", "already", "instance", "name"):
            break
        name = None
    rtype = ctx.resource_type or _first(r"Resource of type '([\w:]+)'", ctx.message) or ""
    commands: list[str] = []
    if name and rtype == "AWS::Logs::LogGroup":
        commands.append(f"aws logs delete-log-group --log-group-name {_q(name)}")
    elif name and rtype == "AWS::S3::Bucket":
        commands.append(f"aws s3api head-bucket --bucket {_q(name)}")
    patch = None
    fix = (f"Choose another name{' than ' + name if name else ''}, or delete the existing resource if it is a "
           "leftover of an earlier deployment.")
    if ctx.plan is not None and name and ctx.plan.name in name:
        new_name = _suffixed(ctx.plan.name)
        if new_name != ctx.plan.name:
            patch = [{"op": "replace", "path": "/name", "value": new_name}]
            fix = (f"Deploy under a suffixed name ({new_name}: every name HiveMind derives changes with it), or delete "
                   f"the existing {name} if it is a leftover of an earlier deployment.")
    what = f"{rtype} " if rtype else ""
    if rtype == "AWS::S3::Bucket" or "bucket" in ctx.message.lower():
        fix += " S3 bucket names are global across all AWS accounts."
    return Finding(root_cause=f"the name {name or '(see the message)'} is already taken by another {what}resource",
                   fix=fix, plan_patch=patch, commands=commands)


def _signal_timeout(ctx: Context, m: re.Match) -> Finding:
    from .bootlog import boot_step

    step = boot_step(ctx) if ctx.aws else None
    where = (f"; the boot log ({step.source}) shows the step that failed: {step.step}: {step.line}" if step else "")
    group = f"/hivemind/{ctx.deployment_id or '<deployment>'}/<service>"
    commands = [f"aws logs tail {_q(step.log_group)} --since 1h"] if step and step.log_group else (
        [f"aws logs tail {_q(group)} --since 1h"] if ctx.deployment_id else [])
    return Finding(
        root_cause="the instances never reported healthy: the app did not start (or did not answer its health "
                   f"check) before the timeout{where}",
        fix=(f"Fix the failing step ({step.step}) in the app or the plan, then retry." if step else
             f"Read the boot log ({group}, stream <instance-id>/bootstrap, else the EC2 console output) for the step "
             "that failed; check the plan's start_command, port and health_check_path."),
        commands=commands)


def _circuit_breaker(ctx: Context, m: re.Match) -> Finding:
    finding = _signal_timeout(ctx, m)
    finding.root_cause = "the new tasks or instances kept failing their health checks, so the deployment was stopped" + (
        finding.root_cause.split("timeout", 1)[1] if "timeout;" in finding.root_cause else "")
    return finding


def _stabilize(ctx: Context, m: re.Match) -> Finding:
    return Finding(
        root_cause=f"{ctx.logical_id or 'a resource'} did not reach a stable state before CloudFormation's timeout "
                   "(slow to create, or an AWS service interruption)",
        fix="Check the AWS Health Dashboard and the resource itself; if the service was interrupted, retry.")


def _custom_resource(ctx: Context, m: re.Match) -> Finding:
    return Finding(
        root_cause="the custom resource's Lambda never answered CloudFormation (it failed before sending its response, "
                   "or cannot reach the response URL from its VPC)",
        fix="Read the function's log (/aws/lambda/<function>) for the error; check it sends a response on every path "
            "and, in a VPC, has a NAT gateway or S3 endpoint; then retry.")


def _iam_propagation(ctx: Context, m: re.Match) -> Finding:
    role = _first(r"(?i)iam role (\S+)", ctx.message) or _first(r"\((\S+)\) for parameter iamInstanceProfile", ctx.message)
    return Finding(
        root_cause=f"IAM role or instance profile {role or ''} was created moments before and IAM had not propagated "
                   "it yet (or it was deleted)",
        fix="Retry (IAM is eventually consistent); if it recurs, make the resource depend on the role.")


def _rollback_failed(ctx: Context, m: re.Match) -> Finding:
    stack = _first(r"stack/([\w-]+)/", ctx.message) or _first(r"Stack:? \[?([\w-]+)\]? is in", ctx.message) or ctx.stack
    return Finding(
        root_cause=f"stack {stack or ''} is stuck in UPDATE_ROLLBACK_FAILED: a rollback could not restore a resource",
        fix="Fix what blocked the rollback (see the stack's earlier *_FAILED event), then continue the rollback; "
            "resources that cannot be restored can be skipped.",
        commands=[f"aws cloudformation continue-update-rollback --stack-name {_q(stack or '<stack>')}"])


def _rollback_complete(ctx: Context, m: re.Match) -> Finding:
    stack = _first(r"Stack:? \[?([\w-]+)\]? is in", ctx.message) or ctx.stack
    return Finding(
        root_cause=f"stack {stack or ''} failed its first creation and rolled back (ROLLBACK_COMPLETE): it can only be "
                   "deleted",
        fix="Delete the stack and create it again after fixing the original failure (hivemind retry does both).",
        commands=[f"aws cloudformation delete-stack --stack-name {_q(stack or '<stack>')}"])


def _in_progress(ctx: Context, m: re.Match) -> Finding:
    stack = _first(r"[Ss]tack:? \[?([\w-]+)\]? is (?:in|currently)", ctx.message) or ctx.stack
    return Finding(
        root_cause=f"stack {stack or ''} is still busy with another operation",
        fix="Wait for the running operation to finish, then retry.",
        commands=[f"aws cloudformation describe-stacks --stack-name {_q(stack or '<stack>')} "
                  "--query 'Stacks[0].StackStatus'"])


def _interrupted(ctx: Context, m: re.Match) -> Finding:
    return Finding(
        root_cause="the operation was interrupted while CloudFormation was still working on its stacks",
        fix="Wait until the stacks settle (no *_IN_PROGRESS status), then retry; `hivemind status` shows them.")


def _stack_state(ctx: Context, m: re.Match) -> Finding:
    state = _first(r"\b([A-Z]+(?:_[A-Z]+)+)\b", ctx.message)
    return Finding(root_cause=f"the stack is in a state ({state or 'see the message'}) that refuses this operation",
                   fix="Bring the stack back to a stable state (finish, continue or delete it), then retry.")


def _export_in_use(ctx: Context, m: re.Match) -> Finding:
    export = _first(r"[Ee]xport:? ([\w:./-]+) (?:cannot|as it)", ctx.message) or _first(r"export ([\w:./-]+) as it", ctx.message)
    user = _first(r"in use by ([\w-]+)", ctx.message)
    return Finding(
        root_cause=f"export {export or ''} is still imported by stack {user or '(another stack)'}",
        fix="Remove the import from the importing stack first (deploy it), then the export can go.",
        commands=[f"aws cloudformation list-imports --export-name {_q(export)}"] if export else [])


def _bucket_not_empty(ctx: Context, m: re.Match) -> Finding:
    bucket = ctx.physical_id or "<bucket>"
    return Finding(
        root_cause=f"the bucket{' ' + ctx.physical_id if ctx.physical_id else ''} still holds objects, and "
                   "CloudFormation only deletes empty buckets",
        fix="Empty the bucket (every object version, if versioning is on), or retain it, then delete again.",
        commands=[f"aws s3 rm s3://{bucket} --recursive"])


def _delete_conflict(ctx: Context, m: re.Match) -> Finding:
    role = ctx.physical_id or "<role>"
    return Finding(
        root_cause=f"{ctx.logical_id or 'the IAM entity'} still has policies or instance profiles attached that the "
                   "stack did not create, so IAM refuses to delete it",
        fix="Detach what was added outside the stack (policies, instance profile membership), then delete again.",
        commands=[f"aws iam list-attached-role-policies --role-name {_q(role)}",
                  f"aws iam list-instance-profiles-for-role --role-name {_q(role)}"])


def _dependency_violation(ctx: Context, m: re.Match) -> Finding:
    resource = _first(r"resource (\S+) has a dependent object", ctx.message) or ctx.physical_id
    commands = []
    if resource and resource.startswith("sg-"):
        commands.append(f"aws ec2 describe-network-interfaces --filters Name=group-id,Values={resource} "
                        "--query 'NetworkInterfaces[].[NetworkInterfaceId,Description,Status]'")
    return Finding(
        root_cause=f"{resource or 'the resource'} is still used by another resource (often a network interface that "
                   "is released a few minutes later)",
        fix="Retry after the dependent resources are gone; if one was created outside the stack, delete it first.",
        commands=commands)


def _service_linked_role(ctx: Context, m: re.Match) -> Finding:
    service = (_first(r"verify that the (\w+) service linked role", ctx.message, flags=re.I) or "").lower()
    principal = {"ecs": "ecs.amazonaws.com", "autoscaling": "autoscaling.amazonaws.com",
                 "elasticloadbalancing": "elasticloadbalancing.amazonaws.com", "rds": "rds.amazonaws.com",
                 "elasticache": "elasticache.amazonaws.com"}.get(service)
    return Finding(
        root_cause=f"the {service.upper() or 'service'} service-linked role does not exist in this account yet",
        fix="Create the service-linked role once for the account, then retry.",
        commands=[f"aws iam create-service-linked-role --aws-service-name {principal}"] if principal else [])


def _ami_missing(ctx: Context, m: re.Match) -> Finding:
    ami = _first(r"(ami-[0-9a-f]+)", ctx.message)
    return Finding(
        root_cause=f"the machine image {ami or ''} does not exist in this region (or is no longer shared)",
        fix="Use an image id from this region (AMI ids differ per region; HiveMind resolves Amazon Linux through "
            "its SSM parameter).",
        commands=[f"aws ec2 describe-images --image-ids {ami}"] if ami else [])


def _export_missing(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause=f"no stack exports {m.group(1)} in this region",
                   fix="Deploy the stack that exports it first, or fix the name of the import.")


def _parameter_missing(ctx: Context, m: re.Match) -> Finding:
    name = (_first(r"parameters? \[?([\w/.:-]+)\]? from parameter store", ctx.message, flags=re.I)
            or _first(r"[Pp]arameter '?([\w/.:-]+)'? (?:does not exist|not found)", ctx.message))
    commands = [f"aws ssm get-parameter --name {_q(name)}"] if name else []
    return Finding(
        root_cause=f"SSM parameter {name or '(see the message)'} does not exist in this account and region",
        fix="Create the parameter (aws ssm put-parameter) or fix the reference in the plan (services[].secrets).",
        commands=commands)


def _sg_missing(ctx: Context, m: re.Match) -> Finding:
    group = _first(r"(sg-[0-9a-f]+)", ctx.message)
    return Finding(root_cause=f"security group {group or ''} does not exist (or not in this VPC)",
                   fix="Reference a security group id that exists in the stack's VPC (an id, not a name).")


def _not_found(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause=f"something the deployment refers to does not exist: {_around(ctx.message, m)}",
                   fix="Create the missing resource or fix the reference (name, id, region) in the plan or template.")


def _template(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause="CloudFormation rejected the template itself",
                   fix="Fix the template error (run `hivemind synth`; cfn-lint names the line) and deploy again.")


def _parameters(ctx: Context, m: re.Match) -> Finding:
    names_ = _first(r"Parameters: \[([^\]]*)\]", ctx.message)
    return Finding(root_cause=f"the stack parameters do not match the template ({names_ or m.group(0)})",
                   fix="Pass exactly the parameters the template declares, with values for those without defaults.")


def _property_validation(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause=f"the template gives a resource properties its type does not accept: {_around(ctx.message, m)}",
                   fix="Fix the property names and shapes to the resource type's schema (cfn-lint reports them at "
                       "`hivemind synth`), then deploy again.")


def _invalid_value(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause=f"AWS refused a property value or combination: {_around(ctx.message, m)}",
                   fix="Correct the value in the plan (or template) to one the service accepts; see the message for "
                       "the property.")


def _kms_lockout(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause="the KMS key policy would lock out the deploying identity (no one could manage the key)",
                   fix="Give the key policy a statement allowing the account root (or the deploying role) kms:* "
                       "(PutKeyPolicy at least).")


def _kms_state(ctx: Context, m: re.Match) -> Finding:
    key = _first(r"(arn:aws[\w-]*:kms:[^\s:]+:\d{12}:key/[0-9a-f-]+)", ctx.message)
    return Finding(root_cause=f"KMS key {key or ''} is disabled or pending deletion, so nothing can use it",
                   fix="Enable the key (or cancel its deletion), or point the resource at another key.",
                   commands=[f"aws kms enable-key --key-id {_q(key)}", f"aws kms cancel-key-deletion --key-id {_q(key)}"]
                   if key else [])


def _kms_access(ctx: Context, m: re.Match) -> Finding:
    action = _first(r"(kms:[A-Za-z*]+)", ctx.message)
    return Finding(
        root_cause=f"the caller may not use the KMS key ({action or 'key policy or grant missing'}), or the key does "
                   "not exist in this region",
        fix="Allow the role in the key policy (kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey) and in its IAM "
            "policy, and check the key's region.")


def _throttled(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause="AWS throttled the API calls (too many requests at once)",
                   fix="Retry: throttling passes; if it recurs, deploy fewer stacks in parallel.")


def _transient(ctx: Context, m: re.Match) -> Finding:
    return Finding(root_cause="AWS answered with an internal or temporary service error",
                   fix="Retry; if it persists, check the AWS Health Dashboard for the region.")


_REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d")
_GEO = r"(?:us|eu|ap|sa|ca|me|af|il|mx|cn)"
_REGION_LIKE = re.compile(rf"\d+|{_GEO}|{_GEO}(?:-gov)?-[a-z]+-\d+[a-z]*")


def _bad_region(message: str) -> str | None:
    """A label of an *.amazonaws host that looks like a region but is none ('1', 'eu', 'us-east-1a')."""
    for host in re.findall(r"[a-z0-9][a-z0-9.-]*\.amazonaws(?:\.com)?\b", message):
        for label in host.split(".")[:-1]:
            label = label.removeprefix("s3-")
            if _REGION_LIKE.fullmatch(label) and not _REGION.fullmatch(label):
                return label
    return None


def _task_network(ctx: Context, m: re.Match) -> Finding:
    return Finding(
        root_cause="the task cannot reach AWS from its subnets (ECR, Secrets Manager or SSM): no route to the internet "
                   "or the service's VPC endpoint",
        fix="Give the private subnets a NAT gateway route, or add VPC endpoints for ECR (api, dkr), S3, Secrets Manager "
            "and SSM; a public subnet needs a public IP on the task.")


def _network(ctx: Context, m: re.Match) -> Finding:
    host = _first(r"(https?://[^\s\"'`]+|[\w.-]+\.amazonaws\.com)", ctx.message)
    region = "" if re.search(r"[a-z0-9]\.\.amazonaws", ctx.message) else _bad_region(ctx.message)
    if region is not None:
        return Finding(
            root_cause=f"the endpoint {host or ''} names region '{region}', which is not an AWS region (a typo, or an "
                       "Availability Zone given as the region)",
            fix="Set the region to a real one (e.g. us-east-1, not us-east-1a or eu) in the plan, AWS_REGION or the "
                "profile; retrying as is cannot work.", retry=False)
    if "html page" in ctx.message.lower():
        return Finding(
            root_cause="the endpoint answered with a web page instead of an AWS response (a proxy, or an endpoint "
                       "or region that is not AWS)",
            fix="Check AWS_ENDPOINT_URL, the proxy settings and the region, then retry.")
    return Finding(
        root_cause=f"the network call to {host or 'AWS'} failed (no connection, DNS or timeout)",
        fix="Check the network, proxy and region (an endpoint that does not exist never answers), then retry.")


# --- the catalogue -----------------------------------------------------------------------------------

_I = "(?i)"
RULES: tuple[Rule, ...] = (
    # IAM's own phrasing wins over the KMS rules: a missing kms:* action in an identity policy is a permission fix.
    Rule("permission.iam-action", "permission", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-insufficient-iam-permissions",
         (_I + r"no identity-based policy allows|don't have the [\w:*]+ permission|permissions error performing|"
          r"not authori[sz]ed to perform:? kms:|"
          r"unauthorized ?tagging ?operation|role defined for the function cannot be assumed",), _permission),
    Rule("kms.key-policy-lockout", "kms", False,
         "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key",
         (_I + r"key policy will not allow you to update the key policy",), _kms_lockout),
    Rule("kms.key-state", "kms", False, "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
         (r"KMSInvalidStateException|\bDisabledException|KMS key [^.]*(?:is disabled|pending deletion)",
          r":kms:[^\s]+ (?:is disabled|is pending deletion)"), _kms_state),
    Rule("kms.access", "kms", False, "https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html",
         (r"\bkms:\w+", _I + r"customer master key|\bKMS\b|\bKms\b|KMSAccessDenied|ciphertext refers to|"
          # Lambda encrypts environment variables with KMS: this is the key's (or its grant's) failure
          r"unable to configure access to your environment variables"), _kms_access),

    Rule("stack.update-rollback-failed", "stack_state", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-update-rollback-failed",
         (r"UPDATE_ROLLBACK_FAILED",), _rollback_failed),
    Rule("stack.rollback-complete", "stack_state", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes",
         (r"(?<!UPDATE_)ROLLBACK_COMPLETE state|ROLLBACK_FAILED state|(?<!UPDATE_)ROLLBACK_COMPLETE and can ?not",), _rollback_complete),
    Rule("stack.in-progress", "stack_state", "sometimes",
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes",
         (r"_IN_PROGRESS state and can ?not be", _I + r"is currently being updated|an update is in progress|"
          r"cannot be (?:updated|deleted) while in status|operation is in progress"), _in_progress),
    Rule("stack.interrupted", "stack_state", "sometimes",
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes",
         (_I + r"interrupted by the user|interrupted during \w+",), _interrupted),
    Rule("stack.state", "stack_state", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes",
         (r"is in [A-Z_]+ state and can ?not be|[Ss]tack \S+ is in [A-Z_]+ state|termination protection",), _stack_state),

    Rule("health.signal-timeout", "health_timeout", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-wait-condition-didnt-receive-the-required-number-of-signals",
         (_I + r"failed to receive \d+ resource signal|received \d+ (?:failure|success) signal|received failure signal|"
          r"MinSuccessfulInstancesPercent|wait ?condition[^.]*(?:timed out|timeout)|required number of signals",),
         _signal_timeout),
    Rule("health.circuit-breaker", "health_timeout", False,
         "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html",
         (_I + r"circuit breaker was triggered|failed (?:elb|target group|the) health checks?|health checks? failed|"
          r"unhealthy (?:targets|instances) in target group",), _circuit_breaker),
    Rule("health.custom-resource-no-response", "health_timeout", False,
         "https://repost.aws/knowledge-center/best-practices-custom-cf-lambda",
         (_I + r"custom resource failed to stabili[sz]e|did not receive a response from your custom resource",),
         _custom_resource),
    Rule("health.did-not-stabilize", "health_timeout", "sometimes",
         CFN_TROUBLESHOOTING + "#troubleshooting-resource-did-not-stabilize",
         (_I + r"did not stabilize|failed to stabilize|timed out waiting for (?:completion|stabilization)",), _stabilize),

    Rule("capacity.insufficient", "capacity", "sometimes",
         "https://repost.aws/knowledge-center/ec2-insufficient-capacity-errors",
         (r"Insufficient\w*Capacity", _I + r"insufficient capacity|do not have sufficient [\w.]+ capacity|"
          r"with sufficient capacity|not enough capacity|capacity is (?:currently )?(?:unavailable|not available)"),
         _capacity),
    Rule("capacity.unsupported-type", "capacity", False,
         "https://repost.aws/knowledge-center/ec2-instance-type-not-supported-az-error",
         (_I + r"is not supported in (?:your|the) requested availability zone|"
          r"requested configuration is currently not supported",
          r"InvalidFleetConfiguration|Unsupported - |Error Code: Unsupported|api error Unsupported|\(Unsupported\)",
          _I + r"rds does not support creating a db instance with the following combination|"
          r"(?:db ?instance ?class|node type|instance type)[^.]*(?:is not supported|not available|is not offered)"),
         _unsupported_type),

    Rule("network.task-network", "network", False,
         "https://repost.aws/knowledge-center/ecs-fargate-pull-container-error",
         (_I + r"check your (?:task )?network configuration|connection issue between the task and",), _task_network),
    Rule("network.unreachable", "network", "sometimes", "https://docs.aws.amazon.com/general/latest/gr/rande.html",
         (_I + r"could not connect to the endpoint|connect(?:ion)? timeout|read timeout|socket hang up|\beconnreset\b|"
          r"\betimedout\b|\beconnrefused\b|\benotfound\b|\beai_again\b|getaddrinfo|inaccessible host|connection reset|"
          r"connection refused|timed out without establishing|name or service not known|endpointconnectionerror|"
          r"networkingerror|temporary failure in name resolution|max retries exceeded with url|socket timed out|"
          r"with an html page, not an aws response|connection was closed before|connection aborted|invalid endpoint",),
         _network),

    Rule("throttling.rate-exceeded", "throttling", True,
         "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html",
         (_I + r"rate exceeded|\bthrottl(?:ed|ing)\b|too ?many ?requests|SlowDown|request limit exceeded",
          r"RequestLimitExceeded|ThrottlingException|Status Code: 429\b"), _throttled),
    Rule("throttling.transient-5xx", "throttling", True,
         "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html",
         (r"Internal ?Failure|InternalError|InternalServerError|Service ?Unavailable|Status Code: 5\d\d\b|HTTP 50[0234]\b",
          _I + r"internal (?:server )?error|service is (?:currently )?unavailable|please try again later"), _transient),

    Rule("quota.limit-exceeded", "quota", False, CFN_TROUBLESHOOTING + "#troubleshooting-errors-limit-exceeded",
         (r"LimitExceeded|QuotaExceeded|TooManyBuckets|TooMany\w+",
          _I + r"maximum number of|quota for this account|\bquota\b|current (?:\w+ )?limit|limit of \d+|"
          r"you have requested more (?:instances|vcpu)|exceeds? (?:the|your) (?:\w+ )?(?:limit|quota)"), _quota),

    Rule("permission.denied", "permission", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-insufficient-iam-permissions",
         (_I + r"not authorized to perform|access ?denied|not permitted to perform|explicit deny|"
          r"unauthorizedoperation|authorizationerror|security token included in the request is (?:invalid|expired)",
          r"InvalidClientTokenId|ExpiredToken|AuthFailure|RegionDisabledException|is not activated in this region"),
         _permission),

    Rule("config.engine-version", "invalid_config", False,
         "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.VersionMgmt.html",
         (r"Cannot find version \S+ for \S+", r"Cannot upgrade \S+ from \S+ to \S+",
          _I + r"engine ?version[^.]*(?:is not (?:available|supported|valid)|invalid|not found)|"
          r"invalid (?:db )?engine version|not a supported (?:engine )?version"), _engine_version),

    Rule("conflict.already-exists", "name_conflict", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html",
         (_I + r"already exists|already in use|already been taken|is already taken|already scheduled for deletion",
          r"AlreadyExists|AlreadyOwnedByYou|ResourceExistsException|DuplicateName|InvalidGroup\.Duplicate"), _name_conflict),

    Rule("dependency.export-in-use", "dependency", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html",
         (_I + r"cannot be (?:deleted|updated) as it is in use by|cannot delete export",), _export_in_use),
    Rule("dependency.bucket-not-empty", "dependency", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-delete-stack-fails",
         (r"BucketNotEmpty", _I + r"bucket you tried to delete is not empty"), _bucket_not_empty),
    Rule("dependency.delete-conflict", "dependency", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-delete-stack-fails",
         (r"DeleteConflict", _I + r"cannot delete entity, must (?:detach|delete|remove)"), _delete_conflict),
    Rule("dependency.violation", "dependency", "sometimes",
         "https://repost.aws/knowledge-center/troubleshoot-dependency-error-delete-vpc",
         (r"DependencyViolation|ResourceInUse", _I + r"has a dependent object|has dependencies|is (?:currently|still) in use|"
          r"in use by another"), _dependency_violation),

    Rule("config.property-validation", "invalid_config", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-invalid-value-or-unsupported-resource-property",
         (_I + r"propert(?:y|ies) validation fail|encountered unsupported propert(?:y|ies)|extraneous key \[",),
         _property_validation),
    Rule("notfound.service-linked-role", "not_found", False,
         "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html",
         (_I + r"service[- ]linked role[^.]*(?:exists|does not exist|not found)|unable to assume the service linked role|"
          r"must (?:enable|create) a service[- ]linked role|ServiceLinkedRoleNotFound",),
         _service_linked_role),
    Rule("notfound.ami", "not_found", False,
         "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html",
         (r"InvalidAMIID\.\w+|Not authorized for images", _I + r"image id '?\[?ami-\w+\]?'? does not exist"),
         _ami_missing),
    Rule("notfound.export", "not_found", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html",
         (r"No export named (.+?) found",), _export_missing),
    Rule("notfound.ssm-parameter", "not_found", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html",
         (_I + r"unable to fetch parameters? .* from parameter store|ParameterNotFound|"
          r"parameter '?[\w/.:-]+'? (?:does not exist|not found)",), _parameter_missing),
    Rule("notfound.security-group", "not_found", False,
         CFN_TROUBLESHOOTING + "#troubleshooting-errors-security-group-does-not-exist-in-vpc",
         (r"InvalidGroup\.NotFound", _I + r"security group '?sg-\w+'? does not exist"), _sg_missing),
    Rule("notfound.iam-propagation", "not_found", "sometimes",
         "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency",
         (_I + r"\biam role \S+ (?:doesn't|does not) exist|invalid iam instance profile",), _iam_propagation),
    Rule("config.template", "invalid_config", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html",
         (r"Template format error|Template error|Unresolved resource dependencies|Invalid template",), _template),
    Rule("config.parameters", "invalid_config", False,
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html",
         (r"Parameters: \[[^\]]*\] (?:do not exist|must have values)",
          _I + r"parameter values specified for a template which does not require them|missing parameter \w+"),
         _parameters),
)



def tiers() -> tuple[Rule, ...]:
    """Every rule in the order tried: the specific rules, then the generic tier of error-code families."""
    from .signatures import GENERIC  # the generic tier builds on this module's explanations

    return RULES + GENERIC


RULES_BY_ID = {rule.id: rule for rule in RULES}


# CloudFormation's handler error codes are coarse (a target-group conflict comes back as ServiceLimitExceeded):
# the service's own words are matched first, the code only when they say nothing known.
_HANDLER_CODE = re.compile(r"\s*\(RequestToken: [^)]*HandlerErrorCode: \w+\)")


def match(ctx: Context, catalogue: tuple[Rule, ...] | None = None) -> tuple[Rule, re.Match, Context] | None:
    """The first rule of `catalogue` (default: every tier) matching the message (without its HandlerErrorCode,
    then with it), the match, and the context it matched in."""
    stripped = _HANDLER_CODE.sub("", ctx.message)
    for candidate in ((replace(ctx, message=stripped),) if stripped != ctx.message else ()) + (ctx,):
        for rule in catalogue or tiers():
            found = rule.match(candidate)
            if found:
                return rule, found, candidate
    return None


def evidence_of(ctx: Context, chain: list[str] | None = None) -> Evidence:
    return Evidence(stack=ctx.stack, logical_id=ctx.logical_id, resource_type=ctx.resource_type, status=ctx.status,
                    reason=ctx.message, chain=chain or [])


def diagnose(ctx: Context, chain: list[str] | None = None, catalogue: tuple[Rule, ...] | None = None) -> Diagnosis | None:
    """The catalogue's diagnosis (`catalogue`: the rules to try, default every tier), or None when no rule matches."""
    matched = match(ctx, catalogue)
    if matched is None:
        return None
    rule, found, matched_ctx = matched
    finding = rule.explain(matched_ctx, found)
    patch, fix = finding.plan_patch, finding.fix
    if patch and ctx.plan is not None:
        try:
            check_patch(ctx.plan, patch)
        except PatchRejected as exc:
            patch, fix = None, f"{fix} (No plan change proposed: {exc}.)"
    elif patch:
        patch = None
    return Diagnosis(
        category=rule.category, root_cause=finding.root_cause, fix=f"{fix} See {rule.source}",
        retry_alone_fixes=rule.retry if finding.retry is None else finding.retry, rule=rule.id,
        evidence=evidence_of(ctx, chain), plan_patch=patch, commands=[c for c in finding.commands if c],
    )


def unknown(ctx: Context, chain: list[str] | None = None, note: str = "") -> Diagnosis:
    raw = " ".join(ctx.message.split()) or "(no failure text recorded)"
    return Diagnosis(
        category="unknown", root_cause=f"no known cause matches this failure: {raw}",
        fix="Read the raw event below and the stack's events in the CloudFormation console" + (f" ({note})" if note else "")
            + ".",
        retry_alone_fixes=False, rule="unknown", evidence=evidence_of(ctx, chain))

