"""cdk-nag AwsSolutions as a CDK validation plugin, and its report read back as findings."""
from __future__ import annotations

import json
from pathlib import Path

from .findings import Finding

REPORT_FILE = "validation-report.json"


def add_aws_solutions_checks(app) -> None:
    """Register cdk-nag v3's AwsSolutions pack on `app` (runs during app.synth())."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def _stack_of(path: str) -> str:
    return path.split("/", 1)[0]


def _severity(value: str | None) -> str:
    value = (value or "error").lower()
    return value if value in ("error", "warning", "info") else "warning"


def read_report(assembly_dir: Path) -> list[Finding]:
    """Findings from `validation-report.json` (violations and acknowledged ones, with reasons)."""
    path = Path(assembly_dir) / REPORT_FILE
    if not path.exists():
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    findings: list[Finding] = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                path_ = construct.get("constructPath", "")
                findings.append(Finding(
                    "cdk-nag", violation["ruleName"], _severity(violation.get("severity")), _stack_of(path_), path_,
                    violation.get("description", ""),
                ))
        for violation in plugin.get("suppressedViolations", []):
            for construct in violation.get("violatingConstructs", []):
                path_ = construct.get("constructPath", "")
                findings.append(Finding(
                    "cdk-nag", violation["ruleName"], _severity(violation.get("severity")), _stack_of(path_), path_,
                    violation.get("description", ""), acknowledged=True, reason=violation.get("reason", ""),
                ))
    return sorted(findings, key=lambda f: (f.acknowledged, f.stack, f.rule_id, f.resource))
