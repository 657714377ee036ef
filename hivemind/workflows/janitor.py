"""The Janitor's discovery: every resource of a deployment, what it costs a month, what nobody owns.

Read-only. Resources come from three places:

- the deployment's stacks (`list_stack_resources`), priced by the cost estimator from the
  templates CloudFormation runs (hivemind.costs.estimate);
- the Resource Groups Tagging API (`get_resources` by the `hivemind:deployment` tag): what is
  tagged for the deployment but in no stack is an orphan (a resource AWS made for a stack, such
  as an auto scaling group's instances or RDS's automated snapshots, is `implicit`; a manual DB
  snapshot is `snapshot`, kept on purpose);
- the log groups `/hivemind/<id>/*`, which AWS services also create on their own.

Issues are read from the state's history: failed, refused or interrupted operations, retries,
the last failure and the Medic's diagnosis (what to change in the plan).

`hivemind destroy` runs the same discovery before asking, and again (`leftovers`) after deleting.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import aws_errors, client
from ..costs import estimate, price_table
from ..state import DEPLOYMENT_TAG, DeploymentState, stack_names

MISSING = "MISSING"
ORPHAN_STACK = "(no stack)"

# (ARN service, resource kind) -> CloudFormation-style type, for resources found by tag.
_ARN_TYPES = {
    ("ec2", "instance"): "AWS::EC2::Instance", ("ec2", "vpc"): "AWS::EC2::VPC",
    ("ec2", "subnet"): "AWS::EC2::Subnet", ("ec2", "security-group"): "AWS::EC2::SecurityGroup",
    ("ec2", "flow-logs"): "AWS::EC2::FlowLog", ("ec2", "natgateway"): "AWS::EC2::NatGateway",
    ("ec2", "route-table"): "AWS::EC2::RouteTable", ("ec2", "internet-gateway"): "AWS::EC2::InternetGateway",
    ("ec2", "elastic-ip"): "AWS::EC2::EIP", ("ec2", "network-interface"): "AWS::EC2::NetworkInterface",
    ("ec2", "launch-template"): "AWS::EC2::LaunchTemplate", ("ec2", "volume"): "AWS::EC2::Volume",
    ("rds", "db"): "AWS::RDS::DBInstance", ("rds", "snapshot"): "AWS::RDS::DBSnapshot",
    ("rds", "subgrp"): "AWS::RDS::DBSubnetGroup", ("rds", "pg"): "AWS::RDS::DBParameterGroup",
    ("logs", "log-group"): "AWS::Logs::LogGroup", ("cloudformation", "stack"): "AWS::CloudFormation::Stack",
    ("elasticloadbalancing", "loadbalancer"): "AWS::ElasticLoadBalancingV2::LoadBalancer",
    ("elasticloadbalancing", "targetgroup"): "AWS::ElasticLoadBalancingV2::TargetGroup",
    ("elasticache", "replicationgroup"): "AWS::ElastiCache::ReplicationGroup",
    ("secretsmanager", "secret"): "AWS::SecretsManager::Secret", ("sns", ""): "AWS::SNS::Topic",
    ("s3", ""): "AWS::S3::Bucket", ("ssm", "parameter"): "AWS::SSM::Parameter",
    ("iam", "role"): "AWS::IAM::Role", ("iam", "instance-profile"): "AWS::IAM::InstanceProfile",
}


@dataclass
class Found:
    """One resource of the deployment."""

    type: str
    id: str  # physical id (a name, an id, or an ARN where that is what CloudFormation reports)
    stack: str  # the stack it belongs to, or "(no stack)"
    kind: str = "stack"  # stack | orphan | implicit | snapshot | log-group
    logical_id: str | None = None
    arn: str | None = None
    status: str | None = None
    monthly_usd: float = 0.0
    why: str = ""

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass
class Discovery:
    deployment: str
    region: str
    stacks: dict[str, str] = field(default_factory=dict)  # name -> CloudFormation status
    resources: list[Found] = field(default_factory=list)  # in the stacks
    orphans: list[Found] = field(default_factory=list)  # tagged for the deployment, in no stack
    implicit: list[Found] = field(default_factory=list)  # made by AWS for a stack's resource
    snapshots: list[Found] = field(default_factory=list)  # manual DB snapshots (kept on purpose)
    issues: list[dict] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def monthly_usd(self, stacks: set[str] | None = None) -> float:
        """What the stacks (all, or those named) and the orphans and implicit resources cost a month."""
        lines = [r for r in self.resources if stacks is None or r.stack in stacks]
        lines += self.orphans + self.implicit
        return round(sum(r.monthly_usd for r in lines), 2)

    def physical_ids(self) -> set[str]:
        return {r.id for r in self.resources if r.id}

    def to_json(self) -> dict:
        return {
            "id": self.deployment, "region": self.region, "stacks": self.stacks,
            "monthly_usd": self.monthly_usd(), "currency": "USD",
            "resources": [r.to_dict() for r in self.resources],
            "orphans": [r.to_dict() for r in self.orphans],
            "implicit": [r.to_dict() for r in self.implicit],
            "snapshots": [r.to_dict() for r in self.snapshots],
            "issues": self.issues, "assumptions": self.assumptions,
        }


# --- discovery ---

def discover(state: DeploymentState) -> Discovery:
    """Every resource of `state`'s deployment as AWS shows it now, priced; nothing is changed."""
    found = Discovery(state.id, state.region)
    cfn = client("cloudformation", state.region)
    with aws_errors(f"reading the stacks of '{state.id}'"):
        names = _deployment_stacks(cfn, state)
        templates = []
        for name, status in names.items():
            found.stacks[name] = status
            for res in _stack_resources(cfn, name):
                found.resources.append(res)
            body = cfn.get_template(StackName=name).get("TemplateBody", {})
            templates.append((name, json.loads(body) if isinstance(body, str) else dict(body)))
    if templates:
        cost = estimate(templates, state.region)
        found.assumptions = list(cost.assumptions)
        per_resource: dict[tuple[str, str], float] = {}
        for line in cost.lines:
            key = (line.stack, line.resource)
            per_resource[key] = per_resource.get(key, 0.0) + line.monthly_usd
        for res in found.resources:
            res.monthly_usd = round(per_resource.get((res.stack, res.logical_id or ""), 0.0), 2)
    for extra in tagged_resources(state.region, state.id) + log_groups(state.region, state.id):
        if _in_stacks(extra, found.physical_ids()) or extra.type == "AWS::CloudFormation::Stack" \
                or extra.id.startswith("/hivemind/deployments/"):
            continue  # a stack's own resource, a stack, or HiveMind's stored state
        _classify(extra, set(found.stacks))
        {"orphan": found.orphans, "implicit": found.implicit, "snapshot": found.snapshots,
         "log-group": found.orphans}[extra.kind].append(extra)
    price_live(state.region, found.orphans + found.implicit)
    for res in found.implicit:
        if res.type == "AWS::EC2::Instance" and res.why.startswith("launched by auto scaling group"):
            res.monthly_usd = 0.0  # priced with its auto scaling group (the group's line counts its instances)
            res.why += " (priced with the group)"
    found.issues = issues(state) + alarms_firing(state.region, found.stacks)
    return found


