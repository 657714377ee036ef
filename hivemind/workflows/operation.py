"""The operation shell every lifecycle command runs in (deploy, update, rollback, upgrade, destroy, retry).

One operation = take the deployment's lock, load its state, run named phases (each timed and
recorded in `state.operations[-1].phases`, the Conductor's timeline), keep the status truthful
through failures and Ctrl-C, and end with one `LifecycleResult` (`--json`).

What the state claims is what runs: an operation that is refused, cancelled or fails before it
changed anything in AWS puts back the deployment's recorded plan, releases, colours and artifact
(`baseline`), so a refused deploy never records an artifact that no stack runs.
"""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ..deploy.errors import DeployError
from ..errors import HivemindError
from ..redact import one_line
from ..state import (
    DeploymentState, DeploymentStatus, append_history, deployment_lock, load_state, mark_failed, save_state,
)
from ..state.models import FailureInfo, OperationRecord, PhaseRecord
from .ui import QuietUI, UserInterface

S = DeploymentStatus
# Kept in the state: enough operations for reports and the Medic; older ones are dropped.
OPERATIONS_KEPT = 30
# Fields that describe what runs; restored when an operation changed nothing in AWS.
_RUNNING_FIELDS = ("plan", "stage", "releases", "colors", "artifact", "active_color")


