"""failure_timeout: a deployment left failed for 24 h is pointed at its way out.

A failed deployment keeps its resources (and their cost) until someone retries or destroys it; after
FAILURE_TIMEOUT, `hivemind status` and `hivemind list` say how long it has been failed and name both
commands. Nothing is changed automatically: deleting resources is the user's decision.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

FAILURE_TIMEOUT = timedelta(hours=24)
_FAILED_STATUSES = ("failed", "awaiting_fix")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def failed_for(duration: timedelta) -> str:
    """A failure's age in whole days and hours: '1 d 1 h', '2 d', '25 h' never."""
    hours = int(duration.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return " ".join(part for part in (f"{days} d" if days else "", f"{hours} h" if hours or not days else "") if part)


def failure_hint(deployment_id: str, status: str | None, failed_at: datetime | None,
                 now: datetime | None = None) -> str | None:
    """The line to show for a deployment failed longer than FAILURE_TIMEOUT, else None.

    `status` is the deployment's status value; `failed_at` when it failed (the recorded failure's
    time; for a list row, its last change, which for a failed deployment is the failure or its diagnosis)."""
    if status not in _FAILED_STATUSES or failed_at is None:
        return None
    now = now or _now()
    if failed_at.tzinfo is None:
        failed_at = failed_at.replace(tzinfo=timezone.utc)
    age = now - failed_at
    if age < FAILURE_TIMEOUT:
        return None
    return (f"failed for {failed_for(age)}: its resources are still there; run `hivemind retry {deployment_id}` "
            f"(after the fix `hivemind diagnose {deployment_id}` proposes) or `hivemind destroy {deployment_id}`")


def state_failure_hint(state, now: datetime | None = None) -> str | None:
    """failure_hint for a DeploymentState: the failure's own time, else the state's last change."""
    failure = getattr(state, "failure", None)
    failed_at = failure.time if failure is not None else state.updated_at
    status = state.status.value if state.status is not None else None
    return failure_hint(state.id, status, failed_at, now)
