"""IAM policy documents: the scope they are written for, statements, shape checks, size splits."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import HivemindError
from ..render import names

VERSION = "2012-10-17"
# IAM quota: a customer managed policy holds at most 6,144 characters, whitespace not counted.
MANAGED_POLICY_MAX_CHARS = 6144


class UnscopedActions(HivemindError):
    """Actions the code or the templates need that no scoping rule covers: a decision is missing
    (where may this act?), so no policy is printed rather than one with a silent "*"."""


@dataclass(frozen=True)
class Scope:
    """Which deployment (None: any HiveMind deployment), region and account the policies name."""

    deployment: str | None = None
    region: str = "*"
    account: str = "*"
    partition: str = "aws"

    @property
    def name_pattern(self) -> str:
        """The deployment part of resource names: its id, or `*` for any deployment."""
        return self.deployment or "*"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{resource}")

    def stack_arns(self) -> list[str]:
        """The deployment's stacks by their exact names (render.names.STACKS); for any deployment,
        the same names with `*` for the id, so `*-edge` matches every deployment's edge stack and
        no stack whose name does not end like one of HiveMind's."""
        return [self.arn("cloudformation", f"stack/{names.stack_name(self.name_pattern, kind, color)}/*")
                for kind, color in names.STACKS]

    @property
    def execution_role_name(self) -> str:
        # One role per deployment when scoped (IAM role names: at most 64 characters).
        return f"hivemind-{self.deployment}-cfn-exec" if self.deployment else "hivemind-cfn-exec"

    @property
    def execution_role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{self.execution_role_name}"


def statement(sid: str, actions: list[str] | set[str], resources: list[str] | str,
              condition: dict | None = None) -> dict:
    stmt = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)),
            "Resource": resources if isinstance(resources, str) else sorted(set(resources))}
    if condition:
        stmt["Condition"] = condition
    return stmt


def document(statements: list[dict]) -> dict:
    return {"Version": VERSION, "Statement": statements}


def shape_errors(doc: dict) -> list[str]:
    """What makes `doc` not an identity policy document of the shape IAM accepts (empty: fine)."""
    errors = []
    if doc.get("Version") != VERSION:
        errors.append(f"Version is {doc.get('Version')!r}, not {VERSION}")
    statements = doc.get("Statement")
    if not isinstance(statements, list) or not statements:
        return errors + ["Statement is not a non-empty list"]
    sids = [s.get("Sid") for s in statements]
    if len(set(sids)) != len(sids):
        errors.append("Sids are not unique")
    for stmt in statements:
        sid = stmt.get("Sid", "?")
        if stmt.get("Effect") not in ("Allow", "Deny"):
            errors.append(f"{sid}: Effect is {stmt.get('Effect')!r}")
        actions = stmt.get("Action")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, str) and ":" in a for a in actions):
            errors.append(f"{sid}: Action is not a list of service:Name strings")
        resources = stmt.get("Resource")
        if not (resources == "*" or (isinstance(resources, list) and resources and all(
                isinstance(r, str) and r.startswith("arn:") for r in resources))):
            errors.append(f"{sid}: Resource is neither '*' nor a list of ARNs")
    return errors


def actions_of(doc: dict) -> set[str]:
    return {a for stmt in doc["Statement"] for a in stmt["Action"]}


def compact_size(doc: dict) -> int:
    """Characters IAM counts against its quotas (whitespace is not counted)."""
    return len(json.dumps(doc, separators=(",", ":")))


def split_for_managed_policies(doc: dict, limit: int = MANAGED_POLICY_MAX_CHARS) -> list[dict]:
    """`doc`'s statements packed into as few documents as fit IAM's managed-policy size (a
    statement too large alone is cut into several with fewer actions each)."""
    pieces: list[dict] = []
    for stmt in doc["Statement"]:
        pieces.extend(_fit(stmt, limit))
    packed: list[list[dict]] = []
    for stmt in pieces:
        for group in packed:
            if compact_size(document(group + [stmt])) <= limit:
                group.append(stmt)
                break
        else:
            packed.append([stmt])
    return [document(group) for group in packed]


def _fit(stmt: dict, limit: int) -> list[dict]:
    if compact_size(document([stmt])) <= limit or len(stmt["Action"]) < 2:
        return [stmt]
    half = len(stmt["Action"]) // 2
    first = {**stmt, "Sid": f"{stmt['Sid']}A", "Action": stmt["Action"][:half]}
    second = {**stmt, "Sid": f"{stmt['Sid']}B", "Action": stmt["Action"][half:]}
    return _fit(first, limit) + _fit(second, limit)
