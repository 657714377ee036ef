"""Read an instance's boot log to name the step that failed (health and signal timeouts).

The bootstrap script (render/templates/userdata.sh.j2) ships its own output to the service's log
group `/hivemind/<id>/<service>` (stream `<instance-id>/bootstrap`, the app's output in
`<instance-id>/app`); when that holds nothing (the agent never started), the EC2 console output of
the Auto Scaling group's instances is read instead. Read-only; every failure here means "no log".
"""
from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass

from ..redact import one_line
from ..render import names

# Bootstrap steps, in script order, and the lines that betray each one failing.
STEPS: tuple[tuple[str, str], ...] = (
    ("artifact download/verify", r"sha256sum: WARNING|artifact\.tar\.gz: FAILED|computed checksum did NOT match|"
                                 r"fatal error: An error occurred|NoSuchKey|no artifact configured"),
    ("runtime install", r"No match for argument|Unable to find a match|Error: Failed to download metadata|"
                        r"dnf: command not found|Curl error"),
    ("secrets and environment", r"ParameterNotFound|ResourceNotFoundException|get-parameter|get-secret-value|"
                                r"Secrets Manager can't find"),
    ("build", r"npm ERR!|npm error|ERROR: Could not|ERR_PNPM|pip: |error: subprocess-exited|BUILD FAILURE|"
              r"go: |cannot find package|compilation failed|Gem::|Bundler::"),
    ("app start", r"Cannot find module|ModuleNotFoundError|Traceback|EADDRINUSE|Error: listen|exited with code|"
                  r"Main process exited|status=\d+/FAILURE|Failed to start|panic:|Exception in thread|SyntaxError"),
)
_ERROR = re.compile(r"(?i)\berror\b|\bfailed\b|\bfatal\b|exception|denied|not found")


@dataclass(frozen=True)
class BootStep:
    step: str
    line: str
    source: str
    log_group: str | None = None


def failing_step(lines: list[str], source: str, log_group: str | None = None) -> BootStep | None:
    """The first line that names a known step failing, else the last error-looking line."""
    for line in lines:
        for step, pattern in STEPS:
            if re.search(pattern, line):
                return BootStep(step, one_line(line, 300), source, log_group)
    errors = [line for line in lines if _ERROR.search(line)]
    if errors:
        return BootStep("bootstrap", one_line(errors[-1], 300), source, log_group)
    return None


def _services(ctx) -> list[str]:
    plan = ctx.plan
    if plan is None:
        return []
    ids = f"{ctx.physical_id or ''} {ctx.logical_id or ''}"
    named = [s.name for s in plan.services if s.name in ids]
    return named or [s.name for s in plan.web_services] or [s.name for s in plan.services]


def _log_lines(logs, group: str, limit: int = 200) -> list[str]:
    out: list[str] = []
    since = int((time.time() - 6 * 3600) * 1000)  # the boot that just failed, not last month's
    response = logs.filter_log_events(logGroupName=group, startTime=since, limit=limit)
    for event in response.get("events", []):
        out.extend(str(event.get("message", "")).splitlines())
    return out


def _console_lines(ctx, region: str) -> list[str]:
    from ..aws import client

    group_name = ctx.physical_id if ctx.resource_type == "AWS::AutoScaling::AutoScalingGroup" else None
    if not group_name:
        return []
    autoscaling = client("autoscaling", region)
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name]).get("AutoScalingGroups", [])
    instances = [i["InstanceId"] for g in groups for i in g.get("Instances", [])][:3]
    ec2 = client("ec2", region)
    lines: list[str] = []
    for instance in instances:
        output = ec2.get_console_output(InstanceId=instance, Latest=True).get("Output") or ""
        try:
            output = base64.b64decode(output, validate=True).decode("utf-8", errors="replace")
        except (ValueError, TypeError):
            pass
        lines.extend(output.splitlines())
    return lines


def boot_step(ctx) -> BootStep | None:
    """Name the failing boot step from the service log groups, else the console output."""
    if not ctx.deployment_id and ctx.plan is None:
        return None
    region = ctx.region or (ctx.plan.region if ctx.plan else None)
    if not region:
        return None
    deployment = ctx.deployment_id or ctx.plan.name
    try:
        from ..aws import client

        logs = client("logs", region)
        for service in _services(ctx):
            group = names.log_group_name(deployment, service)
            try:
                lines = _log_lines(logs, group)
            except Exception:  # noqa: BLE001 - a missing group or no access: try the next source
                continue
            step = failing_step(lines, f"log group {group}", group)
            if step:
                return step
    except Exception:  # noqa: BLE001 - AWS unreachable: no log
        pass
    try:
        return failing_step(_console_lines(ctx, region), "EC2 console output")
    except Exception:  # noqa: BLE001
        return None
