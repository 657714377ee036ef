"""Read-only CloudFormation and CloudWatch Logs reads the Medic uses (never a write)."""
from __future__ import annotations

import json
import time

from ..redact import redact, redact_data
from .events import token_matches

MAX_PAGES = 10  # per stack: a failed operation's events sit on the first pages (newest first)


def operation_stack_events(stacks: list[str], region: str, client_request_token: str | None) -> list[dict]:
    """Raw events of `stacks` (newest first per stack), only this operation's when a token is given.

    Paging stops once this operation's events have been passed (older events belong to earlier
    operations). Raises whatever boto3 raises; callers treat that as "unreachable"."""
    from ..aws import client

    cfn = client("cloudformation", region)
    found: list[dict] = []
    for stack in stacks:
        kwargs: dict = {"StackName": stack}
        seen_mine = False
        for _ in range(MAX_PAGES):
            try:
                page = cfn.describe_stack_events(**kwargs)
            except Exception as exc:  # noqa: BLE001 - a stack that is gone has no events to read
                if "does not exist" in str(exc):
                    break
                raise
            passed = False
            for event in page.get("StackEvents", []):
                mine = not client_request_token or token_matches(event.get("ClientRequestToken"), client_request_token)
                if mine:
                    seen_mine = True
                    found.append(event)
                elif seen_mine and event.get("ClientRequestToken"):
                    passed = True
                    break
            if passed or not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return found


def resource_template(stack: str, logical_id: str, region: str) -> str:
    """The failing resource's block of the deployed template, redacted JSON."""
    from ..aws import client

    body = client("cloudformation", region).get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None:
        raise KeyError(f"{logical_id} is not in {stack}'s template")
    return json.dumps(redact_data(resource), indent=1, default=str)


def recent_log_lines(log_group: str, region: str, limit: int = 50) -> list[str]:
    from ..aws import client

    since = int((time.time() - 6 * 3600) * 1000)
    events = client("logs", region).filter_log_events(logGroupName=log_group, startTime=since, limit=limit).get("events", [])
    return [redact(str(e.get("message", "")).rstrip()) for e in events]
