"""cfn-lint on every synthesized template, through its in-process API."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Iterable

from .findings import Finding

_SEVERITY = {"error": "error", "warning": "warning", "informational": "info", "info": "info"}




@lru_cache(maxsize=4)
def _runner(region: str):
    """One cfn-lint runner per region: loading its ~300 rules costs ~0.4 s, so it is done once."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner.cli import Runner

    return Runner(ConfigMixIn(regions=[region]))


def warm_up(region: str) -> None:
    """Import cfn-lint and load its rules and this region's schemas ahead of the first template."""
    lint_template("warm-up", {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}, region)


def lint_template(stack: str, template: dict, region: str) -> list[Finding]:
    """cfn-lint findings of one template for `region`."""
    from cfnlint.decode import decode_str

    # cfn-lint's decoder marks nodes with positions that some rules rely on.
    decoded, errors = decode_str(json.dumps(template))
    matches = list(errors) if errors else list(_runner(region).validate_template(decoded))
    findings = []
    for match in matches:
        path = getattr(match, "path", None) or []
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else "/".join(str(p) for p in path[:2])
        findings.append(Finding(
            "cfn-lint", match.rule.id, _SEVERITY.get(str(match.rule.severity).lower(), "warning"), stack, resource,
            match.message,
        ))
    return findings


def lint_templates(templates: Iterable[tuple[str, dict]], region: str) -> list[Finding]:
    findings: list[Finding] = []
    for stack, template in templates:
        findings.extend(lint_template(stack, template, region))
    return findings
