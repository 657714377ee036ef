"""One change set per stack: decide CREATE vs UPDATE, create it, wait, read its changes.

A stack whose dependencies are not deployed yet cannot get a change set now (its template
resolves values they publish), so it is previewed from its template and its change set is made
later, when the engine reaches it.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import ClientError

from ..render.names import DEPLOYMENT_TAG, STAGE_TAG
from .cfn import Cancelled, CloudFormationApi, WaitFailed
from .errors import DeployError

# CloudFormation's limit for an inline TemplateBody; bigger templates go by TemplateURL.
TEMPLATE_BODY_LIMIT = 51_200
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# The CloudFormation execution role (`hivemind iam-policy`): with it, CloudFormation creates the
# resources with the role's rights, and the deployer needs only iam:PassRole on it.
ROLE_ARN_ENV = "HIVEMIND_CFN_ROLE_ARN"

_NO_CHANGE_MARKERS = ("didn't contain changes", "no updates are to be performed")
# Stacks that must be deleted before they can be created again (a failed first create).
RECREATE_STATES = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"}
# Stacks that accept a CREATE change set: none at all, or an abandoned change-set review.
CREATE_STATES = {None, "REVIEW_IN_PROGRESS"}
STUCK_STATES = {"UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"}

TemplateUploader = Callable[[str, str], str]  # (stack name, template body) -> TemplateURL


@dataclass(frozen=True)
class StackSpec:
    """A stack to deploy: its name, synthesized template and the stacks it depends on."""

    name: str
    template: dict
    dependencies: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        # Compact and deterministic: identical templates give identical bodies (no-op detection).
        return json.dumps(self.template, separators=(",", ":"))

    @property
    def needs_upload(self) -> bool:
        """Too big to send inline: CloudFormation must read it from S3."""
        return len(self.body.encode("utf-8")) > TEMPLATE_BODY_LIMIT


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add | Modify | Remove | Dynamic | Import
    logical_id: str
    resource_type: str
    replacement: str | None = None  # "True" | "False" | "Conditional" | None (Add/Remove)
    causes: tuple[str, ...] = ()  # properties/attributes that trigger the change
    physical_id: str = ""

    @classmethod
    def from_api(cls, change: dict) -> "ResourceChange":
        rc = change.get("ResourceChange", {})
        causes: list[str] = []
        for detail in rc.get("Details", []):
            target = detail.get("Target", {})
            name = target.get("Name") if target.get("Attribute") == "Properties" else target.get("Attribute")
            if name and name not in causes:
                causes.append(name)
        return cls(
            action=rc.get("Action", "Dynamic"),
            logical_id=rc.get("LogicalResourceId", ""),
            resource_type=rc.get("ResourceType", ""),
            replacement=rc.get("Replacement"),
            causes=tuple(causes),
            physical_id=rc.get("PhysicalResourceId", ""),
        )


@dataclass
class ChangeSetContext:
    """What every change set of one deployment carries."""

    deployment_id: str
    stage: str
    upload_template: TemplateUploader | None = None
    extra_tags: dict[str, str] = field(default_factory=dict)
    # Carried by every stack event of the execution, so the Medic reads this operation's events only.
    client_request_token: str | None = None
    # Per stack: CloudFormation rollback triggers (alarms watched during and after the update).
    rollback_configurations: dict[str, dict] = field(default_factory=dict)

    @property
    def tags(self) -> list[dict]:
        tags = {DEPLOYMENT_TAG: self.deployment_id, STAGE_TAG: self.stage, **self.extra_tags}
        return [{"Key": k, "Value": v} for k, v in tags.items()]


@dataclass
class StackPreview:
    """A stack's pending change: a real change set, or (deferred) the template's resources."""

    spec: StackSpec
    change_set_type: str  # CREATE | UPDATE
    changes: list[ResourceChange] = field(default_factory=list)
    change_set_id: str | None = None
    no_changes: bool = False
    deferred: bool = False  # change set to be created once dependencies are deployed
    recreate: bool = False  # a failed first create must be deleted before creating again
    existing_status: str | None = None
    old_template: dict | None = None
    retire: bool = False  # the stack left the plan: it is deleted after every other stack deployed
    note: str | None = None  # why this preview comes from the template, not from a change set

    @property
    def name(self) -> str:
        return self.spec.name


def stack_status(api: CloudFormationApi, name: str) -> str | None:
    stack = api.describe_stack(name)
    return stack["StackStatus"] if stack else None


def template_as_dict(body: dict | str) -> dict:
    if isinstance(body, dict):
        return body
    try:
        return json.loads(body)
    except ValueError:
        import yaml

        return yaml.safe_load(body) or {}


def template_resources_as_adds(spec: StackSpec) -> list[ResourceChange]:
    return [
        ResourceChange("Add", logical_id, resource.get("Type", ""))
        for logical_id, resource in spec.template.get("Resources", {}).items()
    ]


def deferred_preview(api: CloudFormationApi, spec: StackSpec) -> StackPreview:
    """A preview without a change set: every template resource, or the template diff if it exists."""
    status = stack_status(api, spec.name)
    exists = status not in CREATE_STATES and status not in RECREATE_STATES
    preview = StackPreview(spec, "UPDATE" if exists else "CREATE", deferred=True, existing_status=status,
                           recreate=status in RECREATE_STATES)
    if exists:
        preview.old_template = template_as_dict(api.get_template(spec.name))
        preview.changes = _template_diff(preview.old_template, spec.template)
    else:
        preview.changes = template_resources_as_adds(spec)
    return preview


def retire_preview(api: CloudFormationApi, name: str, ctx: ChangeSetContext,
                   after: tuple[str, ...] = ()) -> StackPreview | None:
    """The deletion of a stack this deployment no longer renders (e.g. the database was removed
    from the plan), shown as every resource removed; None if there is nothing of ours to delete.

    Only a stack tagged for this very deployment is ever retired; `after` are the stacks that must
    deploy first (they stop reading the retiring stack's values).
    """
    stack = api.describe_stack(name)
    if stack is None or stack["StackStatus"] in CREATE_STATES or stack["StackStatus"] == "DELETE_COMPLETE":
        return None
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
    if tags.get(DEPLOYMENT_TAG) != ctx.deployment_id:
        return None  # not made by HiveMind for this deployment: never ours to delete
    status = stack["StackStatus"]
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(f"{name} is busy ({status}); wait for CloudFormation to finish and retry")
    old = template_as_dict(api.get_template(name))
    changes = [ResourceChange("Remove", lid, r.get("Type", "")) for lid, r in old.get("Resources", {}).items()]
    return StackPreview(StackSpec(name, {}, after), "DELETE", changes, existing_status=status,
                        old_template=old, retire=True)


def _template_diff(old: dict, new: dict) -> list[ResourceChange]:
    """Resource-level diff of two templates (used when no change set can be made yet)."""
    old_res, new_res = old.get("Resources", {}), new.get("Resources", {})
    changes = [ResourceChange("Add", lid, r.get("Type", "")) for lid, r in new_res.items() if lid not in old_res]
    changes += [ResourceChange("Remove", lid, r.get("Type", "")) for lid, r in old_res.items() if lid not in new_res]
    for lid, res in new_res.items():
        if lid in old_res and old_res[lid] != res:
            before = old_res[lid].get("Properties", {})
            after = res.get("Properties", {})
            causes = tuple(sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)))
            changes.append(ResourceChange("Modify", lid, res.get("Type", ""), None, causes))
    return changes


def create_change_set(api: CloudFormationApi, spec: StackSpec, ctx: ChangeSetContext,
                      *, allow_recreate: bool = True) -> StackPreview:
    """Create the stack's change set, wait for it, and read every change. A no-op is not an error."""
    status = stack_status(api, spec.name)
    if status in STUCK_STATES:
        raise DeployError(f"{spec.name} is {status}: fix it in the CloudFormation console (or "
                          "`hivemind status`) before deploying again")
    if status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError(f"{spec.name} is busy ({status}); wait for CloudFormation to finish and retry")
    if status == "REVIEW_IN_PROGRESS" and allow_recreate:
        # An interrupted run's change set that was never executed: the stack holds no resource,
        # so deleting it is safe, and a fresh CREATE then finds one stack by that name, not two.
        api.delete_stack(spec.name)
        status = None
    recreate = status in RECREATE_STATES
    if recreate:
        if not allow_recreate:
            preview = StackPreview(spec, "CREATE", template_resources_as_adds(spec), recreate=True,
                                   existing_status=status)
            return preview
        # A failed first create leaves an empty ROLLBACK_COMPLETE stack that only deletion clears.
        api.delete_stack(spec.name)
        status = None
    change_set_type = "CREATE" if status in CREATE_STATES else "UPDATE"
    preview = StackPreview(spec, change_set_type, existing_status=status, recreate=recreate)
    if change_set_type == "UPDATE":
        preview.old_template = template_as_dict(api.get_template(spec.name))

    body = spec.body
    template_arg = {"TemplateBody": body}
    if spec.needs_upload:
        if ctx.upload_template is None:
            raise DeployError(f"{spec.name}: template is {len(body)} bytes (over CloudFormation's "
                              f"{TEMPLATE_BODY_LIMIT}) and no artifact bucket was given to upload it")
        template_arg = {"TemplateURL": ctx.upload_template(spec.name, body)}

    name = f"hivemind-{int(time.time() * 1000)}"
    try:
        created = api.create_change_set(
            StackName=spec.name, ChangeSetName=name, ChangeSetType=change_set_type,
            Capabilities=CAPABILITIES, Tags=ctx.tags,
            Description=f"HiveMind deploy of {ctx.deployment_id}", **template_arg,
            **({"RoleARN": os.environ[ROLE_ARN_ENV]} if os.environ.get(ROLE_ARN_ENV) else {}),
            **({"RollbackConfiguration": ctx.rollback_configurations[spec.name]}
               if spec.name in ctx.rollback_configurations else {}),
        )
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if _is_no_change(message):
            preview.no_changes = True
            return preview
        raise DeployError(f"{spec.name}: cannot create change set: {message}") from None
    preview.change_set_id = created["Id"]
    try:
        api.wait_change_set(created["Id"], spec.name)
    except Cancelled:
        discard(api, preview)  # interrupted: the change set is nobody's now
        raise
    except WaitFailed as exc:
        reason = exc.response.get("StatusReason") or exc.reason
        if _is_no_change(reason):
            api.delete_change_set(created["Id"], spec.name)
            preview.change_set_id = None
            preview.no_changes = True
            return preview
        discard(api, preview)
        raise DeployError(f"{spec.name}: change set failed: {' '.join(str(reason).split())}") from None
    described = api.describe_change_set(created["Id"], spec.name)
    preview.changes = [ResourceChange.from_api(c) for c in described.get("Changes", []) if c.get("Type") == "Resource"]
    return preview


def discard(api: CloudFormationApi, preview: StackPreview) -> None:
    """Delete the preview's change set and, when it was a CREATE, the empty REVIEW_IN_PROGRESS stack.

    Only a stack still in REVIEW_IN_PROGRESS is deleted: that status means no resource exists.
    """
    if preview.change_set_id:
        try:
            api.delete_change_set(preview.change_set_id, preview.name)
        except ClientError:
            pass  # already gone (executed or removed with its stack)
        preview.change_set_id = None
    if preview.change_set_type == "CREATE" and not preview.deferred and not preview.recreate:
        if stack_status(api, preview.name) == "REVIEW_IN_PROGRESS" and preview.existing_status is None:
            api.delete_stack(preview.name)


def _is_no_change(message: str) -> bool:
    text = message.lower()
    return any(marker in text for marker in _NO_CHANGE_MARKERS)
