"""Which of the plan's `needs` (env vars the app reads with no default) nobody has set yet.

Deploy and update refuse while this list is not empty, naming the variables in one line."""
from __future__ import annotations

from .models import DeploymentPlan

# Set on every instance by HiveMind itself (see render/userdata): never the user's to provide.
ALWAYS_PROVIDED = frozenset({"PORT", "HIVEMIND_COLOR"})


def provided(plan: DeploymentPlan) -> set[str]:
    """Names the deployment sets on its own: PORT always, DATABASE_URL with a database, REDIS_URL with a cache."""
    names = set(ALWAYS_PROVIDED)
    if plan.database is not None:
        names |= {"DATABASE_URL", "DATABASE_READ_URL"}
    if plan.cache is not None:
        names.add("REDIS_URL")
    return names


def unmet_needs(plan: DeploymentPlan) -> list[str]:
    """Names of needs set neither as a service's `env` nor as its `secrets`, in plan order, once each."""
    done = provided(plan)
    for service in plan.services:
        done |= set(service.env) | set(service.secrets)
    missing: list[str] = []
    for need in plan.needs:
        if need.name not in done and need.name not in missing:
            missing.append(need.name)
    return missing
