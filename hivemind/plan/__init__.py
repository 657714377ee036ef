"""The typed deployment plan (models, stage defaults, load/save)."""
from .io import PLAN_FILENAME, dump_plan_json, dump_plan_yaml, load_plan, save_plan
from .models import Cache, Database, DeploymentPlan, Evidence, Need, Observability, Service
from .stages import STAGE_DEFAULTS, apply_stage

__all__ = [
    "PLAN_FILENAME", "Cache", "Database", "DeploymentPlan", "Evidence", "Need", "Observability", "Service",
    "STAGE_DEFAULTS", "apply_stage", "dump_plan_json", "dump_plan_yaml", "load_plan", "save_plan",
]
