"""Deployment state: a local cache ($HIVEMIND_HOME/deployments/<id>/state.json, atomic + locked),
a copy in AWS (SSM) so any machine can act, and CloudFormation as the source of truth."""
from .local import StateError, check_deployment_id, state_path
from .lock import DeploymentLocked, deployment_lock, held_lease, lock_held, locked_elsewhere, parse_wait
from .models import (
    ArtifactInfo, DeploymentState, DeploymentStatus, DeploymentSummary, HistoryEvent, StackState,
)
from ..redact import one_line, redact, redact_data
from .refresh import (
    DEPLOYMENT_TAG, current_status, dashboard_url, refresh_from_cloudformation, stack_names,
)
from .remote import StateConflict, delete_remote
from .store import (
    DeploymentNotFound, append_history, list_deployments, load_state, mark_failed, save_state,
    serialize_state,
)

__all__ = [
    "ArtifactInfo", "DEPLOYMENT_TAG", "DeploymentLocked", "DeploymentNotFound", "DeploymentState",
    "DeploymentStatus", "DeploymentSummary", "HistoryEvent", "StackState", "StateError",
    "append_history", "check_deployment_id", "current_status", "dashboard_url", "delete_remote",
    "deployment_lock", "list_deployments", "lock_held", "load_state", "locked_elsewhere", "mark_failed",
    "one_line", "redact", "redact_data", "refresh_from_cloudformation", "save_state",
    "serialize_state", "stack_names", "state_path", "StateConflict", "held_lease", "parse_wait",
]