def alarms_firing(region: str, stacks: dict[str, str]) -> list[dict]:
    """CloudWatch alarms of the deployment's stacks in state ALARM now (read-only; best effort)."""
    if not stacks:
        return []
    out = []
    try:
        cloudwatch = client("cloudwatch", region)
        for page in cloudwatch.get_paginator("describe_alarms").paginate(StateValue="ALARM"):
            for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                name = alarm.get("AlarmName", "")
                if any(name.startswith(stack) for stack in stacks):
                    out.append({"kind": "alarm", "detail": f"{name} in ALARM: "
                                f"{alarm.get('StateReason', '')}"[:300]})
    except (ClientError, BotoCoreError):
        return []
    return out


def _deployment_stacks(cfn, state: DeploymentState) -> dict[str, str]:
    """Stacks of the deployment that exist: its known names plus any stack tagged for it."""
    names: dict[str, str] = {}
    for page in cfn.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            tags = {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
            if stack["StackStatus"] == "DELETE_COMPLETE":
                continue
            if tags.get(DEPLOYMENT_TAG) == state.id or stack["StackName"] in stack_names(state.id):
                names[stack["StackName"]] = stack["StackStatus"]
    return dict(sorted(names.items()))


def _stack_resources(cfn, name: str) -> list[Found]:
    out = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        for res in page["StackResourceSummaries"]:
            if not res.get("LogicalResourceId"):
                continue  # moto lists resource types it does not model as blank entries
            out.append(Found(type=res.get("ResourceType", ""), id=res.get("PhysicalResourceId") or "",
                             stack=name, logical_id=res["LogicalResourceId"], status=res.get("ResourceStatus")))
    return out


def tagged_resources(region: str, deployment_id: str) -> list[Found]:
    """Everything the Resource Groups Tagging API finds with `hivemind:deployment = <id>`."""
    tagging = client("resourcegroupstaggingapi", region)
    out = []
    with aws_errors("searching resources by the hivemind:deployment tag"):
        for page in tagging.get_paginator("get_resources").paginate(
                TagFilters=[{"Key": DEPLOYMENT_TAG, "Values": [deployment_id]}]):
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"]
                rtype, rid = arn_type_and_id(arn)
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", []) or []}
                found = Found(type=rtype, id=rid, stack=tags.get("aws:cloudformation:stack-name") or ORPHAN_STACK,
                              kind="orphan", arn=arn)
                found.why = "tagged for the deployment"
                if tags.get("aws:autoscaling:groupName"):
                    found.why = f"launched by auto scaling group {tags['aws:autoscaling:groupName']}"
                out.append(found)
    return out


def log_groups(region: str, deployment_id: str) -> list[Found]:
    """The log groups `/hivemind/<id>/*` (the app's, and any AWS made on its own)."""
    logs = client("logs", region)
    out = []
    with aws_errors("listing the deployment's log groups"):
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=f"/hivemind/{deployment_id}/"):
            for group in page.get("logGroups", []):
                out.append(Found(type="AWS::Logs::LogGroup", id=group["logGroupName"], stack=ORPHAN_STACK,
                                 kind="log-group", arn=group.get("arn"), why="log group of the deployment",
                                 status=f"{group.get('storedBytes', 0)} bytes stored"))
    return out


