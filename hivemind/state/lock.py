"""One command at a time per deployment, on this machine and across machines.

    with deployment_lock(deployment_id, *, region=None, command=None, wait=0.0, remote=True,
                         ttl=None, poll=None, on_wait=None) as lease:
        ...

Two layers, taken in this order and released in reverse:
1. a local `fcntl.flock` on `<deployment dir>/lock` (same machine, same HIVEMIND_HOME: instant,
   released by the kernel when its holder dies; the pid/time in the file only serve the message);
2. with `remote=True` (the default), the lease in AWS (hivemind.state.lease: an S3 object in the
   region's bootstrap bucket written with conditional writes, heartbeat from a daemon thread,
   expiry), so a laptop and a CI runner with separate homes exclude each other.

Keyword arguments:
- `region`: where the lease lives: the deployment's region (default: AWS_REGION /
  AWS_DEFAULT_REGION / us-east-1). A region with no bootstrap stack gets one (the command is about
  to change AWS there).
- `command`: what the holder is doing ("deploy", "destroy", ...), shown to whoever is refused
  (default: the CLI subcommand this process runs).
- `wait`: seconds to wait for a holder to finish (`--wait-lock 10m`: see `parse_wait`) before
  DeploymentLocked; 0 refuses at once. One deadline covers both layers.
- `remote`: False takes the local flock only. Say so explicitly for commands that change nothing
  in AWS (what-if), or that cannot reach AWS and will only write the local cache. If AWS cannot
  be reached with `remote=True`, AwsError is raised (one line) and nothing is held.
- `ttl`: lease expiry in seconds after the last heartbeat (default 120 s, or HIVEMIND_LEASE_TTL);
  the heartbeat runs every ttl/4.
- `poll`: seconds between attempts while waiting (default 2 s for the lease, 0.2 s locally).
- `on_wait`: called once with one line ("waiting up to ... held by ...") when waiting starts.

The block receives the Lease (or None with `remote=False`); `lease.check()` raises if the lease
was broken (`hivemind unlock --force`) or taken over, `save_state` refuses to write AWS for
a deployment whose lease this process lost, and every `Operation.phase` renews and checks it
first (a broken run stops before its next phase). Re-entrant within one process: an inner
`deployment_lock` on a deployment this process already holds joins the outer one as it is
(same lease or none), whatever its own arguments.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ..errors import HivemindError
from ..paths import deployment_dir
from .lease import DeploymentLocked, Lease, LeaseInfo, acquire_lease, live_lease

LOCK_FILENAME = "lock"
LOCAL_POLL = 0.2

__all__ = ["DeploymentLocked", "deployment_lock", "held_lease", "lease_held_elsewhere", "lock_held",
           "locked_elsewhere", "parse_wait"]

# Re-entrancy inside one process: a workflow holding the lock may call helpers that take it too.
_held: dict[str, int] = {}
_leases: dict[str, Lease | None] = {}
_held_guard = threading.Lock()

_WAIT_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")


def parse_wait(text: str | float | int | None) -> float:
    """'--wait-lock' values: 90, 90s, 10m, 1h, 1m30s -> seconds. One clear line when bad."""
    if text is None or text == "":
        return 0.0
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        raw = text.strip().lower()
        parts = _WAIT_PART.findall(raw)
        if not parts or "".join(n + u for n, u in parts) != raw:
            raise HivemindError(f"--wait-lock: {text!r} is not a duration (e.g. 90s, 10m, 1h)")
        seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1, "": 1}[u] for n, u in parts)
    if seconds < 0:
        raise HivemindError("--wait-lock must not be negative")
    return seconds


def _default_command() -> str:
    """The CLI subcommand this process runs (`hivemind deploy ...` -> "deploy"), else ""."""
    argv = sys.argv
    if len(argv) > 1 and Path(argv[0]).name in ("hivemind", "__main__.py") and not argv[1].startswith("-"):
        return argv[1]
    return ""


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    pid, since = info.get("pid"), info.get("since")
    if pid is None:
        return "another hivemind command"
    command = f" `hivemind {info['command']}`" if info.get("command") else ""
    return f"another hivemind command{command} (pid {pid} since {since})"


def _flock(fd: int, deployment_id: str, deadline: float, poll: float, on_wait) -> None:
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeploymentLocked(
                    f"deployment '{deployment_id}' is locked by {_holder(fd)}; wait for it to finish"
                ) from None
            if on_wait is not None and not told:
                on_wait(f"waiting for the lock of '{deployment_id}', held on this machine by {_holder(fd)}")
                told = True
            time.sleep(min(poll, remaining))


@contextmanager
def deployment_lock(
    deployment_id: str,
    *,
    region: str | None = None,
    command: str | None = None,
    wait: float | str = 0.0,
    remote: bool = True,
    ttl: float | None = None,
    poll: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Lease | None]:
    """Hold the deployment's lock for the block (see the module docstring); raise
    DeploymentLocked, naming the holder, if it stays taken for `wait` seconds."""
    with _held_guard:
        if _held.get(deployment_id):
            _held[deployment_id] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield _leases.get(deployment_id)
        finally:
            with _held_guard:
                _held[deployment_id] -= 1
        return

    wait_s = parse_wait(wait)
    command = command if command is not None else _default_command()
    deadline = time.monotonic() + wait_s
    path = deployment_dir(deployment_id) / LOCK_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _flock(fd, deployment_id, deadline, min(poll or LOCAL_POLL, LOCAL_POLL), on_wait)
        try:
            # We own it now; whatever pid is recorded is from a holder that has died (stale): overwrite.
            since = datetime.now(timezone.utc).isoformat(timespec="seconds")
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": since, "command": command}).encode(), 0)
            lease = None
            if remote:
                from ..aws import default_region

                lease = acquire_lease(
                    deployment_id, default_region(region), command=command or "", ttl=ttl,
                    wait=max(0.0, deadline - time.monotonic()), on_wait=on_wait,
                    **({"poll": poll} if poll else {}))
            with _held_guard:
                _held[deployment_id] = 1
                _leases[deployment_id] = lease
            try:
                yield lease
            finally:
                with _held_guard:
                    _held.pop(deployment_id, None)
                    _leases.pop(deployment_id, None)
                if lease is not None:
                    lease.release()
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held_lease(deployment_id: str) -> Lease | None:
    """The AWS lease this process holds on the deployment (None: not held, or local only)."""
    with _held_guard:
        return _leases.get(deployment_id)


def holds_lock(deployment_id: str) -> bool:
    with _held_guard:
        return bool(_held.get(deployment_id))


def locked_elsewhere(deployment_id: str) -> bool:
    """True while another process on this machine (this HIVEMIND_HOME) holds the deployment's lock."""
    with _held_guard:
        if _held.get(deployment_id):
            return False
    path = deployment_dir(deployment_id) / LOCK_FILENAME
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def lock_held(deployment_id: str) -> bool:
    """True while any command on this machine (this process or another) holds the local lock."""
    with _held_guard:
        if _held.get(deployment_id):
            return True
    return locked_elsewhere(deployment_id)


def lease_held_elsewhere(deployment_id: str, region: str) -> LeaseInfo | None:
    """The live AWS lease of a command in another process (any machine), or None. Read-only."""
    with _held_guard:
        if _held.get(deployment_id):
            return None  # this process holds the deployment: whatever lease exists is ours
    return live_lease(deployment_id, region)
