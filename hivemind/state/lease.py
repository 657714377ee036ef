"""The lock in AWS: a lease on one deployment, so laptops and CI runners exclude each other.

One object per deployment, `locks/<id>.json`, in the region's HiveMind artifact bucket (the
`hivemind-bootstrap` stack), written only with S3 conditional writes:

  take a free key       PutObject If-None-Match: *        (412 if someone else just took it)
  take over / heartbeat PutObject If-Match: <etag read>   (412 if it moved since we read it)
  release, break        PutObject If-Match: <our etag>, body marked "released"

Why S3 conditional writes and not a DynamoDB conditional put: the bucket already exists in every
region HiveMind deploys to (a table would be one more resource in the bootstrap stack, a stack
update on every existing account and one more service to grant); S3 conditional writes are strongly
consistent compare-and-swap on real S3 (If-None-Match since 2024-08, If-Match since 2024-11, the
mechanism Terraform's S3 backend moved its lock to); and the expiry is judged on S3's clock (the
object's LastModified against the response's Date header), so a machine whose clock is off can
neither steal a live lease nor keep a dead one. Releasing is a conditional overwrite rather than a
delete (conditional deletes are not available everywhere and a versioned bucket would leave delete
markers); the bucket's lifecycle rule expires the old versions every heartbeat leaves behind.

Lease semantics: the holder's owner record (who, host, command, pid, since) is in the body; the
holder heartbeats from a daemon thread every ttl/4; the lease is expired when S3 last saw a write
more than `ttl` (the holder's, stored in the body) seconds ago, or when it is marked released. An
expired lease is taken over with If-Match on the etag that was read, so of two machines racing for
it exactly one wins. A heartbeat answered 412 means the lease was broken (`hivemind unlock
--force`) or taken over: the lease is then `lost` and the holder must stop writing state.
moto 5.2.5 honours If-None-Match and If-Match on PutObject (412 PreconditionFailed), also in a
versioned bucket, and updates LastModified on every write.
"""
from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError

from ..aws import AwsError, aws_errors, client
from ..errors import HivemindError

log = logging.getLogger(__name__)

FORMAT = 1
LOCK_PREFIX = "locks/"
# A dead holder blocks others for at most this long after its last heartbeat (`hivemind unlock
# --force` breaks it at once). HIVEMIND_LEASE_TTL overrides the default (seconds).
DEFAULT_TTL = 120.0
DEFAULT_POLL = 2.0
# PreconditionFailed (412) is "it moved"; ConditionalRequestConflict (409) is S3's answer to two
# conditional writes of one key at the same moment: both mean "read again".
_CONTENTION = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class DeploymentLocked(HivemindError):
    """Another hivemind command (on this machine or another) is acting on this deployment."""


