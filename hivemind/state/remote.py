"""The copy of each deployment's state kept in AWS, so any machine with credentials can act on it.

SSM Parameter Store, Standard tier only (free; Advanced costs money and cannot be downgraded):

  /hivemind/deployments/<id>/state          head: a summary for `hivemind list` + the state,
                                            zlib-compressed and base64-encoded, inline if it fits
  /hivemind/deployments/<id>/state/part-N   overflow chunks when it does not (head keeps their
                                            count and the payload's sha256)

Parts are written before the head and the head's sha256 is checked on read, so a reader never
accepts a mix of two writes. Standard parameters hold at most 4 KB (moto does not enforce it;
real AWS does, so sizes are enforced here).

Optimistic concurrency: the head carries a `revision` (1, 2, ...) and every state carries the
revision it was read from or last saved as (`DeploymentState.revision`). A write is refused
(StateConflict) when the stored revision is not the one the state was based on, or when the
stored copy was deleted after the state was read from it, so an older copy (a laptop's stale
cache, a `status` refreshing it) never overwrites a newer one. SSM has no conditional put: the
check is a read just before the write, and the head's SSM `Version` returned by the write tells
whether another write landed in between (then StateConflict too). Writers that change a
deployment hold its lease (hivemind.state.lease), which closes that window; `status`, which
takes no lease, writes only when no lease is held.
"""
from __future__ import annotations

import base64
import hashlib
import json
import zlib
from datetime import datetime

from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from ..aws import CONNECT_MAX_ATTEMPTS, AwsError, aws_errors, client
from .local import StateError, parse_state
from .models import DeploymentState, DeploymentSummary

PREFIX = "/hivemind/deployments"
STANDARD_TIER_MAX = 4096
PART_SIZE = 4000
FORMAT = 1


class StateConflict(StateError):
    """The copy in AWS moved since this state was read: writing it would lose someone's change."""


def head_name(deployment_id: str) -> str:
    return f"{PREFIX}/{deployment_id}/state"


def part_name(deployment_id: str, index: int) -> str:
    return f"{head_name(deployment_id)}/part-{index}"


def _encode(state_json: str) -> str:
    return base64.b64encode(zlib.compress(state_json.encode("utf-8"), 9)).decode("ascii")


def _decode(payload: str) -> str:
    return zlib.decompress(base64.b64decode(payload)).decode("utf-8")


_DESCRIPTION = "HiveMind deployment state (managed by hivemind; do not edit)"


def _put(ssm, name: str, value: str) -> int:
    return int(ssm.put_parameter(Name=name, Value=value, Type="String", Tier="Standard", Overwrite=True,
                                 Description=_DESCRIPTION).get("Version", 0))


def _is_ours(head: dict | None, record: dict) -> bool:
    return bool(head) and head.get("sha256") == record["sha256"] and stored_revision(head) == record["revision"]


def _put_head(ssm, deployment_id: str, value: str, record: dict) -> tuple[int, int]:
    """Put the head; return its SSM version and how many of botocore's attempts may have stored it
    too (a retried put whose first answer was lost stores the same head again). When the last
    answer is lost (a reset connection, a read timeout) the write may have landed: the head is read
    back, and ours stored means written; otherwise a later load would take our own landed write
    for another machine's newer state."""
    try:
        response = ssm.put_parameter(Name=head_name(deployment_id), Value=value, Type="String", Tier="Standard",
                                     Overwrite=True, Description=_DESCRIPTION)
        return int(response.get("Version", 0)), int(response["ResponseMetadata"].get("RetryAttempts", 0))
    except (ConnectionClosedError, ReadTimeoutError):
        head, version = _read_head_versioned(ssm, deployment_id)
        if _is_ours(head, record):
            return version or 0, CONNECT_MAX_ATTEMPTS - 1
        raise


def stored_revision(head: dict | None) -> int:
    """A head's revision; heads written before revisions existed count as 0."""
    try:
        return int((head or {}).get("revision", 0))
    except (TypeError, ValueError):
        return 0


def _conflict(state: DeploymentState, head: dict | None) -> str | None:
    base = state.revision
    if head is None:
        if base > 0:
            return (f"state of '{state.id}' in SSM ({state.region}) was deleted after this copy (revision {base}) "
                    "was read from it; not writing it back")
        return None
    stored = stored_revision(head)
    if stored != base:
        when = (head.get("summary") or {}).get("updated_at", "?")
        return (f"state of '{state.id}' in SSM ({state.region}) is at revision {stored} (saved {when}) but this "
                f"copy is based on revision {base}: another command saved it since; not overwriting it "
                f"(run `hivemind status {state.id}` to load the newer one)")
    return None


