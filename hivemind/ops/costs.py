"""What a deployment costs: Cost Explorer (by the deployment's tag), month to date and forecast,
beside the estimate priced from the templates CloudFormation holds now.

When Cost Explorer has nothing (the tag is not activated as a cost allocation tag, a new
account, no access), the estimate is shown, labelled `estimate`, with how to activate the tag.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import aws_errors
from ..costs import CostEstimate, estimate
from ..state.models import DeploymentState
from ..state.refresh import DEPLOYMENT_TAG, MISSING
from .util import aws_reason, read_client

COST_EXPLORER_REGION = "us-east-1"  # Cost Explorer has one endpoint


def activation_hint(deployment_id: str) -> str:
    return (f"Cost Explorer shows nothing tagged {DEPLOYMENT_TAG}={deployment_id}: activate the tag as a cost "
            f"allocation tag (Billing console > Cost allocation tags, or `aws ce update-cost-allocation-tags-status "
            f"--cost-allocation-tags-status TagKey={DEPLOYMENT_TAG},Status=Active`); costs appear within about 24 hours")


@dataclass
class CostReport:
    deployment: str
    source: str  # "cost-explorer" or "estimate"
    currency: str = "USD"
    month_to_date_usd: float | None = None
    forecast_usd: float | None = None  # rest of the month
    estimate_monthly_usd: float | None = None
    estimate: dict | None = None
    period: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def month_total_usd(self) -> float | None:
        if self.month_to_date_usd is None:
            return None
        return round(self.month_to_date_usd + (self.forecast_usd or 0.0), 2)

    def to_dict(self) -> dict:
        return {"deployment": self.deployment, "source": self.source, "currency": self.currency,
                "month_to_date_usd": self.month_to_date_usd, "forecast_usd": self.forecast_usd,
                "month_total_usd": self.month_total_usd, "estimate_monthly_usd": self.estimate_monthly_usd,
                "estimate": self.estimate, "period": self.period, "notes": self.notes}


def deployed_estimate(state: DeploymentState) -> CostEstimate | None:
    """The estimate of the templates CloudFormation runs now (None when no stack is deployed)."""
    cfn = read_client("cloudformation", state.region)
    templates = []
    with aws_errors(f"reading the templates of '{state.id}'"):
        for name, stack in sorted(state.stacks.items()):
            if stack.status == MISSING or stack.status.startswith("DELETE_"):
                continue
            try:
                body = cfn.get_template(StackName=name)["TemplateBody"]
            except ClientError:
                continue
            templates.append((name, json.loads(body) if isinstance(body, str) else dict(body)))
    return estimate(templates, state.region) if templates else None


def _amount(result: dict, key: str = "UnblendedCost") -> float:
    return float(result.get("Total", {}).get(key, {}).get("Amount", 0) or 0)


def deployment_costs(state: DeploymentState, *, today: date | None = None) -> CostReport:
    today = today or datetime.now(timezone.utc).date()
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    tag_filter = {"Tags": {"Key": DEPLOYMENT_TAG, "Values": [state.id], "MatchOptions": ["EQUALS"]}}
    report = CostReport(deployment=state.id, source="estimate",
                        period={"start": month_start.isoformat(), "end": next_month.isoformat()})
    est = deployed_estimate(state)
    if est is not None:
        report.estimate_monthly_usd = est.total_usd
        report.estimate = est.to_dict()
    else:
        report.notes.append("no deployed stacks to estimate")
    ce = read_client("ce", COST_EXPLORER_REGION)
    try:
        answer = ce.get_cost_and_usage(
            TimePeriod={"Start": month_start.isoformat(), "End": (today + timedelta(days=1)).isoformat()},
            Granularity="MONTHLY", Metrics=["UnblendedCost"], Filter=tag_filter)
        results = answer.get("ResultsByTime", [])
    except (ClientError, BotoCoreError) as exc:
        report.notes.append(f"Cost Explorer unavailable ({aws_reason(exc)})")
        results = None
    if results:
        total = sum(_amount(r) for r in results)
        unit = results[0].get("Total", {}).get("UnblendedCost", {}).get("Unit", "USD")
        if total > 0:
            report.source, report.month_to_date_usd, report.currency = "cost-explorer", round(total, 2), unit
    if report.source != "cost-explorer":
        if results is not None:
            report.notes.append(activation_hint(state.id))
        return report
    if today + timedelta(days=1) < next_month:
        try:
            forecast = ce.get_cost_forecast(
                TimePeriod={"Start": (today + timedelta(days=1)).isoformat(), "End": next_month.isoformat()},
                Metric="UNBLENDED_COST", Granularity="MONTHLY", Filter=tag_filter)
            report.forecast_usd = round(float(forecast.get("Total", {}).get("Amount", 0) or 0), 2)
        except (ClientError, BotoCoreError) as exc:
            report.notes.append(f"no forecast ({aws_reason(exc)})")
    else:
        report.forecast_usd = 0.0
    return report
