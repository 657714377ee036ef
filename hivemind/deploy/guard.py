"""Stateful-replacement guard: never replace or delete a database, cache, bucket or secret by accident.

Two independent sources decide "replacement": the change set (Action Remove, or Modify with
Replacement True/Conditional) and the templates themselves (a changed value of a property the
resource type's provider schema lists in `createOnlyProperties`, from the schemas cfn-lint ships).
The second catches what a change set reports late, vaguely, or (on moto) not at all.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Iterable

from .changeset import StackPreview
from .errors import ReplacementRefused

STATEFUL_TYPES = frozenset({
    "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::RDS::GlobalCluster",
    "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ServerlessCache", "AWS::MemoryDB::Cluster",
    "AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable",
    "AWS::EFS::FileSystem", "AWS::FSx::FileSystem", "AWS::SecretsManager::Secret",
    "AWS::KMS::Key", "AWS::Kinesis::Stream",
    "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain", "AWS::DocDB::DBCluster",
    "AWS::Neptune::DBCluster", "AWS::Redshift::Cluster", "AWS::EC2::Volume",
})


@dataclass(frozen=True)
class Violation:
    stack: str
    logical_id: str
    resource_type: str
    why: str
    properties: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.logical_id} ({self.resource_type}) in {self.stack}: {self.why}"


@functools.lru_cache(maxsize=256)
def create_only_properties(resource_type: str, region: str = "us-east-1") -> tuple[tuple[str, ...], ...]:
    """Property paths (as tuples) that force a replacement when changed, from cfn-lint's provider schema."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except ResourceNotFoundError:
        return ()
    paths = []
    for pointer in schema.get("createOnlyProperties", []):
        parts = pointer.split("/")[1:]  # "/properties/DBName" -> ["properties", "DBName"]
        if parts and parts[0] == "properties" and len(parts) > 1:
            paths.append(tuple(parts[1:]))
    return tuple(paths)


_MISSING = object()


def _value_at(properties: dict, path: tuple[str, ...]) -> object:
    node: object = properties
    for part in path:
        if part == "*" or not isinstance(node, dict):
            # Array wildcards: compare the whole array instead (conservative).
            return node
        node = node.get(part, _MISSING)
    return node


def template_violations(stack: str, old_template: dict | None, new_template: dict, region: str) -> list[Violation]:
    """Stateful resources the new template would remove, re-type or replace (create-only change)."""
    if not old_template:
        return []
    found: list[Violation] = []
    old_resources = old_template.get("Resources", {})
    new_resources = new_template.get("Resources", {})
    for logical_id, old in old_resources.items():
        rtype = old.get("Type", "")
        if rtype not in STATEFUL_TYPES:
            continue
        new = new_resources.get(logical_id)
        if new is None:
            found.append(Violation(stack, logical_id, rtype, "would be deleted (removed from the template)"))
            continue
        if new.get("Type") != rtype:
            found.append(Violation(stack, logical_id, rtype, f"would be replaced by a {new.get('Type')}"))
            continue
        before, after = old.get("Properties", {}), new.get("Properties", {})
        changed = [
            "/".join(path) for path in create_only_properties(rtype, region)
            if _value_at(before, path) != _value_at(after, path)
        ]
        if changed:
            found.append(Violation(
                stack, logical_id, rtype,
                f"property {', '.join(changed)} is create-only, so changing it replaces the resource",
                tuple(changed),
            ))
    return found


def fill_replacement(preview: StackPreview, region: str) -> None:
    """Give every Modify that says nothing about replacement (a preview made from the template
    diff, or an endpoint that omits it) the schema's answer: True when a create-only property
    changes, else False; and name the changed properties when the change lists none."""
    old_resources = (preview.old_template or {}).get("Resources", {})
    new_resources = preview.spec.template.get("Resources", {})
    for i, change in enumerate(preview.changes):
        old, new = old_resources.get(change.logical_id), new_resources.get(change.logical_id)
        if change.action != "Modify" or change.replacement is not None or old is None or new is None:
            continue
        before, after = old.get("Properties", {}), new.get("Properties", {})
        create_only = ["/".join(path) for path in create_only_properties(change.resource_type, region)
                       if _value_at(before, path) != _value_at(after, path)]
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        preview.changes[i] = dataclasses.replace(
            change, replacement="True" if create_only else "False",
            causes=change.causes or tuple(create_only or changed))


def change_set_violations(preview: StackPreview) -> list[Violation]:
    found = []
    for change in preview.changes:
        if change.resource_type not in STATEFUL_TYPES:
            continue
        if change.action == "Remove":
            found.append(Violation(preview.name, change.logical_id, change.resource_type, "would be deleted"))
        elif change.action == "Modify" and change.replacement in ("True", "Conditional"):
            cause = f" (property {', '.join(change.causes)})" if change.causes else ""
            certainty = "would be replaced" if change.replacement == "True" else "may be replaced"
            found.append(Violation(preview.name, change.logical_id, change.resource_type, certainty + cause,
                                   change.causes))
    return found


def retire_violations(preview: StackPreview) -> list[Violation]:
    """A stack leaving the plan takes its stateful resources with it."""
    why = f"would be deleted with its stack ({preview.name} is no longer in the plan)"
    # The data itself (database, cache, bucket) first, its secrets and keys after: the refusal names one.
    stateful = sorted((c for c in preview.changes if c.resource_type in STATEFUL_TYPES),
                      key=lambda c: c.resource_type in ("AWS::SecretsManager::Secret", "AWS::KMS::Key"))
    return [Violation(preview.name, c.logical_id, c.resource_type, why) for c in stateful]


def find_violations(previews: Iterable[StackPreview], region: str) -> list[Violation]:
    """Every stateful replacement/deletion in these previews, one per resource (template reason first)."""
    seen: dict[tuple[str, str], Violation] = {}
    for preview in previews:
        if preview.no_changes:
            continue
        if preview.retire:
            for v in retire_violations(preview):
                seen.setdefault((v.stack, v.logical_id), v)
            continue
        for v in template_violations(preview.name, preview.old_template, preview.spec.template, region) \
                + change_set_violations(preview):
            seen.setdefault((v.stack, v.logical_id), v)
    return list(seen.values())


def refusal(violations: list[Violation]) -> ReplacementRefused:
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    verb = "delete" if first.why.startswith("would be deleted") else "replace"
    return ReplacementRefused(
        f"refusing to {verb} stateful resource {first.logical_id} ({first.resource_type}) in "
        f"{first.stack}: {first.why}{more}; rerun with --allow-replacement after taking a snapshot"
    )


def enforce(previews: Iterable[StackPreview], region: str, *, allow_replacement: bool) -> list[Violation]:
    """Raise ReplacementRefused unless allowed; return the violations either way (for the diff)."""
    violations = find_violations(previews, region)
    if violations and not allow_replacement:
        raise refusal(violations)
    return violations
