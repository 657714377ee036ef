"""Fixtures for the state tests: plans, a lock-holding subprocess, an in-process CLI runner."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from hivemind.plan.models import DeploymentPlan


@pytest.fixture
def make_plan():
    def make(name: str = "orders-api", **extra) -> DeploymentPlan:
        data = {
            "name": name,
            "services": [{"name": "web", "runtime": "node", "port": 3000,
                          "env": {"NODE_ENV": "production"}}],
        }
        data.update(extra)
        return DeploymentPlan.model_validate(data)

    return make


_HOLDER = textwrap.dedent("""
    import sys
    from hivemind.state import deployment_lock
    with deployment_lock(sys.argv[1], remote=False, command="deploy"):
        print("locked", flush=True)
        sys.stdin.read()   # hold until the test closes our stdin (or kills us)
""")


@pytest.fixture
def lock_holder():
    """Start a separate hivemind process that holds a deployment's lock; yields a starter."""
    procs: list[subprocess.Popen] = []

    def start(deployment_id: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, deployment_id],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        )
        procs.append(proc)
        line = proc.stdout.readline()
        assert line.strip() == "locked", proc.stderr.read()
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
