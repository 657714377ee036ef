"""The Medic: diagnose a failed deployment and propose the fix.

Every entry point returns a `Diagnosis` and never raises into its caller:
`{category, root_cause, fix, retry_alone_fixes, rule, evidence, plan_patch, commands}` (see models).
The deterministic rule catalogue (rules.py, each rule citing the AWS page it follows) answers first;
a text no rule matches goes to the text classifier (classifier.py, trained once per process on the
shipped corpus of labelled AWS failure texts: rule `classifier:<category>`, its `confidence`, never a
plan patch), and below its threshold the answer is `unknown` with the raw event. When an LLM is
configured (OPENAI_API_KEY / OPENAI_BASE_URL) the agent (hivemind.agents.medic_agent) answers instead
of that fallback, which stays the answer when the agent fails.

    diagnose_message(text, resource_type=None, *, use_agent=True) -> Diagnosis
        Any AWS / CloudFormation error text. Reads nothing from AWS.

    diagnose_events(events, *, client_request_token=None, plan=None, region=None, use_agent=True) -> Diagnosis
        Raw describe_stack_events dicts of one or more stacks, any order. With a token, only that
        operation's events are read; the root cause is its first *_FAILED event that is not a
        "Resource creation/update/deletion cancelled" echo (the chain of failed events is kept in
        evidence.chain). With `plan`, fixes become JSON Patches on it; with `region`, rules may read
        AWS read-only (the boot log of a health or signal timeout).

    diagnose_state(state, *, use_agent=True) -> Diagnosis
        A DeploymentState's last failure (state.failure, else state.last_error). Reads the failed
        operation's events (OperationRecord.client_request_token) from CloudFormation when reachable;
        otherwise state.failure is the evidence. Does not save the state: the caller stores
        `state.diagnosis = diagnosis.model_dump(mode="json")` under `deployment_lock(id)`.

    apply_plan_patch(plan_path, patch) -> PatchResult(plan, diff_text)
        Validates the patch against the plan schema, refuses one that touches stateful identity
        (database/cache engine, database name, names derived from the deployment name, anything
        the stateful guard calls a replacement), writes hivemind.yaml atomically and returns the
        unified diff. Raises PatchRejected (a HivemindError, exit 2) and leaves the file untouched.

    preview_patch(plan, patch) -> str        the diff a patch would make, without writing
    check_patch(plan, patch) -> DeploymentPlan   validate + guard only (PatchRejected)

A plan_patch inside a Diagnosis has already passed check_patch against the plan it was made for.
"""
from .diagnose import diagnose_events, diagnose_message, diagnose_state
from .models import CATEGORIES, Diagnosis, Evidence, PatchResult
from .patches import PatchRejected, apply_plan_patch, check_patch, preview_patch

__all__ = [
    "CATEGORIES", "Diagnosis", "Evidence", "PatchRejected", "PatchResult", "apply_plan_patch", "check_patch",
    "diagnose_events", "diagnose_message", "diagnose_state", "preview_patch",
]
