"""Load and save deployment state: local cache first, AWS (SSM) copy for every other machine."""
from __future__ import annotations

import json

from ..aws import AwsError, default_region
from ..errors import HivemindError
from .local import StateError, check_deployment_id, local_deployment_ids, read_local, state_path, write_local
from .lock import held_lease
from .models import DeploymentState, DeploymentStatus, DeploymentSummary, HistoryEvent, utcnow
from ..redact import one_line, redact_data
from .remote import StateConflict, list_remote, read_remote, remote_head, write_remote  # noqa: F401 (StateConflict re-exported)

# Enough history to explain the last few commands; older events are dropped from state.
HISTORY_LIMIT = 200


class DeploymentNotFound(HivemindError):
    """No local or remote state for the id."""


def serialize_state(state: DeploymentState) -> str:
    """The state as stored: JSON with every secret-looking value masked."""
    data = json.loads(state.model_dump_json())
    return json.dumps(redact_data(data), indent=2, sort_keys=True) + "\n"


def save_state(state: DeploymentState, *, remote: bool = True) -> None:
    """Write state.json atomically and (unless remote=False) the copy in AWS.

    Callers hold `deployment_lock(state.id)`; the remote write goes to the state's region and is
    refused (StateConflict, nothing written to AWS) if the stored copy moved past the revision
    `state` was based on; nothing at all is written (DeploymentLocked) if this process lost the
    deployment's lease. The local file is written first (it must land even when AWS is the
    problem), then again with the new revision.
    """
    check_deployment_id(state.id)
    lease = held_lease(state.id) if remote else None
    if lease is not None:
        lease.check()  # broken by `hivemind unlock --force` or taken over: the deployment is someone else's now
    state.updated_at = utcnow()
    if len(state.history) > HISTORY_LIMIT:
        state.history = state.history[-HISTORY_LIMIT:]
    text = serialize_state(state)
    write_local(text, state.id)
    if remote:
        state.revision = write_remote(state, text)
        write_local(serialize_state(state), state.id)


def _read_local_or_note(deployment_id: str) -> tuple[DeploymentState | None, StateError | None]:
    """This machine's copy, or (None, the error) when state.json is corrupt or truncated."""
    try:
        return read_local(deployment_id), None
    except StateError as exc:
        return None, exc


def unreadable_local(error: StateError, deployment_id: str, region: str) -> StateError:
    """One line for a corrupt state.json that AWS cannot replace."""
    return StateError(f"{error}; no copy in AWS ({region}) to rebuild it from: repair or remove "
                      f"{state_path(deployment_id)}")


def load_state(deployment_id: str, region: str | None = None) -> DeploymentState:
    """The local cache if this machine has one, else the copy stored in AWS (then cached locally).

    A local cache is still checked against AWS (one small read of the head): if another machine
    (CI) saved another revision since, that one is returned, so a laptop never acts on a stale
    colour or status. AWS being unreachable then is not an error here: the local cache is returned.
    If the copy in AWS was deleted since the cache was read from it (a destroy elsewhere), the
    cache is returned rebased on "no copy" (revision 0): the caller, holding the lease, may store
    it anew. A corrupt or truncated state.json is rebuilt from AWS, or named in one line.
    `region` is where to look in AWS; default: the local state's, else AWS_REGION /
    AWS_DEFAULT_REGION / us-east-1.
    """
    check_deployment_id(deployment_id)
    local, unreadable = _read_local_or_note(deployment_id)
    if local is not None and (region is None or region == local.region):
        try:
            head = remote_head(deployment_id, local.region)
            if head is None:
                local.revision = 0
                return local
            newer = read_remote(deployment_id, local.region, newer_than=local.updated_at, based_on=local.revision)
        except AwsError:
            return local
        if newer is None:
            return local
        if _later_record_of_the_same_operation(local, newer):
            # The stored revision is this machine's own write whose answer was lost (a reset
            # connection); the local copy was saved after it by the same operation and knows more.
            local.revision = newer.revision
            write_local(serialize_state(local), deployment_id)
            return local
        write_local(serialize_state(newer), deployment_id)
        return newer
    region = default_region(region)
    try:
        state = read_remote(deployment_id, region)
    except AwsError as exc:
        if unreadable is None:
            raise
        # The file is the problem the user must hear about; AWS only failed to stand in for it.
        raise StateError(f"{unreadable}; it could not be rebuilt from AWS ({exc})") from None
    if state is None:
        if unreadable is not None:
            raise unreadable_local(unreadable, deployment_id, region)
        raise DeploymentNotFound(f"unknown deployment '{deployment_id}' in {region} (see `hivemind list`)")
    write_local(serialize_state(state), deployment_id)  # also rebuilds a corrupt state.json
    return state


def _later_record_of_the_same_operation(local: DeploymentState, stored: DeploymentState) -> bool:
    if not local.operations or not stored.operations:
        return False
    return (local.operations[-1].id == stored.operations[-1].id and stored.updated_at is not None
            and local.updated_at is not None and local.updated_at > stored.updated_at)


def list_deployments(region: str | None = None) -> list[DeploymentSummary]:
    """Deployments stored in AWS for the region, plus ones only this machine knows (local-only),
    plus stacks tagged for HiveMind with no stored state (cloudformation-only); sorted by id."""
    from .refresh import tagged_deployment_ids  # CloudFormation lookups live with the refresh logic

    region = default_region(region)
    found = {s.id: s for s in list_remote(region)}
    for deployment_id in local_deployment_ids():
        if deployment_id in found:
            continue
        try:
            local = read_local(deployment_id)
        except HivemindError:
            continue
        if local is not None and local.region == region:
            found[deployment_id] = local.summary(source="local-only")
    for deployment_id, stacks in tagged_deployment_ids(region).items():
        if deployment_id not in found:
            found[deployment_id] = DeploymentSummary(
                id=deployment_id, region=region, stacks=stacks, source="cloudformation-only"
            )
    return [found[k] for k in sorted(found)]


def append_history(
    state: DeploymentState, action: str, detail: str = "", *, status: DeploymentStatus | str | None = None
) -> HistoryEvent:
    """Record an event (detail redacted, one line); `status`, if given, becomes the state's status."""
    if status is not None:
        state.status = DeploymentStatus(status)
    event = HistoryEvent(action=action, status=state.status, detail=one_line(detail) if detail else "")
    state.history.append(event)
    state.updated_at = event.time
    return event


def mark_failed(state: DeploymentState, error: str | BaseException, *, stage: str | None = None) -> None:
    """Set FAILED with a one-line, redacted last_error and the stage that failed."""
    message = one_line(str(error) or error.__class__.__name__)
    state.failed_stage = stage or state.status.value
    state.last_error = message
    append_history(state, "failed", f"{state.failed_stage}: {message}", status=DeploymentStatus.FAILED)
