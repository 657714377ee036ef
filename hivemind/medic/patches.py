"""Plan patches: validate a JSON Patch against the plan schema, refuse one that touches a stateful
resource's identity, preview it as a diff of hivemind.yaml, and apply it atomically.

"Stateful identity" is the stateful guard's knowledge (hivemind.deploy.guard): the plan fields that
become a property of a database or cache resource are mapped to that property, and a change is
refused when the resource type's provider schema (as cfn-lint ships it) lists the property as
create-only, i.e. when the deploy guard would call the change a replacement. Engines and the
physical names derived from the plan's name are refused too (changing them replaces the resource
even where the schema is silent), and so is dropping the database or the cache.
"""
from __future__ import annotations

import copy
import difflib
from pathlib import Path

from pydantic import ValidationError

from ..errors import HivemindError, PlanError
from ..plan.io import PLAN_FILENAME, dump_plan_yaml, format_validation_error, load_plan, save_plan
from ..plan.models import DeploymentPlan
from ..render import names
from .models import PatchResult

DB_TYPE = "AWS::RDS::DBInstance"
CACHE_TYPE = "AWS::ElastiCache::ReplicationGroup"

# plan field -> CloudFormation property of the resource it becomes (see render/stacks/data.py).
_DATABASE_PROPERTIES = {
    "engine": "Engine", "version": "EngineVersion", "instance_class": "DBInstanceClass",
    "storage_gb": "AllocatedStorage", "multi_az": "MultiAZ", "backup_retention_days": "BackupRetentionPeriod",
    "deletion_protection": "DeletionProtection", "name": "DBName",
}
_CACHE_PROPERTIES = {
    "engine": "Engine", "node_type": "CacheNodeType", "version": "EngineVersion", "num_nodes": "NumCacheClusters",
}


class PatchRejected(HivemindError):
    """A plan patch that does not apply, does not validate, or would replace stateful data."""


def _create_only(resource_type: str, region: str) -> set[str]:
    from ..deploy.guard import STATEFUL_TYPES, create_only_properties

    if resource_type not in STATEFUL_TYPES:
        return set()
    try:
        return {path[0] for path in create_only_properties(resource_type, region) if path}
    except Exception:  # noqa: BLE001 - no schema data: be conservative, engine/identity checks still apply
        return set()


def stateful_refusal(old: DeploymentPlan, new: DeploymentPlan) -> str | None:
    """Why `new` would replace or delete a database or cache that `old` describes, or None."""
    region = old.region
    if old.database is not None:
        if new.database is None:
            return "it removes the database (the guard refuses deleting stateful data)"
        if new.database.engine != old.database.engine:
            return "it changes the database engine, which replaces the database"
        if names.database_identifier(new.name) != names.database_identifier(old.name):
            return "it changes the deployment name, which renames (replaces) the database instance"
        if new.region != old.region:
            return "it moves the deployment to another region, which replaces the database"
        create_only = _create_only(DB_TYPE, region)
        for field, prop in _DATABASE_PROPERTIES.items():
            if getattr(old.database, field) != getattr(new.database, field) and prop in create_only:
                return (f"it changes database.{field} ({DB_TYPE} {prop} is create-only), which replaces the database")
    if old.cache is not None:
        if new.cache is None:
            return "it removes the cache (the guard refuses deleting stateful data)"
        if new.cache.engine != old.cache.engine:
            return "it changes the cache engine, which replaces the cache"
        if names.cache_group_id(new.name) != names.cache_group_id(old.name):
            return "it changes the deployment name, which renames (replaces) the cache replication group"
        if new.region != old.region:
            return "it moves the deployment to another region, which replaces the cache"
        create_only = _create_only(CACHE_TYPE, region)
        for field, prop in _CACHE_PROPERTIES.items():
            if getattr(old.cache, field) != getattr(new.cache, field) and prop in create_only:
                return f"it changes cache.{field} ({CACHE_TYPE} {prop} is create-only), which replaces the cache"
    return None


def patched_plan(plan: DeploymentPlan, patch: list[dict]) -> DeploymentPlan:
    """`plan` with `patch` applied and validated against the plan schema; raises PatchRejected."""
    import jsonpatch
    import jsonpointer

    if not isinstance(patch, list) or not patch:
        raise PatchRejected("the plan patch is empty or not a list of JSON Patch operations")
    document = plan.model_dump(mode="json")
    try:
        data = jsonpatch.JsonPatch(copy.deepcopy(patch)).apply(document)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError, KeyError, ValueError) as exc:
        raise PatchRejected(f"the plan patch does not apply: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(data, dict):
        raise PatchRejected("the plan patch replaces the whole plan with something that is not a plan")
    try:
        return DeploymentPlan.model_validate(data)
    except ValidationError as exc:
        raise PatchRejected("the patched plan is not valid: " + format_validation_error(exc, PLAN_FILENAME)) from None


def check_patch(plan: DeploymentPlan, patch: list[dict]) -> DeploymentPlan:
    """Validate `patch` and refuse it if it touches stateful identity; returns the patched plan."""
    new = patched_plan(plan, patch)
    why = stateful_refusal(plan, new)
    if why:
        raise PatchRejected(f"refusing the plan patch: {why}")
    return new


def plan_diff(old_text: str, new_text: str, filename: str = PLAN_FILENAME) -> str:
    return "".join(difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                        fromfile=f"a/{filename}", tofile=f"b/{filename}"))


def preview_patch(plan: DeploymentPlan, patch: list[dict]) -> str:
    """The unified diff of hivemind.yaml that `patch` would make (PatchRejected if it may not)."""
    return plan_diff(dump_plan_yaml(plan), dump_plan_yaml(check_patch(plan, patch)))


def apply_plan_patch(plan_path: Path, patch: list[dict]) -> PatchResult:
    """Apply `patch` to the plan file: validated, guard-checked, written atomically; returns the new
    plan and the unified diff of the file. Raises PatchRejected (or PlanError for an unreadable
    plan) and then leaves the file untouched."""
    path = Path(plan_path)
    if path.is_dir():
        path = path / PLAN_FILENAME
    plan = load_plan(path)
    try:
        old_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read plan: {exc.__class__.__name__}") from None
    new = check_patch(plan, patch)
    save_plan(new, path)
    new_text = path.read_text(encoding="utf-8")
    return PatchResult(plan=new, diff_text=plan_diff(old_text, new_text, path.name))
