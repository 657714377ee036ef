"""Whether a plan serves HTTPS: a certificate ARN, or a domain in a Route 53 zone (certificate made here)."""
from __future__ import annotations

from ..plan import DeploymentPlan


def uses_tls(plan: DeploymentPlan) -> bool:
    return bool(plan.certificate_arn or (plan.domain and plan.hosted_zone_id))


def creates_certificate(plan: DeploymentPlan) -> bool:
    """The edge stack requests a DNS-validated ACM certificate for `plan.domain`."""
    return bool(not plan.certificate_arn and plan.domain and plan.hosted_zone_id)
