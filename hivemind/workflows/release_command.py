"""The plan's release command (database migrations and the like), run once per release on one
instance of the new colour before traffic moves, through SSM Run Command (the instances run
the SSM agent; no SSH). Its output is read back and a failure stops the release."""
from __future__ import annotations

from botocore.exceptions import WaiterError

from ..aws import aws_errors, client
from ..plan import DeploymentPlan
from ..redact import one_line, redact
from ..render.names import group_name
from ..state import DeploymentState
from .operation import Refused

COMMAND_TIMEOUT_S = 900


def run_release_command(state: DeploymentState, plan: DeploymentPlan, service: str, color: str, command: str,
                        *, timeout: int = COMMAND_TIMEOUT_S) -> str:
    """Run `command` in the app's directory on one in-service instance of `service` in `color`;
    returns its (redacted) output, raises with the output's last line when it fails."""
    autoscaling, ssm = client("autoscaling", plan.region), client("ssm", plan.region)
    with aws_errors(f"finding an instance of {service} ({color})"):
        groups = autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[group_name(plan.name, service, color)])["AutoScalingGroups"]
    instances = [i["InstanceId"] for g in groups for i in g.get("Instances", [])
                 if i.get("LifecycleState") == "InService"]
    if not instances:
        raise Refused(f"no in-service instance of {service} ({color}) to run the release command on", exit_code=1)
    import shlex

    root = next((s.root for s in plan.services if s.name == service), ".")
    # As the app runs it: its user, directory and environment file (secrets resolved at boot).
    script = (f"set -euo pipefail\ncd {shlex.quote(f'/opt/app/{root}')}\nset -a\n. /etc/hivemind/{service}.env\nset +a\n"
              f"runuser -u app --preserve-environment -- bash -c {shlex.quote(command)}\n")
    with aws_errors("sending the release command"):
        sent = ssm.send_command(InstanceIds=instances[:1], DocumentName="AWS-RunShellScript",
                                Parameters={"commands": [script], "executionTimeout": [str(timeout)]},
                                Comment=f"hivemind release command for {plan.name}/{service}"[:100],
                                TimeoutSeconds=max(30, min(timeout, 2592000)))
    command_id = sent["Command"]["CommandId"]
    try:
        ssm.get_waiter("command_executed").wait(CommandId=command_id, InstanceId=instances[0],
                                                WaiterConfig={"Delay": 5, "MaxAttempts": max(1, timeout // 5)})
    except WaiterError:
        pass  # the invocation below says how it ended
    with aws_errors("reading the release command's output"):
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instances[0])
    output = redact((invocation.get("StandardOutputContent") or "") + (invocation.get("StandardErrorContent") or ""))
    if invocation.get("Status") != "Success":
        last = one_line(output.strip().splitlines()[-1]) if output.strip() else invocation.get("Status", "failed")
        raise Refused(f"release command `{command}` failed on {instances[0]} ({invocation.get('Status')}): {last}",
                      exit_code=1)
    return output