def arn_type_and_id(arn: str) -> tuple[str, str]:
    """`arn:aws:ec2:r:a:instance/i-1` -> ("AWS::EC2::Instance", "i-1"); unknown kinds keep the ARN's words."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "unknown", arn
    service, rest = parts[2], parts[5]
    if service == "s3":
        return _ARN_TYPES[("s3", "")], rest
    if service == "sns":
        return _ARN_TYPES[("sns", "")], arn
    cuts = [i for i in (rest.find("/"), rest.find(":")) if i >= 0]
    if cuts:
        kind, rid = rest[:min(cuts)], rest[min(cuts) + 1:]
    else:
        kind, rid = rest, rest
    if service == "elasticloadbalancing":
        rid = arn  # CloudFormation's physical id of a load balancer or target group is its ARN
    if service == "logs":
        rid = rid.removesuffix(":*")
    if service == "ssm" and kind == "parameter" and not rid.startswith("/"):
        rid = "/" + rid
    return _ARN_TYPES.get((service, kind), f"{service}:{kind}"), rid


def _in_stacks(res: Found, physical: set[str]) -> bool:
    return bool(res.id in physical or (res.arn and res.arn in physical))


def _classify(res: Found, stacks: set[str]) -> None:
    if res.kind == "log-group" and res.id.startswith("/aws/rds/"):
        res.kind, res.why = "implicit", "created by RDS for the database's logs (outlives it)"
        return
    if res.kind == "log-group":
        res.kind, res.why = "orphan", "log group in no stack (created by a service on its own, or left behind)"
        return
    if res.type == "AWS::RDS::DBSnapshot":
        if res.id.startswith("rds:"):
            res.kind, res.why = "implicit", "automated backup of the database"
        else:
            res.kind, res.why = "snapshot", "manual DB snapshot (kept on purpose)"
        return
    if res.why.startswith("launched by auto scaling group") or res.stack in stacks:
        res.kind = "implicit"
        return
    res.kind = "orphan"


# --- prices of live resources (no template to read: their description stands in for one) ---

def price_live(region: str, items: list[Found]) -> None:
    """Price resources found outside any template from what AWS describes, with the estimator."""
    for res in items:
        try:
            res.monthly_usd = round(_live_price(region, res), 2)
        except (ClientError, BotoCoreError, KeyError, IndexError, TypeError, ValueError):
            res.monthly_usd = 0.0


def _live_price(region: str, res: Found) -> float:
    if res.type == "AWS::RDS::DBInstance":
        rds = client("rds", region)
        db = rds.describe_db_instances(DBInstanceIdentifier=res.id)["DBInstances"][0]
        props = {"DBInstanceClass": db.get("DBInstanceClass"), "Engine": db.get("Engine"),
                 "AllocatedStorage": db.get("AllocatedStorage"), "MultiAZ": bool(db.get("MultiAZ"))}
        return _priced(region, res, "AWS::RDS::DBInstance", props)
    if res.type == "AWS::EC2::Instance":
        ec2 = client("ec2", region)
        reservations = ec2.describe_instances(InstanceIds=[res.id])["Reservations"]
        instance = reservations[0]["Instances"][0]
        if instance.get("State", {}).get("Name") in ("terminated", "shutting-down"):
            return 0.0
        table = price_table()
        prices = table["regions"].get(region) or table["regions"]["us-east-1"]
        return prices["ec2_hourly"].get(instance.get("InstanceType", ""), 0.0) * table["hours_per_month"]
    if res.type == "AWS::EC2::NatGateway":
        return _priced(region, res, res.type, {})
    if res.type == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        return _priced(region, res, res.type, {"Subnets": ["a", "b"]})
    return 0.0


def _priced(region: str, res: Found, rtype: str, props: dict) -> float:
    template = {"Resources": {"Live": {"Type": rtype, "Properties": props}}}
    return estimate([(res.stack, template)], region).total_usd


# --- issues from the history ---

def issues(state: DeploymentState) -> list[dict]:
    """What went wrong in this deployment's life, newest last, and what to fix (the Medic's word)."""
    found: list[dict] = []
    for op in state.operations:
        if op.status in ("failed", "refused", "interrupted"):
            failed = [p.name for p in op.phases if p.outcome in ("failed", "interrupted", "refused")]
            found.append({"kind": op.status if op.status != "failed" else "failure", "action": op.action,
                          "time": op.started_at.isoformat(), "phase": failed[-1] if failed else None,
                          "detail": op.error or ""})
        if op.action == "retry":
            found.append({"kind": "retry", "action": op.action, "time": op.started_at.isoformat(),
                          "detail": f"retry {op.status}"})
    if state.retry_count:
        found.append({"kind": "retries", "detail": f"{state.retry_count} retr{'y' if state.retry_count == 1 else 'ies'} "
                      "after failures"})
    if state.failure is not None:
        f = state.failure
        where = " ".join(x for x in (f.stack, f.logical_id, f.resource_type) if x)
        found.append({"kind": "last failure", "action": f.action, "time": f.time.isoformat(),
                      "detail": f"{where}: {f.reason}" if where else f.reason})
    if state.diagnosis:
        d = state.diagnosis
        found.append({"kind": "diagnosis", "detail": str(d.get("root_cause", "")), "fix": str(d.get("fix", "")),
                      "plan_patch": bool(d.get("plan_patch"))})
    return found


def summary_lines(found: Discovery, *, scope: set[str] | None = None, brief: bool = False) -> list[str]:
    """The discovery as lines for a terminal. `brief` (the destroy, before asking): one line per
    stack and the resources that cost money; else every resource."""
    shown = [r for r in found.resources if scope is None or r.stack in scope]
    lines = [f"{found.deployment} ({found.region}): {len(found.stacks)} stack(s), "
             f"{len(found.resources)} resource(s) in them, ${found.monthly_usd(scope):.2f}/month"]
    if brief:
        for name in sorted({r.stack for r in shown} | ({*found.stacks} & (scope or set(found.stacks)))):
            mine = [r for r in shown if r.stack == name]
            lines.append(f"  {name}: {found.stacks.get(name, '?')}, {len(mine)} resource(s), "
                         f"${sum(r.monthly_usd for r in mine):.2f}/month")
        shown = [r for r in shown if r.monthly_usd]
    for res in sorted(shown, key=lambda r: (r.stack, -r.monthly_usd, r.logical_id or "")):
        cost = f"${res.monthly_usd:.2f}/mo" if res.monthly_usd else "-"
        lines.append(f"  {res.stack:<32} {res.type:<44} {res.logical_id or res.id:<40} {cost}")
    for label, items in (("orphan", found.orphans), ("implicit", found.implicit), ("snapshot", found.snapshots)):
        for res in items:
            cost = f"${res.monthly_usd:.2f}/mo" if res.monthly_usd else "-"
            lines.append(f"  {label:<32} {res.type:<44} {res.id:<40} {cost}  ({res.why})")
    for issue in found.issues:
        fix = f"; fix: {issue['fix']}" if issue.get("fix") else ""
        lines.append(f"  issue: {issue['kind']}{' in ' + issue['action'] if issue.get('action') else ''}: "
                     f"{issue.get('detail', '')}{fix}")
    return lines
