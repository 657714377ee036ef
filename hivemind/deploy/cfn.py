"""A thin interface over the CloudFormation API: the engine talks to this, tests can replay it.

Each worker thread gets its own boto3 client; clients are made from one shared session under a
lock (creating clients is not thread-safe, using them is), which skips reloading the models.
Waiters are boto3's own acceptors, polled one attempt at a time so a Ctrl-C (the `cancel` event)
is noticed between polls instead of after an hour-long blocking wait.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, Iterator

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from ..aws import CLIENT_CONFIG

# Waiter timing: CloudFormation change sets take seconds to a minute, stacks with RDS up to ~40 min.
CHANGE_SET_DELAY, CHANGE_SET_MAX_ATTEMPTS = 3.0, 200
STACK_DELAY, STACK_MAX_ATTEMPTS = 5.0, 720


class WaitFailed(Exception):
    """A waiter hit a failure state or ran out of attempts; `response` is the last describe output."""

    def __init__(self, reason: str, response: dict | None):
        super().__init__(reason)
        self.reason = reason
        self.response = response or {}


class AwsUnavailable(Exception):
    """AWS answered nothing but errors for the whole error budget while a stack was being waited on."""


# Seconds of consecutive AWS errors a wait tolerates (HIVEMIND_AWS_ERROR_BUDGET to change it).
DEFAULT_ERROR_BUDGET = 300.0
_TRANSIENT_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                    "ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout", "SlowDown"}


def _transient_error(response: dict | None) -> str | None:
    """'503 Service Unavailable'-like text when the response is a throttling or server error."""
    if not response:
        return None
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    code = error.get("Code")
    if code in _TRANSIENT_CODES or (isinstance(status, int) and status >= 500):
        return f"{status or ''} {code or 'server error'}".strip()
    return None


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return _transient_error(exc.response) or str(exc)
    return exc.__class__.__name__


class Cancelled(Exception):
    """The caller asked to stop waiting (Ctrl-C in the main thread)."""


_sessions: dict[str, boto3.session.Session] = {}
_session_lock = threading.Lock()


def _new_client(region: str):
    with _session_lock:
        session = _sessions.get(region)
        if session is None:
            session = _sessions[region] = boto3.session.Session(region_name=region)
        return session.client("cloudformation", config=CLIENT_CONFIG)


def is_missing_stack(exc: ClientError) -> bool:
    err = exc.response.get("Error", {})
    return err.get("Code") == "ValidationError" and "does not exist" in err.get("Message", "")


class CloudFormationApi:
    """The CloudFormation calls the deploy engine makes, and nothing else."""

    def __init__(self, region: str, *, cancel: threading.Event | None = None,
                 waiter_delays: tuple[float, float] = (CHANGE_SET_DELAY, STACK_DELAY)):
        self.region = region
        self.client = _new_client(region)
        self._cancel = cancel or threading.Event()
        self._change_set_delay, self._stack_delay = waiter_delays
        self.error_budget = float(os.environ.get("HIVEMIND_AWS_ERROR_BUDGET") or DEFAULT_ERROR_BUDGET)
        # Told about each AWS error while waiting: (stack, one line), e.g. for the progress display.
        self.on_aws_error: Callable[[str, str], None] | None = None

    # --- stacks ---
    def describe_stack(self, name: str) -> dict | None:
        """The stack's description, or None when no such stack exists."""
        try:
            stacks = self.client.describe_stacks(StackName=name)["Stacks"]
        except ClientError as exc:
            if is_missing_stack(exc):
                return None
            raise
        return stacks[0] if stacks else None

    def get_template(self, name: str) -> dict | str:
        # boto3 parses JSON templates into dicts; YAML ones come back as text.
        return self.client.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]

    def stack_resources(self, name: str) -> list[dict]:
        paginator = self.client.get_paginator("list_stack_resources")
        return [r for page in paginator.paginate(StackName=name) for r in page["StackResourceSummaries"]]

    def delete_stack(self, name: str) -> None:
        self.client.delete_stack(StackName=name)
        self._wait("stack_delete_complete", {"StackName": name}, self._stack_delay, STACK_MAX_ATTEMPTS)

    def cancel_update(self, name: str) -> None:
        """Stop an update in progress: CloudFormation rolls the stack back to its last good state."""
        self.client.cancel_update_stack(StackName=name)

    def continue_update_rollback(self, name: str, skip_resources: tuple[str, ...] = ()) -> None:
        """Resume a rollback that failed (UPDATE_ROLLBACK_FAILED), skipping resources fixed by hand."""
        self.client.continue_update_rollback(
            StackName=name, **({"ResourcesToSkip": list(skip_resources)} if skip_resources else {}))
        self._wait("stack_rollback_complete", {"StackName": name}, self._stack_delay, STACK_MAX_ATTEMPTS)

    def iter_events(self, name: str) -> Iterator[dict]:
        """Stack events, newest first, fetched page by page only as far as the caller reads."""
        paginator = self.client.get_paginator("describe_stack_events")
        for page in paginator.paginate(StackName=name):
            yield from page["StackEvents"]

    # --- change sets ---
    def create_change_set(self, **kwargs: Any) -> dict:
        return self.client.create_change_set(**kwargs)

    def wait_change_set(self, change_set_id: str, stack_name: str) -> None:
        self._wait("change_set_create_complete", {"ChangeSetName": change_set_id, "StackName": stack_name},
                   self._change_set_delay, CHANGE_SET_MAX_ATTEMPTS)

    def describe_change_set(self, change_set_id: str, stack_name: str) -> dict:
        """The change set with every page of Changes merged into one list."""
        paginator = self.client.get_paginator("describe_change_set")
        merged: dict | None = None
        for page in paginator.paginate(ChangeSetName=change_set_id, StackName=stack_name):
            if merged is None:
                merged = {k: v for k, v in page.items() if k not in ("NextToken", "ResponseMetadata")}
                merged["Changes"] = list(page.get("Changes", []))
            else:
                merged["Changes"].extend(page.get("Changes", []))
        return merged or {"Changes": []}

    def delete_change_set(self, change_set_id: str, stack_name: str) -> None:
        self.client.delete_change_set(ChangeSetName=change_set_id, StackName=stack_name)

    def execute_change_set(self, change_set_id: str, stack_name: str, token: str | None = None) -> None:
        self.client.execute_change_set(ChangeSetName=change_set_id, StackName=stack_name,
                                       **({"ClientRequestToken": token} if token else {}))

    def wait_stack(self, name: str, change_set_type: str) -> None:
        waiter = "stack_create_complete" if change_set_type == "CREATE" else "stack_update_complete"
        self._wait(waiter, {"StackName": name}, self._stack_delay, STACK_MAX_ATTEMPTS)

    # --- waiting ---
    def _wait(self, waiter_name: str, params: dict, delay: float, max_attempts: int) -> None:
        """boto3's waiter acceptors, one attempt per call, sleeping on the cancel event in between.

        An AWS error while polling (throttling, 5xx, a dropped connection, after botocore's own
        retries) is not the stack's outcome: polling goes on, the `on_aws_error` callback hears
        about it, and only after `error_budget` seconds of nothing but errors does the wait give up
        (AwsUnavailable), leaving CloudFormation to finish what it started."""
        waiter = self.client.get_waiter(waiter_name)
        failing_since: float | None = None
        for _ in range(max_attempts):
            try:
                waiter.wait(**params, WaiterConfig={"Delay": 0, "MaxAttempts": 1})
                return
            except WaiterError as exc:
                reason = str(exc.kwargs.get("reason", exc))
                error = _transient_error(exc.last_response)
                if error is not None:
                    failing_since = self._note_error(failing_since, error, params.get("StackName", ""))
                elif "Max attempts exceeded" not in reason:
                    raise WaitFailed(reason, exc.last_response) from None
                else:
                    failing_since = None
            except (BotoCoreError, ClientError) as exc:
                if isinstance(exc, ClientError) and _transient_error(exc.response) is None:
                    raise
                failing_since = self._note_error(failing_since, _error_line(exc), params.get("StackName", ""))
            if self._cancel.wait(delay):
                raise Cancelled(waiter_name)
        raise WaitFailed(f"{waiter_name}: gave up after {max_attempts} checks", None)

    def _note_error(self, failing_since: float | None, error: str, stack: str) -> float:
        now = time.monotonic()
        failing_since = failing_since if failing_since is not None else now
        seconds = now - failing_since
        if self.on_aws_error is not None:
            self.on_aws_error(stack, f"AWS errors for {seconds:.0f} s: {error}, retrying")
        if seconds >= self.error_budget:
            raise AwsUnavailable(f"gave up after {seconds:.0f} s of AWS errors ({error}); CloudFormation goes on "
                                 f"with what it started: run `hivemind status` later")
        return failing_since


ApiFactory = Callable[[], CloudFormationApi]


def thread_local_factory(region: str, *, cancel: threading.Event | None = None,
                         waiter_delays: tuple[float, float] = (CHANGE_SET_DELAY, STACK_DELAY)) -> ApiFactory:
    """One CloudFormationApi per thread, created on first use in that thread."""
    local = threading.local()

    def factory() -> CloudFormationApi:
        api = getattr(local, "api", None)
        if api is None:
            api = local.api = CloudFormationApi(region, cancel=cancel, waiter_delays=waiter_delays)
        return api

    return factory
