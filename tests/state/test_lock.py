"""The local layer of the lock (flock, remote=False): two commands on one machine cannot act on one
deployment at once; a dead holder's lock is reclaimed. The AWS lease: tests/reliability/test_lease.py."""
from __future__ import annotations

import json
import os
import re
import signal

import pytest

from hivemind.paths import deployment_dir
from hivemind.state import DeploymentLocked, deployment_lock, locked_elsewhere


def test_second_process_is_refused_with_holder_pid(lock_holder):
    holder = lock_holder("orders-api")
    assert locked_elsewhere("orders-api")
    with pytest.raises(DeploymentLocked) as err:
        with deployment_lock("orders-api", remote=False):
            pytest.fail("entered a lock another process holds")
    message = str(err.value)
    assert message.startswith("deployment 'orders-api' is locked by another hivemind command")
    assert re.search(rf"\(pid {holder.pid} since \d{{4}}-\d\d-\d\dT", message)
    assert err.value.exit_code == 2


def test_lock_of_a_killed_holder_is_reclaimed(lock_holder):
    holder = lock_holder("orders-api")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    # The dead holder's pid is still written in the lock file: stale, and must not block us.
    assert json.loads((deployment_dir("orders-api") / "lock").read_text())["pid"] == holder.pid
    assert not locked_elsewhere("orders-api")
    with deployment_lock("orders-api", remote=False):
        assert json.loads((deployment_dir("orders-api") / "lock").read_text())["pid"] == os.getpid()


def test_other_deployments_are_not_blocked(lock_holder):
    lock_holder("orders-api")
    with deployment_lock("billing-api", remote=False):
        assert not locked_elsewhere("billing-api")


def test_reentrant_within_one_process_and_released_after():
    with deployment_lock("orders-api", remote=False):
        with deployment_lock("orders-api", remote=False):  # a workflow step re-taking the lock its caller holds
            pass
        assert not locked_elsewhere("orders-api")  # we hold it ourselves: not "elsewhere"
    # Released: a fresh process-level acquisition works and the file no longer names a holder.
    assert (deployment_dir("orders-api") / "lock").read_text() == ""
    with deployment_lock("orders-api", remote=False):
        pass


def test_lock_released_when_the_block_raises():
    with pytest.raises(RuntimeError):
        with deployment_lock("orders-api", remote=False):
            raise RuntimeError("deploy failed")
    with deployment_lock("orders-api", remote=False):
        pass


def test_a_second_command_on_this_machine_waits_for_the_first(lock_holder):
    holder = lock_holder("orders-api")
    told: list[str] = []

    def on_wait(line: str) -> None:  # called once the wait starts: let the holder finish now
        told.append(line)
        holder.stdin.close()

    with deployment_lock("orders-api", remote=False, wait=60, on_wait=on_wait):
        assert json.loads((deployment_dir("orders-api") / "lock").read_text())["pid"] == os.getpid()
    assert len(told) == 1 and told[0].startswith("waiting for the lock of 'orders-api', held on this machine by "
                                                 "another hivemind command `hivemind deploy` (pid ")


@pytest.mark.parametrize("text,seconds", [("90", 90), ("90s", 90), ("10m", 600), ("1h", 3600), ("1m30s", 90),
                                          ("0", 0), (15, 15)])
def test_wait_lock_durations(text, seconds):
    from hivemind.state import parse_wait

    assert parse_wait(text) == seconds


@pytest.mark.parametrize("text", ["soon", "10 minutes", "-5", "5x", "m"])
def test_a_bad_wait_lock_is_one_line(text):
    from hivemind.errors import HivemindError

    with pytest.raises(HivemindError, match=r"^--wait-lock"):
        with deployment_lock("orders-api", remote=False, wait=text):
            pytest.fail("took the lock with a bad --wait-lock")
