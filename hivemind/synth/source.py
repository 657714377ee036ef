"""Turn a path argument into a plan: a plan file, or a directory (its hivemind.yaml, else analysed)."""
from __future__ import annotations

from pathlib import Path

from ..errors import PlanError
from ..plan import PLAN_FILENAME, DeploymentPlan, load_plan


def load_plan_arg(path: str | Path) -> DeploymentPlan:
    path = Path(path)
    if not path.exists():
        raise PlanError(f"{path}: no such file or directory")
    if path.is_dir():
        if (path / PLAN_FILENAME).is_file():
            return load_plan(path / PLAN_FILENAME)
        try:
            from ..recon import analyse_repo
        except ImportError:
            raise PlanError(f"{path}: no {PLAN_FILENAME} here (run `hivemind plan {path}` first)") from None
        return analyse_repo(path)
    return load_plan(path)
