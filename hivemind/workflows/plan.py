"""`hivemind plan`: analyse a repository into hivemind.yaml, keeping a user's edits unless forced."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PlanError, ReconError
from ..plan import PLAN_FILENAME, DeploymentPlan, apply_stage, load_plan, save_plan
from ..plan.models import Stage
from ..recon import analyse_repo
from ..recon.naming import check_plan_name

if TYPE_CHECKING:
    from ..agents import RefineResult


@dataclass(frozen=True)
class PlanResult:
    plan: DeploymentPlan
    path: Path | None  # hivemind.yaml written or read; None when write=False and none existed
    kept_existing: bool  # True when the user's hivemind.yaml was loaded instead of re-analysed
    refine: "RefineResult | None" = None  # what the LLM agent did (None when it did not run: --no-llm, kept plan)


def apply_options(plan: DeploymentPlan, *, description: str = "", stage: Stage | None = None,
                  xray: bool | None = None, name: str | None = None) -> DeploymentPlan:
    """Apply only what the user explicitly asked for on this run; everything else stays as it was."""
    if stage is not None and stage != plan.stage:
        plan = apply_stage(plan, stage)
    data = plan.model_dump()
    if description:
        data["description"] = description
    if xray is not None:
        data["observability"]["xray"] = xray
    if name is not None:
        data["name"] = check_plan_name(name)
    # model_validate, not model_copy(update=...): the latter would skip validation.
    return DeploymentPlan.model_validate(data)


def build_plan(repo: Path, *, description: str = "", stage: Stage | None = None, xray: bool | None = None,
               force: bool = False, write: bool = True, name: str | None = None, use_llm: bool = True) -> PlanResult:
    """The plan for `repo`.

    If `repo/hivemind.yaml` exists and not `force`, it is loaded (validation errors raise PlanError)
    and only the options passed here are applied, so hand edits survive. Otherwise Recon analyses
    the repository (ReconError for a missing path or nothing deployable). With `write`, the result
    is saved to `repo/hivemind.yaml` atomically.
    """
    repo = Path(repo)
    if not repo.is_dir():
        raise ReconError(f"no such directory: {repo}")
    plan_path = repo / PLAN_FILENAME
    if plan_path.exists() and not plan_path.is_file():
        raise PlanError(f"{plan_path}: exists but is not a file")
    kept = plan_path.is_file() and not force
    plan = load_plan(plan_path) if kept else analyse_repo(repo, name=name, description=description)
    refined = None
    if use_llm and not kept:
        # The Recon agent refines a fresh draft only (never a user's edited file); before the
        # options, so what the user asked for on this run wins. Falls back to the draft itself.
        from ..agents import refine_plan

        refined = refine_plan(plan, repo, description=description)
        plan = refined.plan
    plan = apply_options(plan, description=description, stage=stage, xray=xray, name=name)
    if write:
        try:
            save_plan(plan, plan_path)
        except OSError as exc:
            raise PlanError(f"{plan_path}: cannot write the plan: {exc.strerror or exc.__class__.__name__}") from None
    return PlanResult(plan=plan, path=plan_path if (write or kept) else None, kept_existing=kept, refine=refined)
