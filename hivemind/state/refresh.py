"""Bring a stored state up to CloudFormation's truth: stack statuses, outputs, URL, dashboard,
and what really happened to a command that stopped half-way (Ctrl-C, a killed CI job)."""
from __future__ import annotations

import re

from botocore.exceptions import ClientError

from ..aws import AwsError, aws_errors, client, default_region
from ..render.names import DEPLOYMENT_TAG, all_stack_names, stack_name
from .local import StateError, read_local, write_local
from .lock import DeploymentLocked, deployment_lock, lease_held_elsewhere, lock_held, locked_elsewhere
from .models import DeploymentState, DeploymentStatus, StackState
from ..redact import one_line
from .remote import StateConflict, _saved_after, read_remote, remote_head, stored_revision
from .store import DeploymentNotFound, append_history, mark_failed, save_state, serialize_state, unreadable_local

MISSING = "MISSING"


def stack_names(deployment_id: str) -> list[str]:
    return all_stack_names(deployment_id)


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={name}"


def _describe(cfn, name: str) -> dict | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") == "ValidationError" and "does not exist" in err.get("Message", ""):
            return None
        raise


def _stack_state(stack: dict) -> StackState:
    return StackState(
        status=stack["StackStatus"],
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", []) or []},
        last_updated=stack.get("LastUpdatedTime") or stack.get("CreationTime"),
        stack_id=stack.get("StackId"),
        status_reason=one_line(stack["StackStatusReason"]) if stack.get("StackStatusReason") else None,
    )


def _resources(cfn, stack_name: str, resource_type: str) -> list[str]:
    ids = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for res in page["StackResourceSummaries"]:
            if res.get("ResourceType") == resource_type and res.get("PhysicalResourceId"):
                ids.append(res["PhysicalResourceId"])
    return ids


def _url_from_outputs(state: DeploymentState) -> str | None:
    scheme = "https" if state.plan.certificate_arn else "http"
    ordered = sorted(state.stacks.items(), key=lambda kv: not kv[0].endswith("-edge"))
    for _, stack in ordered:
        for key, value in stack.outputs.items():
            if re.search(r"(?i)url", key) and not re.search(r"(?i)dashboard", key) and value.startswith("http"):
                return value
    for _, stack in ordered:
        for key, value in stack.outputs.items():
            if re.search(r"(?i)(dns|loadbalancer)", key) and re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", value):
                return f"{scheme}://{value}"
    return None