class Refused(HivemindError):
    """The operation stopped before changing anything in AWS (bad input, a guard, a check)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message, exit_code=exit_code)


@dataclass
class LifecycleResult:
    """What every lifecycle command prints with --json."""

    id: str
    action: str
    status: str
    active_color: str | None
    release: str | None
    stacks_changed: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    phases: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"id": self.id, "action": self.action, "status": self.status, "active_color": self.active_color,
                "release": self.release, "stacks_changed": self.stacks_changed,
                "duration_s": round(self.duration_s, 3), "phases": self.phases, **self.extra}


class Operation:
    """One lifecycle command on one deployment; use as a context manager around its phases.

        with Operation(id, "update", ui=ui) as op:
            with op.phase("bundle", status=S.BUILDING):
                ...
            op.succeed(S.COMPLETED)

    `state_factory` makes a fresh state when none exists (a first deploy); without it an
    unknown deployment is refused in one line. `what_if` runs the phases without recording
    anything: the state is neither changed nor saved.
    """

    def __init__(self, deployment_id: str, action: str, *, region: str | None = None,
                 ui: UserInterface | None = None, what_if: bool = False,
                 state_factory: Callable[[], DeploymentState] | None = None,
                 load: Callable[[], DeploymentState] | None = None, wait_lock: float | str = 0.0):
        self.deployment_id, self.action, self.region = deployment_id, action, region
        self.ui = ui or QuietUI()
        self.wait_lock = wait_lock
        self.what_if = what_if
        self._state_factory, self._load = state_factory, load
        self.state: DeploymentState | None = None
        self.record: OperationRecord | None = None
        self.changed_aws = False  # set once something was sent that changes AWS (an execute, a delete)
        self.stacks_changed: list[str] = []
        self.release_label: str | None = None
        self.extra: dict = {}
        self._baseline: dict = {}
        self._previous_status: DeploymentStatus | None = None
        self._started = time.monotonic()
        self._lock = None
        self.lease = None
        self._finished = False
        self.client_request_token = f"hm-{action}-{uuid.uuid4().hex[:12]}"

    # --- entering: lock + state ---
    def __enter__(self) -> "Operation":
        if self._state_factory is None:
            # An unknown or destroyed deployment is refused before the lock: taking the lease in
            # AWS would create the region's bootstrap stack for nothing.
            self._load_state()
        # A what-if changes nothing in AWS: the local lock is enough (and creates nothing there).
        self._lock = deployment_lock(self.deployment_id, region=self.region, command=self.action,
                                     remote=not self.what_if, wait=self.wait_lock, on_wait=self.ui.note)
        self.lease = self._lock.__enter__()  # the lease in AWS (None: local lock only)
        try:
            self.state = self._load_state()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        state = self.state
        self._previous_status = state.status
        self._baseline = {name: getattr(state, name) for name in _RUNNING_FIELDS}
        self._baseline = {k: (v.model_copy(deep=True) if hasattr(v, "model_copy") else _deep(v))
                          for k, v in self._baseline.items()}
        if not self.what_if:
            self.record = OperationRecord(id=self.client_request_token, action=self.action,
                                          client_request_token=self.client_request_token)
        return self

    def _load_state(self) -> DeploymentState:
        from ..state import DeploymentNotFound

        try:
            state = self._load() if self._load else load_state(self.deployment_id, self.region)
        except DeploymentNotFound:
            if self._state_factory is None:
                raise Refused(f"unknown deployment '{self.deployment_id}' (see `hivemind list`)") from None
            return self._state_factory()
        if self._state_factory is None and state.status is S.DESTROYED:
            raise Refused(f"deployment '{self.deployment_id}' was destroyed; deploy it again to start fresh")
        return state

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is not None and not self._finished:
                self._on_error(exc)
        finally:
            self._lock.__exit__(None, None, None)
        if exc is None:
            return False
        if isinstance(exc, KeyboardInterrupt):
            phase = self._current_phase_name() or self.action
            where = "CloudFormation may still be working: " if self.changed_aws else ""
            raise HivemindError(f"interrupted during {phase}; {where}run `hivemind status {self.deployment_id}`",
                                exit_code=130) from None
        if isinstance(exc, (BotoCoreError, ResponseParserError)):
            raise DeployError(f"AWS call failed during {self._current_phase_name() or self.action}: "
                              f"{one_line(str(exc), 300)}") from None
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            raise DeployError(f"AWS refused a call during {self._current_phase_name() or self.action}: "
                              f"{err.get('Code', 'Error')}: {one_line(str(err.get('Message', exc)), 300)}") from None
        return False

    # --- phases ---
    @contextmanager
    def phase(self, name: str, *, status: DeploymentStatus | None = None, detail: str = "") -> Iterator[PhaseRecord]:
        """Run one named phase: timed, recorded, shown. An exception marks it failed (or
        interrupted, for Ctrl-C) and propagates."""
        self._check_lease()
        record = PhaseRecord(name=name, detail=detail)
        if self.record is not None:
            self.record.phases.append(record)
            if status is not None:
                self.state.status = status
            self._save()
        self.ui.phase_started(name)
        started = time.monotonic()
        try:
            yield record
        except KeyboardInterrupt:
            record.outcome = "interrupted"
            raise
        except Refused:
            record.outcome = "refused"
            raise
        except BaseException:
            record.outcome = "failed"
            raise
        else:
            if record.outcome == "running":
                record.outcome = "ok"
        finally:
            record.seconds = round(time.monotonic() - started, 3)
            self.ui.phase_finished(name, record.outcome, record.seconds, record.detail)
            if self.record is not None and record.outcome == "ok":
                self._save()

    def _check_lease(self) -> None:
        """Stop before a phase if the lease was broken (`hivemind unlock --force` on another
        machine) or taken over: renewing it now finds out at once, not at the next heartbeat."""
        if self.lease is None:
            return
        try:
            self.lease.beat()
        except (BotoCoreError, ClientError):
            pass  # AWS unreachable this moment: the heartbeat thread keeps trying; the phase will see
        self.lease.check()

    def skip(self, name: str, why: str) -> None:
        """A phase that does not apply this time, recorded as skipped (the timeline stays complete)."""
        record = PhaseRecord(name=name, seconds=0.0, outcome="skipped", detail=why)
        if self.record is not None:
            self.record.phases.append(record)
        self.ui.phase_finished(name, "skipped", 0.0, why)

    def _current_phase_name(self) -> str | None:
        if self.record is not None:
            running = [p for p in self.record.phases if p.outcome in ("running", "failed", "interrupted", "refused")]
            if running:
                return running[-1].name
        return None

    # --- endings ---
    def succeed(self, status: DeploymentStatus, detail: str = "") -> LifecycleResult:
        self._finished = True
        if self.record is not None:
            self.record.status = "succeeded"
            self._close(status, detail or f"{self.action} succeeded")
            self._save_report()
        return self.result("succeeded")

    def _save_report(self) -> None:
        """Issue 14: a successful deploy, update or upgrade (or a retry, which runs as one of them)
        saves a report and says where; a report problem is one note, never a failed command."""
        from ..reports import REPORTED_ACTIONS, save_after_success

        if self.action in REPORTED_ACTIONS:
            # retry sets FIXING before it runs the failed deploy/update again.
            action = "retry" if self._previous_status is S.FIXING else self.action
            save_after_success(self.state, action, self.ui)

    def cancel(self, detail: str = "cancelled at confirmation") -> LifecycleResult:
        """The user said no: nothing changed in AWS, the deployment is as it was."""
        self._finished = True
        if self.record is not None:
            self._restore_baseline()
            self.record.status = "cancelled"
            self._close(self._settled_previous(), detail)
        return self.result("cancelled")

    def fail(self, error: str | BaseException, failure: FailureInfo | None = None) -> None:
        """Record a failure (the root cause, not its echoes) without raising."""
        if self.record is None:
            return
        message = one_line(str(error) or error.__class__.__name__)
        phase = self._current_phase_name() or self.action
        info = failure or FailureInfo(reason=message)
        info.operation_id, info.action, info.phase = self.record.id, self.action, info.phase or phase
        self.state.failure = info
        self.state.diagnosis = None
        self.record.status = "failed"
        self.record.error = message
        mark_failed(self.state, message, stage=phase)
        if failure is not None:
            self._diagnose()
        self._close(None, "", quiet=True)

    def _diagnose(self) -> None:
        """Hand the root cause to the Medic; a diagnosed failure waits for its fix (`retry`).
        The Medic never raises, and never fails the command that called it."""
        try:
            from ..medic import diagnose_state

            diagnosis = diagnose_state(self.state)
        except Exception:  # noqa: BLE001 - a broken Medic must not hide the failure itself
            return
        self.state.diagnosis = diagnosis.model_dump(mode="json")
        append_history(self.state, "diagnose", f"{diagnosis.category}: {diagnosis.root_cause}",
                       status=S.AWAITING_FIX)

    def result(self, status: str | None = None) -> LifecycleResult:
        state = self.state
        phases = [{"name": p.name, "seconds": p.seconds, "outcome": p.outcome} for p in
                  (self.record.phases if self.record else [])]
        return LifecycleResult(
            id=self.deployment_id, action=self.action,
            status=status or (self.record.status if self.record else "what-if"),
            active_color=state.active_color if state else None, release=self.release_label,
            stacks_changed=list(self.stacks_changed), duration_s=time.monotonic() - self._started,
            phases=phases, extra=dict(self.extra),
        )

    def _on_error(self, exc: BaseException) -> None:
        if self.record is None:
            return
        if isinstance(exc, KeyboardInterrupt):
            self.record.status = "interrupted"
            phase = self._current_phase_name() or self.action
            if self.changed_aws:
                mark_failed(self.state, f"interrupted during {phase}; CloudFormation may still be working",
                            stage=phase)
                self.state.failure = FailureInfo(operation_id=self.record.id, action=self.action, phase=phase,
                                                 reason="interrupted by the user")
                self._close(None, "", quiet=True)
            else:
                self._restore_baseline()
                self._close(self._settled_previous(), f"interrupted during {phase}; nothing was changed", quiet=True)
            return
        if not self.changed_aws and isinstance(exc, HivemindError) and (isinstance(exc, Refused) or _is_refusal(exc)):
            self._restore_baseline()
            self.record.status = "refused"
            self.record.error = one_line(str(exc))
            self._close(self._settled_previous(), f"refused: {exc}", quiet=True)
            return
        if self.changed_aws or not isinstance(exc, HivemindError):
            self.fail(exc if not isinstance(exc, (BotoCoreError, ResponseParserError)) else
                      f"AWS call failed: {one_line(str(exc), 300)}", getattr(exc, "failure", None))
            return
        # Failed before anything was sent to AWS: the deployment runs as it did.
        self._restore_baseline()
        self.record.status = "failed"
        self.record.error = one_line(str(exc))
        self._close(self._settled_previous(), f"failed before any change: {exc}", quiet=True)

    def _settled_previous(self) -> DeploymentStatus:
        previous = self._previous_status or S.PENDING
        return S.FAILED if previous.in_progress else previous

    def _restore_baseline(self) -> None:
        for name, value in self._baseline.items():
            setattr(self.state, name, value)

    def _close(self, status: DeploymentStatus | None, detail: str, *, quiet: bool = False) -> None:
        record = self.record
        record.seconds = round(time.monotonic() - self._started, 3)
        record.stacks_changed = list(self.stacks_changed)
        for phase in record.phases:
            if phase.outcome == "running":
                phase.outcome = "interrupted" if record.status == "interrupted" else "failed"
        if status is not None:
            append_history(self.state, self.action, detail, status=status)
            if status is not S.FAILED:
                self.state.last_error = None if status in (S.COMPLETED, S.ROLLED_BACK) else self.state.last_error
        self._save(quiet=quiet)

    def _save(self, *, quiet: bool = False) -> None:
        if self.record is None:
            return
        state = self.state
        if not state.operations or state.operations[-1].id != self.record.id:
            state.operations.append(self.record)
        else:
            state.operations[-1] = self.record
        del state.operations[:-OPERATIONS_KEPT]
        if not quiet:
            save_state(state)
            return
        # On the way out of a failure the local copy must land even if AWS is the problem.
        try:
            save_state(state)
        except HivemindError:
            save_state(state, remote=False)


def _is_refusal(exc: HivemindError) -> bool:
    from ..deploy.errors import ChecksFailed, ReplacementRefused

    return isinstance(exc, (ReplacementRefused, ChecksFailed))


def _deep(value):
    import copy

    return copy.deepcopy(value)
