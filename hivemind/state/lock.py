"""One command at a time per deployment: an fcntl.flock on `<deployment dir>/lock`.

flock is released by the kernel when its holder dies, so a crashed command never leaves a lock
behind; the pid/time written into the file only serve the error message.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from ..errors import HivemindError
from ..paths import deployment_dir

LOCK_FILENAME = "lock"


class DeploymentLocked(HivemindError):
    """Another hivemind process is acting on this deployment."""


# Re-entrancy inside one process: a workflow holding the lock may call helpers that take it too.
_held: dict[str, int] = {}
_held_guard = threading.Lock()


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    pid, since = info.get("pid"), info.get("since")
    if pid is None:
        return "another hivemind command"
    return f"another hivemind command (pid {pid} since {since})"


@contextmanager
def deployment_lock(deployment_id: str) -> Iterator[None]:
    """Hold the deployment's lock for the block; raise DeploymentLocked at once if it is taken."""
    with _held_guard:
        if _held.get(deployment_id):
            _held[deployment_id] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[deployment_id] -= 1
        return

    path = deployment_dir(deployment_id) / LOCK_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeploymentLocked(
                f"deployment '{deployment_id}' is locked by {_holder(fd)}; wait for it to finish"
            ) from None
        # We own it now; whatever pid is recorded is from a holder that has died (stale): overwrite.
        since = datetime.now(timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": since}).encode(), 0)
        with _held_guard:
            _held[deployment_id] = 1
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(deployment_id, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def locked_elsewhere(deployment_id: str) -> bool:
    """True while another process holds the deployment's lock (a command is acting on it now)."""
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
    """True while any command (this process or another) holds the deployment's lock."""
    with _held_guard:
        if _held.get(deployment_id):
            return True
    return locked_elsewhere(deployment_id)