def default_ttl() -> float:
    raw = os.environ.get("HIVEMIND_LEASE_TTL", "")
    try:
        value = float(raw) if raw else DEFAULT_TTL
    except ValueError:
        raise HivemindError(f"HIVEMIND_LEASE_TTL must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise HivemindError("HIVEMIND_LEASE_TTL must be positive")
    return value


def lease_key(deployment_id: str) -> str:
    return f"{LOCK_PREFIX}{deployment_id}.json"


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still name something
        return os.environ.get("USER") or f"uid {os.getuid()}"


@dataclass(frozen=True)
class LeaseInfo:
    """A lease object as read from S3."""

    deployment_id: str
    token: str
    who: str
    host: str
    command: str
    pid: int
    since: str
    ttl: float
    released: bool
    etag: str
    age: float  # seconds since S3 last saw a write (heartbeat), on S3's clock
    broken_by: str | None = None
    beat: int = 0

    @property
    def expired(self) -> bool:
        return self.released or self.age > self.ttl

    def describe(self) -> str:
        what = f"`hivemind {self.command}`" if self.command else "a hivemind command"
        return f"{what} run by {self.who} on {self.host} (pid {self.pid}) since {self.since}"


@contextmanager
def _aws(action: str) -> Iterator[None]:
    """aws_errors, plus a connection reset mid-answer (botocore's HTTPClientError, which
    aws_errors does not translate yet) as the same one-line AwsError."""
    try:
        with aws_errors(action):
            yield
    except HTTPClientError as exc:
        raise AwsError(f"{action}: cannot reach AWS endpoint ({exc.__class__.__name__}: {exc})") from None


def _error_code(exc: ClientError) -> str:
    err = exc.response.get("Error", {})
    return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _server_age(response: dict) -> float:
    modified = response.get("LastModified")
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        now = parsedate_to_datetime(date) if date else datetime.now(timezone.utc)
    except (TypeError, ValueError):
        now = datetime.now(timezone.utc)
    if modified is None:
        return 0.0
    # "GMT" parses aware, "-0000" naive: both are UTC.
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    modified = modified if modified.tzinfo else modified.replace(tzinfo=timezone.utc)
    return max(0.0, (now - modified).total_seconds())


def find_lock_bucket(region: str, *, create: bool) -> str | None:
    """The bucket holding the leases: the bootstrap bucket. With `create`, a region that has none
    is bootstrapped (the command is about to change AWS there anyway); an existing bootstrap
    stack is used as it is (what-if and status never update it)."""
    from ..artifact.bootstrap import ensure_bootstrap, find_bootstrap_bucket

    bucket = find_bootstrap_bucket(region)
    if bucket is None and create:
        bucket = ensure_bootstrap(region)
    return bucket


def _read(s3, bucket: str, deployment_id: str) -> LeaseInfo | None:
    try:
        response = s3.get_object(Bucket=bucket, Key=lease_key(deployment_id))
    except ClientError as exc:
        if _error_code(exc) in ("NoSuchKey", "404"):
            return None
        raise
    raw = response["Body"].read()
    try:
        body = json.loads(raw.decode("utf-8"))
        return _info(deployment_id, body, response)
    except (ValueError, TypeError, AttributeError):
        # Not ours, truncated or hand-edited: a lease nobody can own. Read as released, so the next
        # taker replaces it (with If-Match on its etag, like any takeover).
        return _info(deployment_id, {"released": True}, response)


def _info(deployment_id: str, body: dict, response: dict) -> LeaseInfo:
    return LeaseInfo(
        deployment_id=deployment_id, token=str(body.get("token", "")), who=str(body.get("who", "?")),
        host=str(body.get("host", "?")), command=str(body.get("command", "")), pid=int(body.get("pid", 0) or 0),
        since=str(body.get("since", "?")), ttl=float(body.get("ttl", DEFAULT_TTL) or DEFAULT_TTL),
        released=bool(body.get("released", False)), etag=response["ETag"], age=_server_age(response),
        broken_by=body.get("broken_by"), beat=int(body.get("beat", 0) or 0),
    )


def read_lease(deployment_id: str, region: str) -> LeaseInfo | None:
    """The deployment's lease as stored (None if the region has no bootstrap bucket or no lease).
    Read-only: never creates anything."""
    with _aws(f"reading the lock of '{deployment_id}' in {region}"):
        bucket = find_lock_bucket(region, create=False)
        if bucket is None:
            return None
        return _read(client("s3", region), bucket, deployment_id)


def live_lease(deployment_id: str, region: str) -> LeaseInfo | None:
    """The lease if a command holds it now (not released, not expired), else None."""
    info = read_lease(deployment_id, region)
    return info if info is not None and not info.expired else None


def locked_message(deployment_id: str, holder: LeaseInfo, waited: float = 0.0) -> str:
    waited_text = f" (waited {waited:.0f} s)" if waited >= 1 else ""
    return (f"deployment '{deployment_id}' is locked by {holder.describe()}{waited_text}; wait with --wait-lock, "
            f"or if that command is dead: `hivemind unlock {deployment_id} --force` (the lock also expires "
            f"{holder.ttl:.0f} s after its last heartbeat)")


class Lease:
    """A held lease: heartbeats in a daemon thread until `release()`."""

    def __init__(self, deployment_id: str, region: str, bucket: str, s3, body: dict, etag: str, *,
                 heartbeat_every: float):
        self.deployment_id, self.region, self.bucket = deployment_id, region, bucket
        self._s3, self._body, self._etag = s3, body, etag
        self._io = threading.Lock()      # one conditional write at a time (heartbeat vs release)
        self._stop = threading.Event()
        self.lost_reason: str | None = None
        self.heartbeat_every = heartbeat_every
        self._thread = threading.Thread(target=self._beat_loop, name=f"hm-lease-{deployment_id}", daemon=True)
        self._thread.start()

    # -- what the holder may ask --
    @property
    def token(self) -> str:
        return self._body["token"]

    @property
    def owner(self) -> dict:
        return {k: self._body[k] for k in ("who", "host", "command", "pid", "since")}

    @property
    def lost(self) -> bool:
        return self.lost_reason is not None

    def check(self) -> None:
        """Raise DeploymentLocked if the lease was broken or taken over since we took it."""
        if self.lost_reason:
            raise DeploymentLocked(self.lost_reason)

    # -- heartbeat --
    def _put(self, body: dict) -> bool:
        """One conditional write over our last etag; False if the object moved (lease lost)."""
        try:
            response = self._s3.put_object(
                Bucket=self.bucket, Key=lease_key(self.deployment_id), IfMatch=self._etag,
                Body=json.dumps(body, sort_keys=True).encode(), ContentType="application/json")
        except ClientError as exc:
            if _error_code(exc) in _CONTENTION:
                return False
            raise
        self._etag, self._body = response["ETag"], body
        return True

    def beat(self) -> None:
        """Renew the lease now (the daemon thread calls this every `heartbeat_every` seconds)."""
        with self._io:
            if self.lost_reason or self._stop.is_set():
                return
            body = {**self._body, "heartbeat": _now_iso(), "beat": int(self._body.get("beat", 0)) + 1}
            if not self._put(body):
                self._mark_lost()

    def _mark_lost(self) -> None:
        try:
            now = _read(self._s3, self.bucket, self.deployment_id)
        except Exception:  # the reason is a courtesy; the loss itself is certain
            now = None
        if now is not None and now.broken_by:
            why = f"broken by {now.broken_by}"
        elif now is not None and not now.released:
            why = f"taken over by {now.describe()}"
        else:
            why = "released by someone else"
        self.lost_reason = (f"the lock of deployment '{self.deployment_id}' was lost ({why}); "
                            "this command stopped writing the deployment's state")
        log.warning(self.lost_reason)

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            try:
                self.beat()
            except Exception as exc:  # AWS unreachable for a while: the next beat tries again
                # info, not warning: a warning would print over the command's progress display.
                log.info("lock heartbeat for '%s' failed: %s", self.deployment_id, exc)
            if self.lost_reason:
                return

    # -- release --
    def release(self) -> None:
        """Stop the heartbeat and mark the lease released (only if it is still ours)."""
        self._stop.set()  # a beat under way finishes first (it holds _io): we then write over its etag
        with self._io:
            if self.lost_reason:
                return
            body = {**self._body, "released": True, "released_at": _now_iso()}
            try:
                with _aws(f"releasing the lock of '{self.deployment_id}'"):
                    self._put(body)
            except (AwsError, BotoCoreError) as exc:
                # Unreachable now: the lease expires by itself `ttl` after the last heartbeat. Never
                # raise here: it would hide the error the command is leaving with.
                log.warning("%s (the lock expires by itself %.0f s after its last heartbeat)", exc,
                            float(self._body.get("ttl", DEFAULT_TTL)))
            self.lost_reason = self.lost_reason or "released"


def acquire_lease(
    deployment_id: str, region: str, *, command: str, wait: float = 0.0, ttl: float | None = None,
    heartbeat_every: float | None = None, poll: float = DEFAULT_POLL,
    on_wait: Callable[[str], None] | None = None,
) -> Lease:
    """Take the deployment's lease in `region`, waiting up to `wait` seconds for a live holder;
    raise DeploymentLocked (naming the holder) when it stays held."""
    ttl = default_ttl() if ttl is None else float(ttl)
    if ttl <= 0:
        raise HivemindError("the lock's expiry must be positive")
    heartbeat_every = heartbeat_every or max(0.05, ttl / 4)
    deadline = time.monotonic() + max(0.0, wait)
    started = time.monotonic()
    told = False
    with _aws(f"taking the lock of '{deployment_id}' in {region}"):
        bucket = find_lock_bucket(region, create=True)
        s3 = client("s3", region)
        key = lease_key(deployment_id)
        while True:
            current = _read(s3, bucket, deployment_id)
            if current is None or current.expired:
                body = {
                    "format": FORMAT, "deployment": deployment_id, "token": uuid.uuid4().hex, "who": _who(),
                    "host": socket.gethostname(), "command": command, "pid": os.getpid(), "since": _now_iso(),
                    "heartbeat": _now_iso(), "beat": 0, "ttl": ttl, "released": False,
                }
                if current is not None and not current.released:
                    body["took_over_from"] = current.describe()
                condition = {"IfNoneMatch": "*"} if current is None else {"IfMatch": current.etag}
                try:
                    response = s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(body, sort_keys=True).encode(),
                                             ContentType="application/json", **condition)
                except ClientError as exc:
                    if _error_code(exc) not in _CONTENTION:
                        raise
                    continue  # someone else wrote it between our read and our write: read again
                return Lease(deployment_id, region, bucket, s3, body, response["ETag"],
                             heartbeat_every=heartbeat_every)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeploymentLocked(locked_message(deployment_id, current, time.monotonic() - started))
            if on_wait is not None and not told:
                on_wait(f"waiting up to {wait:.0f} s for the lock of '{deployment_id}', held by {current.describe()}")
                told = True
            time.sleep(min(poll, remaining))


