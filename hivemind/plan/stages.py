"""Sizing defaults per stage: the cheapest honest setup for stage-1, a resilient one for production."""
from __future__ import annotations

from .models import DeploymentPlan, Stage

STAGE_DEFAULTS: dict[str, dict] = {
    "stage-1": {
        "service": {"instance_type": "t3.micro", "min_instances": 1, "max_instances": 1},
        "database": {
            "instance_class": "db.t3.micro",
            "multi_az": False,
            "read_replicas": 0,
            "backup_retention_days": 1,
            "deletion_protection": False,
        },
        "cache": {"node_type": "cache.t3.micro", "num_nodes": 1},
    },
    "production": {
        # Two instances minimum so the Auto Scaling group spans two AZs.
        "service": {"instance_type": "t3.small", "min_instances": 2, "max_instances": 4},
        "database": {
            "instance_class": "db.t3.small",
            "multi_az": True,
            "read_replicas": 1,
            "backup_retention_days": 7,
            "deletion_protection": True,
        },
        "cache": {"node_type": "cache.t3.small", "num_nodes": 2},
    },
}


def apply_stage(plan: DeploymentPlan, stage: Stage) -> DeploymentPlan:
    """Return a copy of `plan` set to `stage`, with that stage's sizing on every service and store."""
    defaults = STAGE_DEFAULTS[stage]
    data = plan.model_dump()
    data["stage"] = stage
    for service in data["services"]:
        service.update(defaults["service"])
    if data.get("database"):
        data["database"].update(defaults["database"])
    if data.get("cache"):
        data["cache"].update(defaults["cache"])
    return DeploymentPlan.model_validate(data)