def _url_from_load_balancer(state: DeploymentState, cfn) -> str | None:
    """moto (and a stack whose outputs were never read) has no outputs: ask ELBv2 for the DNS."""
    edge = stack_name(state.id, "edge")
    if edge not in state.stacks or state.stacks[edge].status == MISSING:
        return None
    arns = _resources(cfn, edge, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    if not arns:
        return None
    elbv2 = client("elbv2", state.region)
    balancers = elbv2.describe_load_balancers(LoadBalancerArns=arns[:1])["LoadBalancers"]
    if not balancers or not balancers[0].get("DNSName"):
        return None
    scheme = "https" if state.plan.certificate_arn else "http"
    return f"{scheme}://{balancers[0]['DNSName']}"


def _dashboard(state: DeploymentState, cfn) -> str | None:
    for stack in state.stacks.values():
        for key, value in stack.outputs.items():
            if re.search(r"(?i)dashboard", key) and value:
                return value if value.startswith("https://") else dashboard_url(state.region, value)
    obs = stack_name(state.id, "observability")
    if obs in state.stacks and state.stacks[obs].status != MISSING:
        names = _resources(cfn, obs, "AWS::CloudWatch::Dashboard")
        if names:
            return dashboard_url(state.region, names[0])
    return None


def _reconcile_interrupted(state: DeploymentState) -> None:
    """The state says a command is acting, but no process (this one included) holds the lock: it
    stopped (Ctrl-C, kill, crash). Report what CloudFormation shows instead of a status that will
    never end."""
    if not state.status.in_progress or lock_held(state.id):
        return
    if lease_held_elsewhere(state.id, state.region) is not None:
        return  # a command on another machine holds the deployment's lease: it is running, not stopped
    live = {n: s.status for n, s in state.stacks.items() if s.status != MISSING}
    # REVIEW_IN_PROGRESS is a stack waiting for its first change set to be executed: idle.
    working = sorted(n for n, s in live.items() if s.endswith("_IN_PROGRESS") and s != "REVIEW_IN_PROGRESS")
    shown = ", ".join(f"{n} {s}" for n, s in sorted(live.items())) or "no stacks"
    previous = state.status.value
    if working:
        # CloudFormation carries on without us; the deployment is not done, nor failed yet.
        append_history(state, "refresh", f"the {previous} command stopped; CloudFormation is still working on {', '.join(working)}")
        state.last_error = one_line(f"interrupted while {previous}; CloudFormation still working: {shown}")
        return
    if state.status is DeploymentStatus.DESTROYING and not live:
        append_history(state, "refresh", "interrupted destroy had already removed every stack",
                       status=DeploymentStatus.DESTROYED)
        return
    mark_failed(state, f"interrupted while {previous}; CloudFormation reports: {shown}", stage=previous)


def refresh_from_cloudformation(state: DeploymentState) -> DeploymentState:
    """Update `state` in place from CloudFormation (the source of truth) and return it."""
    cfn = client("cloudformation", state.region)
    with aws_errors(f"reading stacks of '{state.id}' from CloudFormation"):
        names = list(dict.fromkeys([*stack_names(state.id), *state.stacks]))
        for name in names:
            stack = _describe(cfn, name)
            if stack is not None:
                state.stacks[name] = _stack_state(stack)
            elif name in state.stacks:
                if state.status is DeploymentStatus.DESTROYED:
                    del state.stacks[name]
                else:
                    state.stacks[name] = StackState(status=MISSING, outputs={}, last_updated=None)
        # The last known URL stands in for a lookup that found nothing, but only while the edge
        # stack (the load balancer) exists: without it there is no URL any more.
        edge = state.stacks.get(stack_name(state.id, "edge"))
        known = state.url if edge is not None and edge.status != MISSING else None
        if state.stacks:
            state.url = _url_from_outputs(state) or _url_from_load_balancer(state, cfn) or known
            state.dashboard_url = _dashboard(state, cfn) or state.dashboard_url
        else:
            state.url = None
    _reconcile_interrupted(state)
    return state


def tagged_deployment_ids(region: str) -> dict[str, int]:
    """Deployment id -> number of live stacks carrying the HiveMind deployment tag."""
    cfn = client("cloudformation", region)
    found: dict[str, int] = {}
    with aws_errors("listing CloudFormation stacks"):
        for page in cfn.get_paginator("describe_stacks").paginate():
            for stack in page["Stacks"]:
                tags = {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
                if DEPLOYMENT_TAG in tags and stack["StackStatus"] != "DELETE_COMPLETE":
                    found[tags[DEPLOYMENT_TAG]] = found.get(tags[DEPLOYMENT_TAG], 0) + 1
    return found


def _live_stacks(state: DeploymentState) -> list[str]:
    return sorted(n for n, s in state.stacks.items() if s.status != MISSING)


def _not_deployed(deployment_id: str, region: str, detail: str) -> DeploymentNotFound:
    return DeploymentNotFound(f"'{deployment_id}' is not deployed in {region}: {detail} (see `hivemind list`)")


def _cloudformation_only(deployment_id: str, region: str) -> list[str]:
    cfn = client("cloudformation", region)
    with aws_errors(f"reading stacks of '{deployment_id}' from CloudFormation"):
        return [n for n in stack_names(deployment_id) if _describe(cfn, n) is not None]


def _aws_copy_wins(head: dict, local: DeploymentState) -> bool:
    """The stored copy is the one to show: another revision than the local copy's base, or (both
    from before revisions) saved later."""
    stored = stored_revision(head)
    if stored or local.revision:
        return stored != local.revision
    return _saved_after(head, local.updated_at)


def current_status(deployment_id: str, region: str | None = None) -> DeploymentState:
    """What `hivemind status` shows: the newest stored state (this machine's or AWS's), refreshed
    from CloudFormation, and saved back unless a command holds the deployment's lock (here, or
    its lease in AWS).

    Truth about absence: where AWS holds no state for the id and none of the stacks this
    machine's copy names exists (another account, another region, a destroy elsewhere), the
    deployment is not deployed there: DeploymentNotFound (exit 2) and nothing is written, neither
    to that account's SSM nor over this machine's copy. An older local copy never overwrites a
    newer one in AWS (revisions, see hivemind.state.remote). A corrupt state.json is rebuilt from
    AWS, or named in one line.
    """
    try:
        local, unreadable = read_local(deployment_id), None
    except StateError as exc:
        local, unreadable = None, exc
    if local is not None and region not in (None, local.region):
        local = None  # asked about another region: this machine's copy is not that deployment
    region = region or (local.region if local else None) or default_region()
    # Unlike load_state, AWS must answer here: status is about what is deployed now.
    head = remote_head(deployment_id, region)
    remote = None
    if head is not None and (local is None or _aws_copy_wins(head, local)):
        remote = read_remote(deployment_id, region)
    if remote is None and local is None:
        stacks = _cloudformation_only(deployment_id, region)
        if unreadable is not None:
            raise unreadable_local(unreadable, deployment_id, region)
        if stacks:
            raise DeploymentNotFound(f"'{deployment_id}' has no stored state in {region} but stacks "
                                     f"{', '.join(stacks)} exist (see `hivemind list`)")
        raise _not_deployed(deployment_id, region, "no stored state and no stacks there")
    if remote is not None:
        state = remote
        write_local(serialize_state(remote), deployment_id)  # the cache follows AWS (and is rebuilt if corrupt)
    else:
        state = local
    only_here = head is None
    refresh_from_cloudformation(state)
    if only_here and not _live_stacks(state):
        # Only this machine's copy knows the id and nothing of it exists here: not deployed. The
        # copy is left as it was (it may describe another account's deployment).
        claimed = f"none of the {len(state.stacks)} stack(s) this machine's copy names exists" if state.stacks \
            else "no stacks"
        raise _not_deployed(deployment_id, region, f"no stored state in AWS there and {claimed} "
                                                   f"(this machine's copy says {local.status.value}; left unchanged)")
    if locked_elsewhere(deployment_id) or lease_held_elsewhere(deployment_id, region) is not None:
        return state  # a running command owns the state; show the refreshed view without writing it
    try:
        with deployment_lock(deployment_id, command="status", remote=False):
            try:
                save_state(state)
            except StateConflict:
                pass  # AWS moved on since (another command saved): its copy stands, ours stays local
            except AwsError:
                # A read-only principal (a CI viewer) may not write SSM: showing status must not fail.
                save_state(state, remote=False)
    except DeploymentLocked:
        pass  # a command started meanwhile; it owns the state now
    return state