def write_remote(state: DeploymentState, state_json: str) -> int:
    """Store `state_json` (already redacted, serialized from `state`) for `state.id` in the state's
    region, as the revision after `state.revision`; return that new revision. Raise StateConflict
    (nothing written) if the stored copy is not the one `state` was based on."""
    ssm = client("ssm", state.region)
    with aws_errors(f"saving state of '{state.id}' to SSM"):
        head, ssm_version = _read_head_versioned(ssm, state.id)
        problem = _conflict(state, head)
        if problem:
            raise StateConflict(problem)
        revision = stored_revision(head) + 1
        state_json = _with_revision(state_json, revision)
        payload = _encode(state_json)
        summary = json.loads(state.summary().model_dump_json(exclude={"source"}))
        record = {"format": FORMAT, "revision": revision, "summary": summary,
                  "sha256": hashlib.sha256(payload.encode()).hexdigest()}
        inline = json.dumps({**record, "parts": 0, "data": payload}, separators=(",", ":"))
        if len(inline) <= STANDARD_TIER_MAX:
            written, attempts = _put_head(ssm, state.id, inline, record)
            parts = 0
        else:
            chunks = [payload[i:i + PART_SIZE] for i in range(0, len(payload), PART_SIZE)]
            for index, chunk in enumerate(chunks):
                _put(ssm, part_name(state.id, index), chunk)
            parts = len(chunks)
            written, attempts = _put_head(ssm, state.id, json.dumps({**record, "parts": parts}, separators=(",", ":")),
                                          record)
        _delete_parts_from(ssm, state.id, parts)
    expected = (ssm_version or 0) + 1
    if written and expected < written <= expected + attempts and _is_ours(_read_head(ssm, state.id), record):
        # botocore retried a put whose first answer was lost (a reset connection): its attempts
        # stored the same head, so SSM counts more versions, all ours.
        written = expected
    if written and written != expected:
        # Another write of the head landed between our check and our write (a writer without the
        # lease): ours is stored, theirs may be lost. Say so instead of pretending all is well.
        raise StateConflict(f"state of '{state.id}' in SSM was written by another command at the same moment "
                            f"(SSM version {written}, expected {expected}); run `hivemind status {state.id}`")
    return revision


def _with_revision(state_json: str, revision: int) -> str:
    """The stored JSON carries the revision it is stored as (a reader then starts from it)."""
    data = json.loads(state_json)
    data["revision"] = revision
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


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


def _read_head_versioned(ssm, deployment_id: str) -> tuple[dict | None, int | None]:
    """(head, its SSM Version), or (None, None) if the parameter does not exist."""
    try:
        param = ssm.get_parameter(Name=head_name(deployment_id))["Parameter"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None, None
        raise
    try:
        head = json.loads(param["Value"])
    except ValueError:
        raise AwsError(f"SSM parameter {head_name(deployment_id)} is not a HiveMind state") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise AwsError(f"SSM parameter {head_name(deployment_id)} has an unknown state format")
    return head, param.get("Version")


def _read_head(ssm, deployment_id: str) -> dict | None:
    return _read_head_versioned(ssm, deployment_id)[0]


def remote_head(deployment_id: str, region: str) -> dict | None:
    """The stored head (summary, revision; one small read), or None if the region has no state
    for the id."""
    ssm = client("ssm", region)
    with aws_errors(f"reading state of '{deployment_id}' from SSM"):
        return _read_head(ssm, deployment_id)


def remote_revision(deployment_id: str, region: str) -> int | None:
    """The revision stored in AWS, or None if the region has no state for the id."""
    head = remote_head(deployment_id, region)
    return None if head is None else stored_revision(head)


def read_remote(deployment_id: str, region: str, *, newer_than: datetime | None = None,
                based_on: int | None = None) -> DeploymentState | None:
    """The state stored in AWS (its `revision` set from the head), or None if this region has none
    for the id. With `based_on` (the revision a local copy is based on), None also when the stored
    revision is that one (the local copy is as new or newer: only the small head is read); heads
    and copies without revisions (0) are compared by `newer_than` (the local copy's updated_at)."""
    ssm = client("ssm", region)
    with aws_errors(f"reading state of '{deployment_id}' from SSM"):
        for _ in range(2):  # a concurrent writer may swap parts under us: one re-read settles it
            head = _read_head(ssm, deployment_id)
            if head is None:
                return None
            if not _worth_reading(head, based_on, newer_than):
                return None
            payload = head.get("data") or _read_parts(ssm, deployment_id, int(head.get("parts", 0)))
            if hashlib.sha256(payload.encode()).hexdigest() == head.get("sha256"):
                state = parse_state(_decode(payload), f"ssm:{head_name(deployment_id)}")
                state.revision = stored_revision(head)
                return state
    raise AwsError(f"state of '{deployment_id}' in SSM is inconsistent (parts do not match); retry")


def _worth_reading(head: dict, based_on: int | None, newer_than: datetime | None) -> bool:
    stored = stored_revision(head)
    if based_on is not None and (stored or based_on):
        # Another revision (newer, or a copy re-created after a delete) is what AWS holds now.
        return stored != based_on
    if newer_than is not None:
        return _saved_after(head, newer_than)
    return True


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
