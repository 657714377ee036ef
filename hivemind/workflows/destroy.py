"""`hivemind destroy ID`: tear a deployment down through CloudFormation, after a final snapshot.

One Operation("destroy"), in phases:

1. discover: every resource (stacks, the `hivemind:deployment` tag, `/hivemind/<id>/*` log
   groups), priced by the cost estimator, and the issues of its history; shown before asking.
2. confirm: in a terminal the user types the deployment id; `--yes` for CI; neither -> refused,
   nothing deleted. `--skip-final-snapshot` needs the id typed a second time, or in CI (`--yes`)
   the environment variable HIVEMIND_CONFIRM_ID=<id>.
3. final snapshot: `rds.create_db_snapshot` named `<id>-final-<UTC YYYYMMDDHHMMSS>`, waited for
   with boto3's `db_snapshot_available` waiter and checked `available` before anything is deleted.
4. deletion protection: if the deployed data stack (or a production edge) has it on, one change
   set renders the plan with it off; never a direct API call.
5. delete: the stacks in reverse dependency order (app colours, observability -> edge -> data ->
   network) through the deploy engine (rollback.deletion_previews); `--keep-data` keeps the data
   and network stacks. A stack left in DELETE_FAILED is named with its blocking resources; in a
   terminal the user may retain them and let CloudFormation finish the deletion.
6. artifacts: this deployment's objects (every version) under `artifacts/<id>/` and
   `templates/<id>/` in the bootstrap bucket.
7. verify: the tag search again, `describe_db_instances` for `<id>-db*`, the stack list, the log
   groups and the route tables of any VPC left: whatever is still there is a leftover (exit 3).

The state says `destroyed` and is kept, locally and in AWS, with its history.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from ..aws import aws_errors, client
from ..deploy.cfn import is_missing_stack
from ..deploy.errors import DeployError
from ..redact import one_line
from ..render.names import database_identifier, stack_name
from ..state import DEPLOYMENT_TAG, DeploymentStatus, check_deployment_id, refresh_from_cloudformation, stack_names
from ..state.models import FailureInfo
from . import janitor, releases
from .operation import LifecycleResult, Operation, Refused
from .rollout import StackFailed, StackRollout, Tuning, bootstrap_bucket
from .ui import UserInterface

S = DeploymentStatus
CONFIRM_ENV = "HIVEMIND_CONFIRM_ID"
MISSING = "MISSING"
# A snapshot of a large database takes a while; bounded so an AWS answering 503 cannot hang us.
SNAPSHOT_WAIT_S = 3600


@dataclass
class DestroyResult:
    lifecycle: LifecycleResult | None = None
    discovery: janitor.Discovery | None = None
    final_snapshot: str | None = None
    monthly_savings: float = 0.0
    leftovers: list[dict] = field(default_factory=list)
    cancelled: bool = False

    @property
    def exit_code(self) -> int:
        if self.cancelled:
            return 1
        return 3 if self.leftovers else 0


def destroy(deployment_id: str, *, yes: bool = False, keep_data: bool = False, skip_final_snapshot: bool = False,
            confirm_id: Callable[[str], str] | None = None, ui: UserInterface | None = None,
            tuning: Tuning | None = None, region: str | None = None) -> DestroyResult:
    """Destroy the deployment; see the module docstring. `confirm_id(prompt)` returns what the
    user typed (None: no terminal to ask in)."""
    tuning = tuning or Tuning()
    check_deployment_id(deployment_id)
    if skip_final_snapshot and keep_data:
        raise Refused("--skip-final-snapshot and --keep-data contradict each other: --keep-data deletes no database")
    if skip_final_snapshot and yes and os.environ.get(CONFIRM_ENV) != deployment_id:
        raise Refused(f"--skip-final-snapshot with --yes deletes the database without a backup: also set "
                      f"{CONFIRM_ENV}={deployment_id} to confirm it")
    op = Operation(deployment_id, "destroy", region=region, ui=ui)
    result = DestroyResult()
    with op:
        state = op.state
        refresh_from_cloudformation(state)
        busy = sorted(f"{n} {s.status}" for n, s in state.stacks.items()
                      if s.status.endswith("_IN_PROGRESS") and s.status != "REVIEW_IN_PROGRESS")
        if busy:
            raise Refused(f"{busy[0]}: wait for CloudFormation to finish (`hivemind status {deployment_id}`)")
        kept = {stack_name(state.id, "data"), stack_name(state.id, "network")} if keep_data else set()

        with op.phase("discover") as phase:
            found = result.discovery = janitor.discover(state)
            scope = set(found.stacks) - kept
            before = found.monthly_usd(scope)
            phase.detail = f"{sum(r.stack in scope for r in found.resources)} resource(s), ${before:.2f}/month"
            for line in janitor.summary_lines(found, scope=scope, brief=True):
                op.ui.note(line)
            if kept:
                op.ui.note(f"--keep-data: keeping {', '.join(sorted(kept & set(found.stacks)) or sorted(kept))}")

        databases = [] if keep_data else _primary_databases(state, found)
        with op.phase("confirm"):
            if not _confirmed(op, yes=yes, confirm_id=confirm_id, skip_final_snapshot=skip_final_snapshot,
                              databases=databases, stacks=sorted(scope)):
                result.cancelled = True
                result.lifecycle = op.cancel("cancelled at confirmation: the id typed did not match")
                return result

        _final_snapshot(op, result, state, databases, skip=skip_final_snapshot, keep_data=keep_data, tuning=tuning)
        _protection_off(op, state, found, keep_data=keep_data, tuning=tuning)
        _termination_protection_off(op, state, scope)
        failures = _delete_stacks(op, state, scope, tuning=tuning)
        _delete_artifacts(op, state)

        with op.phase("verify") as phase:
            leftovers = verify(state, found, kept=kept, final_snapshot=result.final_snapshot)
            remaining = [x for x in leftovers if x["type"] == "AWS::CloudFormation::Stack"]
            phase.detail = f"{len(leftovers)} leftover(s)" if leftovers else "nothing left"
        if remaining:
            leftovers = _retain_and_continue(op, state, remaining, failures, confirm_id=confirm_id,
                                             found=found, kept=kept, final_snapshot=result.final_snapshot,
                                             tuning=tuning)
        result.leftovers = leftovers
        result.monthly_savings = round(max(0.0, before - sum(x.get("monthly_usd", 0.0) for x in leftovers)), 2)
        for line in _leftover_lines(leftovers):
            op.ui.note(line)

        refresh_from_cloudformation(state)
        state.stacks = {n: s for n, s in state.stacks.items() if s.status != MISSING and n in kept}
        state.url = state.dashboard_url = None
        state.active_color, state.colors, state.artifact = None, {}, None
        state.last_error, state.failed_stage, state.verification = None, None, None
        op.extra.update({
            "final_snapshot": result.final_snapshot, "monthly_savings": result.monthly_savings,
            "leftovers": leftovers, "kept_stacks": sorted(kept & set(found.stacks)),
            "delete_failures": failures,
        })
        detail = f"destroyed; saves ${result.monthly_savings:.2f}/month"
        if result.final_snapshot:
            detail += f"; final snapshot {result.final_snapshot}"
        if kept:
            detail += "; data and network stacks kept"
        if leftovers:
            detail += f"; {len(leftovers)} leftover(s)"
        result.lifecycle = op.succeed(S.DESTROYED, detail)
    return result


# --- confirm ---

def _confirmed(op: Operation, *, yes: bool, confirm_id, skip_final_snapshot: bool, databases: list[str],
               stacks: list[str]) -> bool:
    deployment_id = op.deployment_id
    if yes:
        if skip_final_snapshot and databases:
            op.ui.note(f"--skip-final-snapshot: {CONFIRM_ENV} confirms deleting {', '.join(databases)} "
                       "without a final snapshot")
        return True
    if confirm_id is None:
        raise Refused(f"destroy {deployment_id}: needs confirmation; run it in a terminal and type the id, "
                      "or pass --yes (CI); nothing was deleted")
    what = f"{len(stacks)} stack(s)" + (f" and the database {', '.join(databases)}" if databases else "")
    typed = confirm_id(f"This deletes {what} of {deployment_id}. Type the deployment id to confirm")
    if (typed or "").strip() != deployment_id:
        return False
    if skip_final_snapshot and databases:
        typed = confirm_id(f"--skip-final-snapshot: {', '.join(databases)} will be deleted WITHOUT a final "
                           "snapshot. Type the deployment id again to confirm")
        if (typed or "").strip() != deployment_id:
            return False
    return True


# --- final snapshot ---

def _primary_databases(state, found: janitor.Discovery) -> list[str]:
    """The DB instances the data stack runs that are not read replicas (a replica needs no backup)."""
    data = stack_name(state.id, "data")
    ids = [r.id for r in found.resources if r.stack == data and r.type == "AWS::RDS::DBInstance" and r.id]
    if not ids:
        return []
    rds = client("rds", state.region)
    primaries = []
    with aws_errors("reading the database instances"):
        for db_id in ids:
            try:
                db = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
                    continue
                raise
            if not db.get("ReadReplicaSourceDBInstanceIdentifier"):
                primaries.append(db_id)
    return primaries


def snapshot_name(deployment_id: str, now: datetime | None = None) -> str:
    return f"{deployment_id}-final-{(now or datetime.now(timezone.utc)).strftime('%Y%m%d%H%M%S')}"


def _final_snapshot(op: Operation, result: DestroyResult, state, databases: list[str], *, skip: bool,
                    keep_data: bool, tuning: Tuning) -> None:
    if keep_data:
        op.skip("final snapshot", "--keep-data: the database is kept")
        return
    if not databases:
        op.skip("final snapshot", "no database instance")
        return
    if skip:
        op.skip("final snapshot", "--skip-final-snapshot (confirmed)")
        return
    rds = client("rds", state.region)
    delay = max(0.01, tuning.waiter_delays[1]) if tuning.waiter_delays else 15.0
    attempts = max(1, min(720, int(SNAPSHOT_WAIT_S / delay)))
    with op.phase("final snapshot") as phase:
        names = []
        for index, db_id in enumerate(databases):
            name = snapshot_name(state.id) + (f"-{index + 1}" if index else "")
            with aws_errors(f"creating the final snapshot of {db_id}"):
                rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier=db_id,
                                       Tags=[{"Key": "hivemind:deployment", "Value": state.id},
                                             {"Key": "hivemind:final-snapshot", "Value": "true"}])
                try:
                    rds.get_waiter("db_snapshot_available").wait(
                        DBSnapshotIdentifier=name, WaiterConfig={"Delay": delay, "MaxAttempts": attempts})
                except WaiterError as exc:
                    raise DeployError(f"the final snapshot {name} of {db_id} did not become available "
                                      f"({one_line(str(exc), 200)}); nothing was deleted") from None
                snap = rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
            if snap.get("Status") != "available":
                raise DeployError(f"the final snapshot {name} is {snap.get('Status')}, not available; "
                                  "nothing was deleted")
            names.append(name)
        result.final_snapshot = names[0]
        op.extra["final_snapshots"] = names
        phase.detail = ", ".join(names)
        op.ui.note(f"final snapshot {', '.join(names)}: available (restore with `aws rds "
                   f"restore-db-instance-from-db-snapshot --db-snapshot-identifier {names[0]} ...`)")


# --- deletion protection off, by a change set ---

def _protected(state, keep_data: bool) -> dict[str, list[str]]:
    """Stack -> the resources whose deployed template has deletion protection on."""
    cfn = client("cloudformation", state.region)
    found: dict[str, list[str]] = {}
    kinds = ("edge",) if keep_data else ("data", "edge")
    with aws_errors("reading the deployed templates"):
        for kind in kinds:
            name = stack_name(state.id, kind)
            if name not in state.stacks or state.stacks[name].status == MISSING:
                continue
            body = cfn.get_template(StackName=name)["TemplateBody"]
            template = json.loads(body) if isinstance(body, str) else dict(body)
            for logical_id, res in (template.get("Resources") or {}).items():
                props = res.get("Properties") or {}
                if res.get("Type") == "AWS::RDS::DBInstance" and str(props.get("DeletionProtection")).lower() == "true":
                    found.setdefault(name, []).append(logical_id)
                if res.get("Type") == "AWS::ElasticLoadBalancingV2::LoadBalancer" and any(
                        a.get("Key") == "deletion_protection.enabled" and str(a.get("Value")).lower() == "true"
                        for a in props.get("LoadBalancerAttributes") or []):
                    found.setdefault(name, []).append(logical_id)
    return found


# The findings that say "deletion protection is off": exactly what this update is for, and the
# stack is deleted right after it. Every other check still blocks.
_PROTECTION_RULES = ("AwsSolutions-RDS10",)


def protection_off_specs(plan, options, stacks: set[str]) -> list:
    """The deployed stacks `stacks` rendered with deletion protection off (database and load
    balancer), everything else as deployed; synthesized with the checks, of which only the
    deletion-protection findings are accepted."""
    from types import SimpleNamespace

    from ..deploy.changeset import StackSpec
    from ..paths import deployment_dir
    from ..synth import synthesize
    from .rollout import check_findings

    if plan.database is not None:
        plan = plan.model_copy(update={"database": plan.database.model_copy(update={"deletion_protection": False})})
    options = dataclasses.replace(options, alb_deletion_protection=False)
    result = synthesize(plan, options=options, outdir=deployment_dir(plan.name) / "cdk.out", checks=True)
    check_findings(SimpleNamespace(blocking_findings=[
        f for f in result.blocking_findings if not str(f.rule_id).startswith(_PROTECTION_RULES)]))
    return [StackSpec(s.name, s.template, tuple(s.dependencies)) for s in result.stacks if s.name in stacks]


def _protection_off(op: Operation, state, found: janitor.Discovery, *, keep_data: bool, tuning: Tuning) -> None:
    protected = _protected(state, keep_data)
    if not protected:
        op.skip("deletion protection", "off in every deployed template")
        return
    plan = state.plan
    with op.phase("deletion protection", status=S.DESTROYING,
                  detail=", ".join(f"{s}: {', '.join(ids)}" for s, ids in protected.items())):
        rollout = StackRollout(op, plan, bucket=bootstrap_bucket(plan.region, create=False),
                               allow_replacement=False, tuning=tuning)
        specs = protection_off_specs(plan, releases.live_options(state), set(protected))
        engine = rollout.engine()
        previews, _ = rollout.preview(engine, specs)
        rollout.execute(engine, previews)


def _termination_protection_off(op: Operation, state, scope: set[str]) -> None:
    """`upgrade --to-production` turns on termination protection (a stack setting, not a resource)
    on the data and network stacks; the destroy the user just confirmed lifts it on the stacks it
    deletes. Kept stacks (--keep-data) keep theirs."""
    cfn = client("cloudformation", state.plan.region)
    protected = []
    for name in sorted(scope):
        with aws_errors(f"reading {name}"):
            try:
                stacks = cfn.describe_stacks(StackName=name)["Stacks"]
            except ClientError as exc:
                if is_missing_stack(exc):
                    continue
                raise
        if stacks and stacks[0].get("EnableTerminationProtection"):
            protected.append(name)
    if not protected:
        op.skip("termination protection", "off on every stack to delete")
        return
    with op.phase("termination protection", status=S.DESTROYING, detail=", ".join(protected)):
        op.changed_aws = True
        for name in protected:
            with aws_errors(f"turning off termination protection on {name}"):
                cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)


# --- delete the stacks ---

def _delete_stacks(op: Operation, state, scope: set[str], *, tuning: Tuning) -> list[dict]:
    """Delete the stacks in `scope` in reverse dependency order; returns the stacks that failed,
    each with the resources that blocked it (from the stack events)."""
    from .rollback import deletion_previews, execute_deletions

    existing = list(dict.fromkeys(n for n in [*stack_names(state.id), *sorted(scope)] if n in scope))
    if not existing:
        op.skip("delete", "no stack to delete")
        return []
    rollout = StackRollout(op, state.plan, bucket=None, allow_replacement=True, tuning=tuning)
    failures: list[dict] = []
    # A stack whose first change set was never executed (REVIEW_IN_PROGRESS) holds no resources:
    # CloudFormation deletes its record; the engine only retires stacks that were deployed.
    review = [n for n in existing if n in state.stacks and state.stacks[n].status == "REVIEW_IN_PROGRESS"]
    existing = [n for n in existing if n not in review]
    with op.phase("delete", status=S.DESTROYING) as phase:
        for name in review:
            op.changed_aws = True
            with aws_errors(f"deleting {name} (never deployed)"):
                rollout.factory().delete_stack(name)
            op.stacks_changed.append(name)
            state.stacks.pop(name, None)
        engine = rollout.engine()
        previews, _violations, order = deletion_previews(rollout, engine, state.id, existing)
        phase.detail = " -> ".join([*review, *order])
        if not previews:
            return []
        try:
            execute_deletions(rollout, engine, previews)
        except StackFailed as exc:
            api = rollout.factory()
            for name, outcome in exc.result.outcomes.items():
                if outcome.result in ("failed", "refused", "interrupted", "skipped"):
                    failures.append({"stack": name, "result": outcome.result, "status": outcome.stack_status,
                                     "reason": one_line(outcome.error or "", 300),
                                     "blocking": blocking_resources(api, name)})
            phase.outcome = "failed"
            phase.detail = "; ".join(f"{f['stack']}: {f['reason']}" for f in failures)
            exc.failure.operation_id, exc.failure.action, exc.failure.phase = op.record.id, op.action, "delete"
            op.state.failure = exc.failure
            for f in failures:
                op.ui.note(f"{f['stack']} {f['result']}: {f['reason']}" + (
                    f" (blocked by {', '.join(b['logical_id'] + ' ' + b['type'] for b in f['blocking'])})"
                    if f["blocking"] else ""))
    return failures


def blocking_resources(api, name: str) -> list[dict]:
    """The resources whose DELETE_FAILED events block the stack's deletion (ENIs, non-empty
    buckets, dependency violations), newest first, one per resource."""
    seen, out = set(), []
    try:
        for event in api.iter_events(name):
            if event.get("ResourceStatus") != "DELETE_FAILED":
                continue
            logical = event.get("LogicalResourceId") or ""
            if logical == name or logical in seen:
                continue  # the stack's own event echoes its resources'
            seen.add(logical)
            out.append({"logical_id": logical, "type": event.get("ResourceType", ""),
                        "physical_id": event.get("PhysicalResourceId", ""),
                        "reason": one_line(event.get("ResourceStatusReason") or "", 300)})
    except (ClientError, BotoCoreError):
        pass  # the stack record is gone (moto removes it even when the delete failed)
    return out


def _retain_and_continue(op: Operation, state, remaining: list[dict], failures: list[dict], *, confirm_id,
                         found, kept, final_snapshot, tuning: Tuning) -> list[dict]:
    """Stacks still standing after the delete: name what blocks them (DELETE_FAILED resources) and,
    only with the user's consent in a terminal, delete those stacks again retaining the blocking
    resources, then the stacks that waited on them (e.g. the network after the data stack)."""
    blocked = {f["stack"]: f["blocking"] for f in failures if f.get("blocking")}
    standing = [r["id"] for r in remaining]
    described = "; ".join(
        f"{name} {next((r.get('status', '') for r in remaining if r['id'] == name), '')}" + (
            f" blocked by {', '.join(b['logical_id'] + ' (' + b['reason'] + ')' for b in blocked[name])}"
            if name in blocked else "") for name in standing)
    retainable = {name: [b["logical_id"] for b in blocked[name]] for name in standing if name in blocked}
    can_ask = confirm_id is not None and bool(retainable)
    retained = sorted({x for ids in retainable.values() for x in ids})
    if can_ask and op.ui.confirm(f"Retain {', '.join(retained)} (they stay in AWS, listed as leftovers) and let "
                                 f"CloudFormation finish deleting {', '.join(retainable)}?", [], []):
        cfn = client("cloudformation", state.region)
        delay = max(0.01, tuning.waiter_delays[1]) if tuning.waiter_delays else 5.0
        with op.phase("retain and continue", status=S.DESTROYING, detail=described):
            op.changed_aws = True
            for name, logical_ids in retainable.items():
                with aws_errors(f"deleting {name} retaining {', '.join(logical_ids)}"):
                    cfn.delete_stack(StackName=name, RetainResources=logical_ids)
                    try:
                        cfn.get_waiter("stack_delete_complete").wait(
                            StackName=name, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, min(720, int(3600 / delay)))})
                    except WaiterError as exc:
                        raise DeployError(f"{name} could not be deleted even retaining "
                                          f"{', '.join(logical_ids)}: {one_line(str(exc), 200)}") from None
                if name not in op.stacks_changed:
                    op.stacks_changed.append(name)
                state.stacks.pop(name, None)
        rest = {name for name in standing if name not in retainable}
        if rest:
            failures[:] = _delete_stacks(op, state, rest, tuning=tuning)
        with op.phase("verify"):
            leftovers = verify(state, found, kept=kept, final_snapshot=final_snapshot)
        if not any(x["type"] == "AWS::CloudFormation::Stack" for x in leftovers):
            return leftovers
        remaining = [x for x in leftovers if x["type"] == "AWS::CloudFormation::Stack"]
        described = "; ".join(f"{r['id']} {r.get('status', '')}" for r in remaining)
    elif retainable:
        described += (f" (in a terminal, `hivemind destroy {state.id}` offers to retain them and continue)"
                      if confirm_id is None else "")
    err = DeployError(f"destroy incomplete: {described}")
    err.failure = FailureInfo(stack=remaining[0]["id"], status=remaining[0].get("status"),
                              reason=f"stacks not deleted: {described}")  # recorded as the state's failure
    raise err


# --- artifacts in the bootstrap bucket ---

def _delete_artifacts(op: Operation, state) -> None:
    from ..artifact.bootstrap import find_bootstrap_bucket

    bucket = find_bootstrap_bucket(state.region)
    if bucket is None:
        op.skip("artifacts", "no bootstrap bucket")
        return
    s3 = client("s3", state.region)
    with op.phase("artifacts") as phase:
        deleted = 0
        with aws_errors(f"deleting the artifacts of '{state.id}' from {bucket}"):
            for prefix in (f"artifacts/{state.id}/", f"templates/{state.id}/"):
                batch: list[dict] = []
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
                    for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                        batch.append({"Key": item["Key"], "VersionId": item["VersionId"]})
                for start in range(0, len(batch), 1000):
                    chunk = batch[start:start + 1000]
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                    deleted += len(chunk)
        op.changed_aws = True
        phase.detail = f"{deleted} object version(s) under artifacts/{state.id}/ and templates/{state.id}/"
        op.extra["artifacts_deleted"] = deleted


# --- verify ---

def verify(state, found: janitor.Discovery, *, kept: set[str], final_snapshot: str | None) -> list[dict]:
    """What of the deployment is still in AWS (kept stacks and their resources aside): each with
    its type, id, why it is there and its monthly cost."""
    region, deployment_id = state.region, state.id
    kept_ids = {r.id for r in found.resources if r.stack in kept}
    out: dict[str, janitor.Found] = {}
    cfn = client("cloudformation", region)
    with aws_errors(f"listing the stacks of '{deployment_id}'"):
        for page in cfn.get_paginator("describe_stacks").paginate():
            for stack in page["Stacks"]:
                tags = {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
                name = stack["StackName"]
                if stack["StackStatus"] == "DELETE_COMPLETE" or name in kept:
                    continue
                if tags.get(DEPLOYMENT_TAG) == deployment_id or name in stack_names(deployment_id):
                    out[name] = janitor.Found("AWS::CloudFormation::Stack", name, name, kind="stack",
                                              status=stack["StackStatus"], arn=stack.get("StackId"),
                                              why=stack.get("StackStatusReason") or "stack still exists")
    for res in janitor.tagged_resources(region, deployment_id) + janitor.log_groups(region, deployment_id):
        if res.type == "AWS::CloudFormation::Stack" or res.id in kept_ids or res.id.startswith("/hivemind/deployments/"):
            continue
        if kept and res.id.startswith("/aws/rds/"):
            continue  # --keep-data: the database, and so its logs, stay
        if res.type == "AWS::RDS::DBSnapshot" and not res.id.startswith("rds:"):
            continue  # a manual snapshot (the final one among them) is kept on purpose
        res.kind = "leftover"
        res.why = res.why if res.why != "tagged for the deployment" else "still tagged for the deployment"
        out.setdefault(res.id, res)
    if not kept:
        rds = client("rds", region)
        prefix = database_identifier(deployment_id)
        with aws_errors("listing database instances"):
            for page in rds.get_paginator("describe_db_instances").paginate():
                for db in page["DBInstances"]:
                    db_id = db["DBInstanceIdentifier"]
                    if db_id == prefix or db_id.startswith(prefix + "-replica-"):
                        existing = out.get(db_id) or janitor.Found("AWS::RDS::DBInstance", db_id, janitor.ORPHAN_STACK,
                                                                   kind="leftover", arn=db.get("DBInstanceArn"))
                        existing.status = db.get("DBInstanceStatus")
                        existing.why = "database instance still exists after its stack was deleted"
                        out[db_id] = existing
    instances = [r.id for r in out.values() if r.type == "AWS::EC2::Instance"]
    if instances:
        ec2 = client("ec2", region)
        with aws_errors("reading the instances left behind"):
            for reservation in ec2.describe_instances(InstanceIds=instances)["Reservations"]:
                for instance in reservation["Instances"]:
                    state_name = instance.get("State", {}).get("Name")
                    if state_name == "terminated":
                        out.pop(instance["InstanceId"], None)  # gone: the tag search lists it for an hour
                    else:
                        out[instance["InstanceId"]].status = state_name
    vpcs = [r.id for r in out.values() if r.type == "AWS::EC2::VPC"]
    if vpcs:
        ec2 = client("ec2", region)
        with aws_errors("listing route tables of the VPC left behind"):
            tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": vpcs}])["RouteTables"]
        for table in tables:
            rid = table["RouteTableId"]
            out.setdefault(rid, janitor.Found("AWS::EC2::RouteTable", rid, janitor.ORPHAN_STACK, kind="leftover",
                                              why=f"route table of {table.get('VpcId')}, left behind"))
    items = list(out.values())
    janitor.price_live(region, items)
    return [{"type": r.type, "id": r.id, **({"arn": r.arn} if r.arn else {}),
             **({"status": r.status} if r.status else {}), "why": r.why, "monthly_usd": r.monthly_usd}
            for r in items]


def _leftover_lines(leftovers: list[dict]) -> list[str]:
    if not leftovers:
        return ["verified: nothing of the deployment is left"]
    lines = [f"{len(leftovers)} leftover(s) still in AWS (not deleted by CloudFormation):"]
    for item in leftovers:
        cost = f" ${item['monthly_usd']:.2f}/mo" if item.get("monthly_usd") else ""
        lines.append(f"  {item['type']:<44} {item['id']}{cost}  ({item['why']})")
    return lines
