"""The deploy engine: change sets for a DAG of stacks, independent stacks in parallel.

preview() makes every change set it can (stacks whose dependencies are not deployed yet are
previewed from their template and get their change set later); execute() runs the DAG: a stack
starts once all its dependencies completed, at most `max_parallel` at a time; after a failure
nothing new starts and running stacks finish. Change sets resolve SSM values when created, so a
stack whose dependency changed in this run gets a fresh change set (and a fresh guard check).
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ..errors import HivemindError
from . import guard
from .cfn import ApiFactory, AwsUnavailable, Cancelled, CloudFormationApi, WaitFailed
from .changeset import (
    ChangeSetContext, StackPreview, StackSpec, CREATE_STATES, RECREATE_STATES, TEMPLATE_BODY_LIMIT,
    create_change_set, deferred_preview, discard, retire_preview, template_as_dict,
)
from .errors import DeployError
from .events import EventTracker, RootCause

class ProgressSink(Protocol):
    """Where the engine reports stack statuses and fresh resource events (the CLI draws them)."""

    def set_status(self, stack: str, status: str) -> None: ...

    def add_events(self, stack: str, events: list) -> None: ...


COMPLETED, NO_CHANGES, FAILED, SKIPPED, REFUSED, INTERRUPTED, DELETED = (
    "completed", "no changes", "failed", "skipped", "refused", "interrupted", "deleted")


@dataclass
class StackOutcome:
    name: str
    result: str
    change_set_type: str | None = None
    stack_status: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    root_cause: RootCause | None = None
    started_seq: int | None = None  # order in which stacks started/finished executing
    finished_seq: int | None = None
    changes: int = 0


@dataclass
class EngineResult:
    outcomes: dict[str, StackOutcome]

    @property
    def ok(self) -> bool:
        return all(o.result in (COMPLETED, NO_CHANGES, DELETED) for o in self.outcomes.values())

    @property
    def changed(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.result in (COMPLETED, DELETED)]

    @property
    def deleted(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.result == DELETED]

    @property
    def first_failure(self) -> StackOutcome | None:
        failed = [o for o in self.outcomes.values() if o.result in (FAILED, REFUSED, INTERRUPTED)]
        return min(failed, key=lambda o: o.finished_seq or 0) if failed else None

    def error_line(self) -> str | None:
        failure = self.first_failure
        if failure is None:
            return None
        if failure.root_cause is not None:
            return failure.root_cause.one_line()
        return f"{failure.name}: {failure.error}"


def dependency_order(specs: list[StackSpec]) -> list[StackSpec]:
    """Topological order (stable: keeps the given order where it can); dependencies outside the
    set are taken as already deployed. A cycle is an error."""
    by_name = {s.name: s for s in specs}
    ordered: list[StackSpec] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise DeployError(f"stack dependency cycle: {' -> '.join(path + (name,))}")
        state[name] = "visiting"
        for dep in by_name[name].dependencies:
            if dep in by_name:
                visit(dep, path + (name,))
        state[name] = "done"
        ordered.append(by_name[name])

    for spec in specs:
        visit(spec.name, ())
    return ordered


# Seconds without a new stack event before the wait says so (HIVEMIND_STALL_NOTICE to change it).
DEFAULT_STALL_NOTICE = 300.0


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


class DeployEngine:
    def __init__(self, api_factory: ApiFactory, ctx: ChangeSetContext, *, region: str,
                 max_parallel: int = 4, allow_replacement: bool = False,
                 progress: ProgressSink | None = None, poll_interval: float = 2.0,
                 cancel: threading.Event | None = None, stall_notice: float | None = None):
        if max_parallel < 1:
            raise DeployError("--max-parallel must be at least 1")
        self._api = api_factory
        self._ctx = ctx
        self.region = region
        self.max_parallel = max_parallel
        self.allow_replacement = allow_replacement
        self.progress = progress
        self.poll_interval = poll_interval
        self.cancel = cancel or threading.Event()
        self._trackers: dict[str, EventTracker] = {}
        # A stack with no new event for this long is said to be quiet (and again each time as long).
        self.stall_notice = stall_notice if stall_notice is not None else float(
            os.environ.get("HIVEMIND_STALL_NOTICE") or DEFAULT_STALL_NOTICE)
        self._stalls_said: dict[str, int] = {}
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()

    # --- preview ---
    def preview(self, specs: list[StackSpec], *, what_if: bool = False,
                retire: tuple[str, ...] = ()) -> list[StackPreview]:
        """Change sets for every stack whose dependencies exist; template previews for the rest.

        what_if: never delete anything (a failed first create is shown as 'will be re-created').
        retire: stacks of this deployment the plan no longer renders; those that exist are
        previewed as deletions that run after every other stack deployed.
        """
        specs = dependency_order(specs)
        api = self._api()
        stacks = {s.name: api.describe_stack(s.name) for s in specs}
        statuses = {n: (st or {}).get("StackStatus") for n, st in stacks.items()}
        deployed = {n for n, st in statuses.items() if st not in CREATE_STATES and st not in RECREATE_STATES}

        def one(spec: StackSpec) -> StackPreview:
            api = self._api()
            if any(dep in statuses and dep not in deployed for dep in spec.dependencies):
                return deferred_preview(api, spec)
            unchanged = unchanged_preview(api, spec, stacks, self._ctx)
            if unchanged is not None:
                return unchanged
            if what_if and spec.needs_upload and self._ctx.upload_template is None:
                # A fresh account has no artifact bucket yet (the deploy creates it) and a
                # preview creates nothing: show this stack from its template instead.
                preview = deferred_preview(api, spec)
                preview.note = (f"previewed from the template: it is over CloudFormation's {TEMPLATE_BODY_LIMIT} "
                                "byte inline limit and the artifact bucket does not exist yet")
                return preview
            return create_change_set(api, spec, self._ctx, allow_recreate=not what_if)

        results: list[StackPreview] = []
        rendered = tuple(s.name for s in specs)

        def retiring(name: str) -> StackPreview | None:
            return retire_preview(self._api(), name, self._ctx, after=rendered)

        with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="hm-preview") as pool:
            futures = [pool.submit(one, spec) for spec in specs]
            futures += [pool.submit(retiring, name) for name in retire if name not in rendered]
            errors: list[BaseException] = []
            try:
                for future in futures:
                    try:
                        preview = future.result()
                        if preview is not None:
                            results.append(preview)
                    except (HivemindError, ClientError, BotoCoreError, ResponseParserError) as exc:
                        errors.append(exc)
            except KeyboardInterrupt:
                self._abandon_preview(pool, futures)
                raise
        if errors:
            # Leave nothing behind: the previews that did succeed are discarded.
            self.discard(results)
            first = errors[0]
            if isinstance(first, HivemindError):
                raise first
            raise DeployError(f"creating change sets: {_error_text(first)}") from None
        for preview in results:
            guard.fill_replacement(preview, self.region)
        return results

    def _abandon_preview(self, pool: ThreadPoolExecutor, futures: list[Future]) -> None:
        """Ctrl-C while change sets are being made: start no more, let the running ones stop
        (their waits see the cancel), and delete every change set already made."""
        self.cancel.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)
        made = [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]
        try:
            self.discard([p for p in made if p is not None])
        except (HivemindError, ClientError, BotoCoreError):
            pass  # best effort: the interrupt is what the user must see

    def discard(self, previews: list[StackPreview]) -> None:
        api = self._api()
        for preview in reversed(previews):
            discard(api, preview)

    # --- execute ---
    def execute(self, previews: list[StackPreview]) -> EngineResult:
        by_name = {p.name: p for p in previews}
        order = [s.name for s in dependency_order([p.spec for p in previews])]
        outcomes: dict[str, StackOutcome] = {}
        pending = list(order)
        running: dict[Future, str] = {}
        pool = ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="hm-deploy")
        main_api = self._api()
        try:
            while pending or running:
                stop = any(o.result in (FAILED, REFUSED, INTERRUPTED) for o in outcomes.values())
                for name in list(pending):
                    deps = [d for d in by_name[name].spec.dependencies if d in by_name]
                    blocked = [d for d in deps if d in outcomes and outcomes[d].result not in (COMPLETED, NO_CHANGES)]
                    if stop or blocked:
                        why = f"dependency {blocked[0]} {outcomes[blocked[0]].result}" if blocked else "an earlier stack failed"
                        outcomes[name] = StackOutcome(name, SKIPPED, error=f"not started: {why}")
                        self._status(name, SKIPPED)
                        pending.remove(name)
                    elif all(d in outcomes for d in deps) and len(running) < self.max_parallel:
                        fresh = [d for d in deps if outcomes[d].result == COMPLETED]
                        running[pool.submit(self._run_stack, by_name[name], bool(fresh))] = name
                        pending.remove(name)
                if not running:
                    continue
                done, _ = wait(list(running), timeout=self.poll_interval, return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    outcomes[name] = future.result()
                self._poll_events(main_api, running.values())
        except KeyboardInterrupt:
            self.cancel.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        # A skipped stack's prepared change set (and empty review stack) must not linger.
        for name in order:
            if outcomes[name].result == SKIPPED:
                try:
                    discard(main_api, by_name[name])
                except (ClientError, BotoCoreError, HivemindError):
                    pass
        return EngineResult({name: outcomes[name] for name in order})

    def _status(self, name: str, status: str) -> None:
        if self.progress is not None:
            self.progress.set_status(name, status)

    def _next_seq(self) -> int:
        with self._seq_lock:
            return next(self._seq)

    def _poll_events(self, api: CloudFormationApi, names) -> None:
        for name in list(names):
            tracker = self._trackers.get(name)
            if tracker is None:
                continue
            try:
                fresh = tracker.poll(api.iter_events(name))
            except (ClientError, BotoCoreError):
                continue  # the display is best effort; the worker's own poll decides the outcome
            if self.progress is not None:
                self.progress.add_events(name, fresh)
            self._say_stall(name, tracker, bool(fresh))

    def _say_stall(self, name: str, tracker: EventTracker, fresh: bool) -> None:
        """Never wait in silence: a stack quiet for `stall_notice` seconds is reported with what it
        still waits on (an RDS instance legitimately takes minutes); CloudFormation's own timeouts
        end a real hang, so this reports rather than gives up."""
        if fresh and self._stalls_said.pop(name, 0):
            self._status(name, "executing")
            return
        quiet = time.monotonic() - tracker.last_activity
        said = self._stalls_said.get(name, 0)
        if self.stall_notice <= 0 or quiet < self.stall_notice * (said + 1):
            return
        self._stalls_said[name] = int(quiet // self.stall_notice)
        waiting = ", ".join(f"{e.logical_id} ({e.resource_type})" for e in tracker.in_progress()[:3])
        self._status(name, f"no new event for {_duration(quiet)}"
                           f"{'; still in progress: ' + waiting if waiting else ''}; waiting on CloudFormation")

    def _run_stack(self, preview: StackPreview, dependency_changed: bool) -> StackOutcome:
        name = preview.name
        outcome = StackOutcome(name, FAILED, started_seq=self._next_seq())
        api = self._api()
        api.on_aws_error = lambda stack, line: self._status(name, line)
        try:
            if preview.retire:
                return self._retire_stack(api, preview, outcome)
            if preview.deferred or preview.recreate or dependency_changed or (
                    preview.change_set_id is None and not preview.no_changes):
                self._status(name, "creating change set")
                if preview.change_set_id:
                    discard(api, preview)  # made before its dependencies changed: stale values
                preview = create_change_set(api, preview.spec, self._ctx)
                guard.fill_replacement(preview, self.region)
                violations = guard.find_violations([preview], self.region)
                if violations and not self.allow_replacement:
                    discard(api, preview)
                    outcome.result, outcome.error = REFUSED, str(guard.refusal(violations))
                    return self._finish(outcome)
            outcome.change_set_type = preview.change_set_type
            outcome.changes = len(preview.changes)
            if preview.no_changes:
                outcome.result = NO_CHANGES
                stack = api.describe_stack(name) or {}
                outcome.stack_status = stack.get("StackStatus")
                outcome.outputs = _outputs(stack)
                return self._finish(outcome)
            tracker = self._trackers[name] = EventTracker(name)
            tracker.prime(api.iter_events(name))
            self._status(name, "executing")
            try:
                api.execute_change_set(preview.change_set_id, name, self._ctx.client_request_token)
                api.wait_stack(name, preview.change_set_type)
            except (ClientError, BotoCoreError, ResponseParserError) as exc:
                # moto (and a few real API validations) refuse the execution itself, with no
                # *_FAILED event: the API message is the root cause then.
                self._fail(api, outcome, _error_text(exc))
                return self._finish(outcome)
            except WaitFailed as exc:
                self._fail(api, outcome, exc.response.get("StackStatusReason")
                           or _first_stack_reason(exc.response) or exc.reason,
                           status=_first_stack_status(exc.response))
                return self._finish(outcome)
            stack = api.describe_stack(name) or {}
            outcome.result = COMPLETED
            outcome.stack_status = stack.get("StackStatus")
            outcome.outputs = _outputs(stack)
            self._poll_final(api, name)
        except Cancelled:
            outcome.result, outcome.error = INTERRUPTED, "interrupted while CloudFormation was working"
        except AwsUnavailable as exc:
            outcome.result, outcome.error = FAILED, str(exc)
        except Exception as exc:  # noqa: BLE001 - one stack's failure (even a garbled API answer,
            # botocore's ResponseParserError is no BotoCoreError) must not bring down the others.
            outcome.result, outcome.error = FAILED, _error_text(exc)
        return self._finish(outcome)

    def _retire_stack(self, api: CloudFormationApi, preview: StackPreview, outcome: StackOutcome) -> StackOutcome:
        """Delete a stack that left the plan (its dependents were updated first); CloudFormation
        applies the resources' deletion policies (the database's final snapshot)."""
        name = preview.name
        outcome.change_set_type, outcome.changes = "DELETE", len(preview.changes)
        tracker = self._trackers[name] = EventTracker(name)
        tracker.prime(api.iter_events(name))
        self._status(name, "deleting")
        try:
            api.delete_stack(name)
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            self._fail(api, outcome, _error_text(exc))
            return self._finish(outcome)
        except WaitFailed as exc:
            self._fail(api, outcome, _first_stack_reason(exc.response) or exc.reason)
            return self._finish(outcome)
        self._poll_final(api, name)
        outcome.result, outcome.stack_status = DELETED, "DELETE_COMPLETE"
        return self._finish(outcome)

    def _poll_final(self, api: CloudFormationApi, name: str) -> None:
        tracker = self._trackers.get(name)
        if tracker is not None:
            try:
                fresh = tracker.poll(api.iter_events(name))
            except (ClientError, BotoCoreError):
                return
            if self.progress is not None:
                self.progress.add_events(name, fresh)

    def _fail(self, api: CloudFormationApi, outcome: StackOutcome, fallback: str, *, status: str | None = None) -> None:
        self._poll_final(api, outcome.name)
        tracker = self._trackers.get(outcome.name)
        causes = tracker.root_causes() if tracker else []
        outcome.result = FAILED
        outcome.root_cause = causes[0] if causes else RootCause(outcome.name, outcome.name,
                                                                "AWS::CloudFormation::Stack", fallback)
        outcome.error = outcome.root_cause.reason
        if status is not None:  # the waiter's final answer: how this very operation ended
            outcome.stack_status = status
            return
        try:
            outcome.stack_status = (api.describe_stack(outcome.name) or {}).get("StackStatus")
        except (ClientError, BotoCoreError):
            pass

    def _finish(self, outcome: StackOutcome) -> StackOutcome:
        outcome.finished_seq = self._next_seq()
        self._status(outcome.name, outcome.result)
        return outcome


# Settled states whose template is what runs (a failed update's rollback restored the old one).
_SETTLED = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}


def unchanged_preview(api: CloudFormationApi, spec: StackSpec, stacks: dict[str, dict | None],
                      ctx: ChangeSetContext) -> StackPreview | None:
    """A no-change preview without creating a change set, when that is certain: the stack is
    settled, runs exactly this template with these tags and no rollback triggers are asked, and
    it was last updated after every stack it reads values from (so the SSM values it resolved
    are current). None when a change set must decide."""
    stack = stacks.get(spec.name)
    if not stack or stack.get("StackStatus") not in _SETTLED or spec.name in ctx.rollback_configurations:
        return None
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags") or []}
    if any(tags.get(t["Key"]) != t["Value"] for t in ctx.tags):
        return None
    updated = stack.get("LastUpdatedTime") or stack.get("CreationTime")
    for dep in spec.dependencies:
        upstream = stacks.get(dep) or api.describe_stack(dep)
        if upstream is None or updated is None:
            return None
        if (upstream.get("LastUpdatedTime") or upstream.get("CreationTime")) > updated:
            return None
    old = template_as_dict(api.get_template(spec.name))
    if old != spec.template:
        return None
    return StackPreview(spec, "UPDATE", no_changes=True, existing_status=stack["StackStatus"], old_template=old)


def _error_text(exc: BaseException) -> str:
    """One line: 'Code: Message' for API errors, the first line otherwise."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {' '.join(str(err.get('Message', exc)).split())}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if isinstance(exc, ResponseParserError):
        return f"unreadable answer from the CloudFormation endpoint (HTTP 500?): {text}"
    return text


def _outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", []) or []}


def _first_stack_reason(response: dict) -> str | None:
    for stack in response.get("Stacks", []):
        if stack.get("StackStatusReason"):
            return stack["StackStatusReason"]
    return None


def _first_stack_status(response: dict) -> str | None:
    for stack in response.get("Stacks", []):
        if stack.get("StackStatus"):
            return stack["StackStatus"]
    return None
