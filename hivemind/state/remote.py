"""The copy of each deployment's state kept in AWS, so any machine with credentials can act on it.

SSM Parameter Store, Standard tier only (free; Advanced costs money and cannot be downgraded):

  /hivemind/deployments/<id>/state          head: a summary for `hivemind list` + the state,
                                            zlib-compressed and base64-encoded, inline if it fits
  /hivemind/deployments/<id>/state/part-N   overflow chunks when it does not (head keeps their
                                            count and the payload's sha256)

Parts are written before the head and the head's sha256 is checked on read, so a reader never
accepts a mix of two writes. Standard parameters hold at most 4 KB (moto does not enforce it;
real AWS does, so sizes are enforced here).
"""
from __future__ import annotations

import base64
import hashlib
import json
import zlib
from datetime import datetime

from botocore.exceptions import ClientError

from ..aws import AwsError, aws_errors, client
from .local import parse_state
from .models import DeploymentState, DeploymentSummary

PREFIX = "/hivemind/deployments"
STANDARD_TIER_MAX = 4096
PART_SIZE = 4000
FORMAT = 1


def head_name(deployment_id: str) -> str:
    return f"{PREFIX}/{deployment_id}/state"


def part_name(deployment_id: str, index: int) -> str:
    return f"{head_name(deployment_id)}/part-{index}"


def _encode(state_json: str) -> str:
    return base64.b64encode(zlib.compress(state_json.encode("utf-8"), 9)).decode("ascii")


def _decode(payload: str) -> str:
    return zlib.decompress(base64.b64decode(payload)).decode("utf-8")


def _put(ssm, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="String", Tier="Standard", Overwrite=True,
                      Description="HiveMind deployment state (managed by hivemind; do not edit)")


def write_remote(state: DeploymentState, state_json: str) -> None:
    """Store `state_json` (already redacted) for `state.id` in the state's region."""
    payload = _encode(state_json)
    summary = json.loads(state.summary().model_dump_json(exclude={"source"}))
    head = {"format": FORMAT, "summary": summary, "sha256": hashlib.sha256(payload.encode()).hexdigest()}
    inline = json.dumps({**head, "parts": 0, "data": payload}, separators=(",", ":"))
    ssm = client("ssm", state.region)
    with aws_errors(f"saving state of '{state.id}' to SSM"):
        if len(inline) <= STANDARD_TIER_MAX:
            _put(ssm, head_name(state.id), inline)
            parts = 0
        else:
            chunks = [payload[i:i + PART_SIZE] for i in range(0, len(payload), PART_SIZE)]
            for index, chunk in enumerate(chunks):
                _put(ssm, part_name(state.id, index), chunk)
            parts = len(chunks)
            _put(ssm, head_name(state.id), json.dumps({**head, "parts": parts}, separators=(",", ":")))
        _delete_parts_from(ssm, state.id, parts)


def _delete_parts_from(ssm, deployment_id: str, first: int) -> None:
    """Remove chunks left over from an earlier, larger state."""
    stale = [
        p["Name"] for p in _parameters_under(ssm, head_name(deployment_id), recursive=False)
        if p["Name"].rsplit("part-", 1)[-1].isdigit() and int(p["Name"].rsplit("part-", 1)[-1]) >= first
    ]
    for i in range(0, len(stale), 10):
        ssm.delete_parameters(Names=stale[i:i + 10])


def _parameters_under(ssm, path: str, *, recursive: bool):
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=recursive):
        yield from page["Parameters"]


def _read_head(ssm, deployment_id: str) -> dict | None:
    try:
        value = ssm.get_parameter(Name=head_name(deployment_id))["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    try:
        head = json.loads(value)
    except ValueError:
        raise AwsError(f"SSM parameter {head_name(deployment_id)} is not a HiveMind state") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise AwsError(f"SSM parameter {head_name(deployment_id)} has an unknown state format")
    return head


def read_remote(deployment_id: str, region: str, *, newer_than: datetime | None = None) -> DeploymentState | None:
    """The state stored in AWS, or None if this region has none for the id (or, with
    `newer_than`, none saved after that moment: then only the small head is read)."""
    ssm = client("ssm", region)
    with aws_errors(f"reading state of '{deployment_id}' from SSM"):
        for _ in range(2):  # a concurrent writer may swap parts under us: one re-read settles it
            head = _read_head(ssm, deployment_id)
            if head is None:
                return None
            if newer_than is not None and not _saved_after(head, newer_than):
                return None
            payload = head.get("data") or _read_parts(ssm, deployment_id, int(head.get("parts", 0)))
            if hashlib.sha256(payload.encode()).hexdigest() == head.get("sha256"):
                return parse_state(_decode(payload), f"ssm:{head_name(deployment_id)}")
    raise AwsError(f"state of '{deployment_id}' in SSM is inconsistent (parts do not match); retry")


def _saved_after(head: dict, moment: datetime) -> bool:
    try:
        saved = datetime.fromisoformat(head["summary"]["updated_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return True  # cannot tell: read it, the full state carries its own timestamp
    return saved > moment


def _read_parts(ssm, deployment_id: str, count: int) -> str:
    names = [part_name(deployment_id, i) for i in range(count)]
    values: dict[str, str] = {}
    for i in range(0, len(names), 10):  # GetParameters takes at most 10 names
        for p in ssm.get_parameters(Names=names[i:i + 10])["Parameters"]:
            values[p["Name"]] = p["Value"]
    return "".join(values.get(n, "") for n in names)


def delete_remote(deployment_id: str, region: str) -> None:
    """Forget a destroyed deployment in AWS (head and parts)."""
    ssm = client("ssm", region)
    with aws_errors(f"deleting state of '{deployment_id}' from SSM"):
        _delete_parts_from(ssm, deployment_id, 0)
        try:
            ssm.delete_parameter(Name=head_name(deployment_id))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise


def list_remote(region: str) -> list[DeploymentSummary]:
    """Every deployment whose state is stored in this account and region."""
    ssm = client("ssm", region)
    out: list[DeploymentSummary] = []
    with aws_errors("listing deployments in SSM"):
        for param in _parameters_under(ssm, PREFIX, recursive=True):
            if not param["Name"].endswith("/state"):
                continue
            try:
                summary = json.loads(param["Value"])["summary"]
                out.append(DeploymentSummary.model_validate({**summary, "source": "aws"}))
            except (ValueError, KeyError, TypeError):
                continue  # not ours or from an incompatible version: not a deployment we can show
    return out
