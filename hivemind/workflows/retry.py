"""`hivemind retry ID [REPO]`: run the failed command again, after the Medic's fix if it has one.

The failed operation's action (deploy or update) runs again from the repository's plan. Stacks
that completed before the failure are unchanged, so they are skipped without a change set; a
stack left in ROLLBACK_COMPLETE by a failed create is deleted and created again by the engine.
With consent (or --yes, for a fix that only touches the plan), the diagnosis' plan patch is applied
to hivemind.yaml first and shown as a diff. After MAX_RETRIES attempts, retry refuses and points
to manual intervention with the Medic's summary.
"""
from __future__ import annotations

from pathlib import Path

from ..state import DeploymentStatus, deployment_lock, load_state, save_state
from .operation import Refused
from .ui import UserInterface

S = DeploymentStatus
MAX_RETRIES = 3


def retry(deployment_id: str, repo: Path | None = None, *, yes: bool = False, ui: UserInterface | None = None,
          tuning=None, fix_applied: bool = False, **options):
    from .deploy import deploy
    from .rollout import Tuning
    from .update import update

    state = load_state(deployment_id)
    if state.status not in (S.FAILED, S.AWAITING_FIX) or not state.operations:
        raise Refused(f"deployment '{deployment_id}' is {state.status.value}: there is no failure to retry")
    failed = next((o for o in reversed(state.operations) if o.status in ("failed", "interrupted")), None)
    if failed is None or failed.action not in ("deploy", "update"):
        what = failed.action if failed else "nothing"
        raise Refused(f"the last failure of '{deployment_id}' was in {what}; retry handles deploy and update")
    if state.retry_count >= MAX_RETRIES:
        summary = (state.diagnosis or {}).get("root_cause") or state.last_error or "see `hivemind diagnose`"
        raise Refused(f"'{deployment_id}' failed {state.retry_count} retries; it needs a person: {summary}")
    repo = Path(repo or ".")
    patch = (state.diagnosis or {}).get("plan_patch")
    if patch and not fix_applied:  # fix_applied: the caller (the CLI's fix prompt) applied it with consent
        _apply_fix(deployment_id, repo, patch, yes=yes, ui=ui)
    with deployment_lock(deployment_id, region=state.region, command="retry"):
        state = load_state(deployment_id)
        state.retry_count += 1
        state.status = S.FIXING
        save_state(state)
    tuning = tuning or Tuning()
    if failed.action == "deploy":
        result = deploy(repo, yes=yes, ui=ui, waiter_delays=tuning.waiter_delays, poll_interval=tuning.poll_interval,
                        max_parallel=tuning.max_parallel)
    else:
        result = update(deployment_id, repo, yes=yes, ui=ui, tuning=tuning, **options)
    with deployment_lock(deployment_id, region=state.region, command="retry"):
        state = load_state(deployment_id)
        if state.status is S.COMPLETED:
            state.retry_count = 0
            state.failure, state.diagnosis = None, None
            save_state(state)
    return result


def _apply_fix(deployment_id: str, repo: Path, patch: list, *, yes: bool, ui: UserInterface | None) -> None:
    from ..medic import apply_plan_patch, preview_patch
    from ..plan import load_plan

    plan_path = repo / "hivemind.yaml" if repo.is_dir() else repo
    if not plan_path.exists():
        raise Refused(f"the Medic's fix edits hivemind.yaml, and {plan_path} does not exist")
    diff = preview_patch(load_plan(plan_path), patch)
    if ui is not None:
        ui.note(diff)
    if not yes:
        if ui is None or not ui.confirm("Apply the fix to hivemind.yaml and retry?", [], []):
            raise Refused("the fix was not applied; edit hivemind.yaml yourself and run `hivemind retry` again",
                          exit_code=1)
    apply_plan_patch(plan_path, patch)
