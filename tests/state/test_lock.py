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
