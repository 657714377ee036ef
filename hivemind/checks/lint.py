"""cfn-lint on every synthesized template, through its in-process API."""
from __future__ import annotations

import json
from typing import Iterable

from .findings import Finding

_SEVERITY = {"error": "error", "warning": "warning", "informational": "info", "info": "info"}




def lint_template(stack: str, template: dict, region: str) -> list[Finding]:
    """cfn-lint findings of one template for `region`."""
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=[region])
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
