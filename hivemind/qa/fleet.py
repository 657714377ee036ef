"""Checks that ask AWS about the deployment: targets (ELBv2 target health) and database/cache
(a connection probe run on one app instance with SSM Run Command, from inside the VPC).

Read-only calls only, except `ssm:SendCommand`, which runs a read-only probe (a TCP connect) on
an instance. The probe prints host:port and a verdict, never the credentials it may read.
"""
from __future__ import annotations

import re
import shlex
import time

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import client
from ..render import names
from ..state.models import DeploymentState, VerificationCheck

PROBE_MARKER = "HIVEMIND_PROBE"
_DONE = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling", "Undeliverable", "Terminated",
         "InvalidPlatform", "AccessDenied", "DeliveryTimedOut", "ExecutionTimedOut"}


def _check(name: str, started: float, passed: bool, detail: str, *, unreachable: bool = False, **data) -> VerificationCheck:
    return VerificationCheck(name=name, passed=passed, detail=detail, seconds=round(time.perf_counter() - started, 3),
                             unreachable=unreachable, data=data)


def _pascal(text: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[-_]", text))


def _aws_reason(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        message = str(err.get("Message", ""))
        if message.lstrip().startswith("<"):
            message = "the endpoint answered with an HTML error page"
        return f"{err.get('Code', 'Error')}: {message}"
    return str(exc)


# --- targets -------------------------------------------------------------------------------------

def target_group_arns(state: DeploymentState, color: str) -> dict[str, str | None]:
    """Web service -> target group ARN of `color`: from the edge stack's SSM parameters, else from
    the edge stack's resources (logical id `Edge<Service><Colour>...`); None when neither has it."""
    ssm = client("ssm", state.region)
    found: dict[str, str | None] = {}
    for service in state.plan.web_services:
        try:
            found[service.name] = ssm.get_parameter(
                Name=names.target_group_parameter(state.id, service.name, color))["Parameter"]["Value"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            found[service.name] = None
    if all(found.values()):
        return found
    cfn = client("cloudformation", state.region)
    try:
        resources = [r for page in cfn.get_paginator("list_stack_resources").paginate(
            StackName=names.stack_name(state.id, "edge")) for r in page["StackResourceSummaries"]]
    except ClientError:
        return found
    for service, arn in found.items():
        if arn:
            continue
        pattern = re.compile(rf"^Edge{_pascal(service)}{_pascal(color)}[0-9A-F]{{8}}$")
        for res in resources:
            if (res.get("ResourceType") == "AWS::ElasticLoadBalancingV2::TargetGroup" and res.get("PhysicalResourceId")
                    and pattern.match(res.get("LogicalResourceId", ""))):
                found[service] = res["PhysicalResourceId"]
    return found


def check_targets(state: DeploymentState, color: str) -> VerificationCheck:
    """Every target in `color`'s target group of every web service is healthy."""
    started = time.perf_counter()
    try:
        groups = target_group_arns(state, color)
        elbv2 = client("elbv2", state.region)
        unhealthy: list[str] = []
        healthy = 0
        missing = [service for service, arn in groups.items() if not arn]
        empty: list[str] = []
        targets: dict[str, list[dict]] = {}
        for service, arn in groups.items():
            if not arn:
                continue
            descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            targets[service] = [{"id": d["Target"]["Id"], "port": d["Target"].get("Port"),
                                 "state": d.get("TargetHealth", {}).get("State"),
                                 "reason": d.get("TargetHealth", {}).get("Reason")} for d in descriptions]
            if not descriptions:
                empty.append(service)
            for d in descriptions:
                health = d.get("TargetHealth", {})
                if health.get("State") == "healthy":
                    healthy += 1
                    continue
                why = health.get("Description") or health.get("Reason") or "no reason given"
                unhealthy.append(f"{d['Target']['Id']} ({service}) {health.get('State', '?')}: {why}")
    except (ClientError, BotoCoreError) as exc:
        return _check("targets", started, False, f"cannot read target health: {_aws_reason(exc)}")
    problems = []
    if missing:
        problems.append(f"no {color} target group found for {', '.join(missing)} (is the edge stack deployed?)")
    if empty:
        problems.append(f"no targets registered in the {color} target group of {', '.join(empty)}")
    if unhealthy:
        problems.append(f"{len(unhealthy)} unhealthy: " + "; ".join(unhealthy))
    if problems:
        return _check("targets", started, False, "; ".join(problems), color=color, healthy=healthy, targets=targets)
    return _check("targets", started, True, f"{healthy} healthy target(s) in the {color} target group(s)",
                  color=color, healthy=healthy, targets=targets)


# --- database / cache probe ---------------------------------------------------------------------

_PROBE = r'''
import socket, sys, urllib.parse
kind, host, port, key, env_file = sys.argv[1:6]
if not host:
    try:
        values = dict(l.rstrip("\n").split("=", 1) for l in open(env_file) if "=" in l)
        u = urllib.parse.urlsplit(values[key])
        host, port = u.hostname, str(u.port or port)
    except Exception as e:
        print("%s %s fail no endpoint: %s not readable from %s (%s)" % ("HIVEMIND_PROBE", kind, key, env_file, e.__class__.__name__))
        sys.exit(0)
try:
    socket.create_connection((host, int(port)), timeout=5).close()
    print("%s %s ok %s:%s" % ("HIVEMIND_PROBE", kind, host, port))
except Exception as e:
    print("%s %s fail %s:%s %s: %s" % ("HIVEMIND_PROBE", kind, host, port, e.__class__.__name__, e))
'''


def _endpoint(state: DeploymentState, kind: str) -> tuple[str, int] | None:
    """The database / cache endpoint as AWS describes it (None: not described; the instance's
    environment file is read instead)."""
    try:
        if kind == "database":
            db = client("rds", state.region).describe_db_instances(
                DBInstanceIdentifier=names.database_identifier(state.id))["DBInstances"][0]
            endpoint = db.get("Endpoint") or {}
            return (endpoint["Address"], int(endpoint.get("Port") or 0)) if endpoint.get("Address") else None
        group = client("elasticache", state.region).describe_replication_groups(
            ReplicationGroupId=names.cache_group_id(state.id))["ReplicationGroups"][0]
        for node_group in group.get("NodeGroups", []):
            endpoint = node_group.get("PrimaryEndpoint") or {}
            if endpoint.get("Address"):
                return endpoint["Address"], int(endpoint.get("Port") or 6379)
        endpoint = group.get("ConfigurationEndpoint") or {}
        return (endpoint["Address"], int(endpoint.get("Port") or 6379)) if endpoint.get("Address") else None
    except (ClientError, BotoCoreError, IndexError, KeyError):
        return None


def probe_commands(state: DeploymentState, kinds: tuple[str, ...], endpoints: dict[str, tuple[str, int] | None]) -> list[str]:
    """The AWS-RunShellScript lines: one python3 TCP probe per kind (python3 is in every profile's user data)."""
    service = state.plan.services[0].name
    env_file = f"/etc/hivemind/{service}.env"
    lines = []
    for kind in kinds:
        key, default_port = ("DATABASE_URL", 5432 if state.plan.database and state.plan.database.engine == "postgres" else 3306) \
            if kind == "database" else ("REDIS_URL", 6379)
        host, port = endpoints.get(kind) or ("", default_port)
        args = " ".join(shlex.quote(str(a)) for a in (kind, host, port or default_port, key, env_file))
        lines.append(f"python3 -c {shlex.quote(_PROBE)} {args}")
    return lines


def parse_probe_output(output: str) -> dict[str, tuple[bool, str]]:
    """kind -> (reachable, "host:port ..." or the reason) from the probe's standard output."""
    results = {}
    for line in output.splitlines():
        parts = line.strip().split(" ", 3)
        if len(parts) >= 3 and parts[0] == PROBE_MARKER:
            results[parts[1]] = (parts[2] == "ok", parts[3] if len(parts) > 3 else "")
    return results


def probe_instance(state: DeploymentState, color: str) -> str | None:
    """One InService instance of the app fleet (the first service's Auto Scaling group in `color`)."""
    autoscaling = client("autoscaling", state.region)
    for service in state.plan.services:
        group = names.group_name(state.id, service.name, color)
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
        for g in groups:
            for instance in g.get("Instances", []):
                if instance.get("LifecycleState") == "InService" and instance.get("HealthStatus", "Healthy") == "Healthy":
                    return instance["InstanceId"]
    return None


def check_data_reachable(state: DeploymentState, kinds: tuple[str, ...], color: str, timeout: float) -> list[VerificationCheck]:
    """database/cache checks: a TCP probe from one app instance, run with SSM Run Command, output read back."""
    started = time.perf_counter()
    if not kinds:
        return []

    # No verdict from inside the VPC (no instance, Run Command refused, no answer in time, no
    # output): HiveMind could not reach in to look, so the check says `unreachable`. Only the
    # probe's own "fail" (a refused or timed-out connection to the endpoint) is a plain failure.
    def every(passed: bool, detail: str, **data) -> list[VerificationCheck]:
        return [_check(kind, started, passed, detail, unreachable=True, **data) for kind in kinds]

    try:
        instance = probe_instance(state, color)
    except (ClientError, BotoCoreError) as exc:
        return every(False, f"cannot find an app instance to probe from: {_aws_reason(exc)}")
    if instance is None:
        return every(False, f"no InService app instance in the {color} fleet to probe from")
    endpoints = {kind: _endpoint(state, kind) for kind in kinds}
    ssm = client("ssm", state.region)
    try:
        command = ssm.send_command(
            InstanceIds=[instance], DocumentName="AWS-RunShellScript",
            Comment=f"hivemind verify {state.id}: database/cache reachability probe (read-only)",
            Parameters={"commands": probe_commands(state, kinds, endpoints), "executionTimeout": [str(max(30, int(timeout)))]},
            TimeoutSeconds=max(30, int(timeout) + 30),
        )["Command"]
    except (ClientError, BotoCoreError) as exc:
        return every(False, f"SSM Run Command on {instance} refused: {_aws_reason(exc)} "
                            "(is the SSM agent running and the instance role allowed ssm:UpdateInstanceInformation?)",
                     instance=instance)
    invocation: dict = {}
    deadline = time.monotonic() + max(timeout, 5) + 30
    while True:
        try:
            invocation = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instance)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvocationDoesNotExist":
                return every(False, f"reading the probe's result: {_aws_reason(exc)}", instance=instance)
        except BotoCoreError as exc:
            return every(False, f"reading the probe's result: {_aws_reason(exc)}", instance=instance)
        if invocation.get("Status") in _DONE or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    status = invocation.get("Status", "Pending")
    output = invocation.get("StandardOutputContent", "") or ""
    results = parse_probe_output(output)
    checks = []
    for kind in kinds:
        common = {"instance": instance, "command_id": command["CommandId"], "command_status": status}
        if kind in results:
            ok, rest = results[kind]
            detail = (f"reachable from {instance}: TCP {rest}" if ok else f"not reachable from {instance}: {rest}")
            checks.append(_check(kind, started, ok, detail, **common))
        elif status not in _DONE:
            checks.append(_check(kind, started, False, f"the probe on {instance} did not finish in time (status {status})",
                                 unreachable=True, **common))
        else:
            error = (invocation.get("StandardErrorContent") or "").strip().splitlines()
            why = f"; stderr: {error[-1]}" if error else ""
            checks.append(_check(kind, started, False,
                                 f"the probe on {instance} ended {status} but printed no result, so reachability "
                                 f"is unknown{why}", unreachable=True, **common))
    return checks


__all__ = ["check_data_reachable", "check_targets", "parse_probe_output", "probe_commands", "probe_instance",
           "target_group_arns"]