def break_lease(deployment_id: str, region: str, *, expected_etag: str | None = None) -> LeaseInfo | None:
    """Mark the lease released whoever holds it (`hivemind unlock --force`). With
    `expected_etag`, only if it is still the lease that was shown to the user (not a newer one
    taken since). Returns the lease that was broken, or None if there was none."""
    with _aws(f"breaking the lock of '{deployment_id}' in {region}"):
        bucket = find_lock_bucket(region, create=False)
        if bucket is None:
            return None
        s3 = client("s3", region)
        current = _read(s3, bucket, deployment_id)
        if current is None:
            return None
        if expected_etag is not None and current.etag != expected_etag:
            raise DeploymentLocked(
                f"the lock of '{deployment_id}' changed since it was shown (now held by {current.describe()}); "
                "run `hivemind unlock` again")
        body = {"format": FORMAT, "deployment": deployment_id, "token": current.token, "who": current.who,
                "host": current.host, "command": current.command, "pid": current.pid, "since": current.since,
                "ttl": current.ttl, "released": True, "released_at": _now_iso(),
                "broken_by": f"{_who()} on {socket.gethostname()} at {_now_iso()}"}
        try:
            s3.put_object(Bucket=bucket, Key=lease_key(deployment_id), IfMatch=current.etag,
                          Body=json.dumps(body, sort_keys=True).encode(), ContentType="application/json")
        except ClientError as exc:
            if _error_code(exc) in _CONTENTION:
                raise DeploymentLocked(f"the lock of '{deployment_id}' changed while breaking it; "
                                       "run `hivemind unlock` again") from None
            raise
        return current
