"""Production rules read off the plan itself (no scanner covers them): TLS, alarm recipients, image pinning."""
from __future__ import annotations

from ..plan import DeploymentPlan
from ..render.options import RenderOptions
from ..render.tls import uses_tls
from .findings import Finding

TLS_RULE = "HM-TLS"
ALARM_RULE = "HM-ALARM-RECIPIENT"
IMAGE_RULE = "HM-IMAGE-PIN"


def plan_findings(plan: DeploymentPlan, options: RenderOptions) -> list[Finding]:
    if plan.stage != "production":
        return []
    findings: list[Finding] = []
    edge = f"{plan.name}-edge"
    if plan.web_services and not uses_tls(plan):
        message = ("production serves plain HTTP: set certificate_arn (an ACM certificate in "
                   f"{plan.region}), or domain + hosted_zone_id, or http_only_reason to accept it")
        if plan.http_only_reason:
            findings.append(Finding("hivemind", TLS_RULE, "error", edge, "listener", message,
                                    acknowledged=True, reason=plan.http_only_reason))
        else:
            findings.append(Finding("hivemind", TLS_RULE, "error", edge, "listener", message))
    if plan.observability.alarms and not plan.observability.alarm_email:
        findings.append(Finding(
            "hivemind", ALARM_RULE, "warning", f"{plan.name}-observability", "AlarmTopic",
            "production alarms notify an SNS topic with no subscriber: set observability.alarm_email"))
    unpinned = [c for c in options.colors if not options.image_ids.get(c)
                and not any(k.startswith(f"{c}:") for k in options.image_ids)]
    if unpinned:
        findings.append(Finding(
            "hivemind", IMAGE_RULE, "warning", f"{plan.name}-app-{unpinned[0]}", "LaunchTemplate",
            "machine image not pinned: the launch template resolves the latest AL2023 at every deploy "
            "(a deploy records a pinned image id; `hivemind update --refresh-ami` moves it)"))
    return findings
