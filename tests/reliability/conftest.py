"""Fixtures for the reliability tests: plans, an in-process CLI, separate HIVEMIND_HOMEs (two
"machines"), and lock-taking subprocesses that each run with their own home."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hivemind.plan.models import DeploymentPlan

REGION = "us-east-1"


@pytest.fixture
def make_plan():
    def make(name: str = "orders-api", **extra) -> DeploymentPlan:
        data = {"name": name, "services": [{"name": "web", "runtime": "node", "port": 3000}]}
        data.update(extra)
        return DeploymentPlan.model_validate(data)

    return make



@pytest.fixture
def homes(tmp_path, monkeypatch):
    """Two machines' HIVEMIND_HOMEs; `homes.use("a")` makes this process act as that machine."""
    class Homes:
        paths = {name: tmp_path / f"home-{name}" for name in ("a", "b")}

        def use(self, name: str) -> Path:
            monkeypatch.setenv("HIVEMIND_HOME", str(self.paths[name]))
            return self.paths[name]

    for path in Homes.paths.values():
        path.mkdir()
    return Homes()


@pytest.fixture
def bootstrapped(aws):
    """The region's bootstrap stack (the lease's bucket) made once up front, so subprocesses do not
    each synthesize its template."""
    from hivemind.artifact.bootstrap import ensure_bootstrap

    return ensure_bootstrap(REGION)


_LOCKER = textwrap.dedent("""
    import json, sys
    from hivemind.state import DeploymentLocked, deployment_lock
    args = json.loads(sys.argv[1])
    if args.get("gate"):
        sys.stdin.readline()                       # start together with the other runner
    try:
        with deployment_lock(args["id"], region=args["region"], command=args["command"], wait=args["wait"],
                             ttl=args["ttl"], poll=0.05,
                             on_wait=lambda line: print("WAITING " + line, flush=True)) as lease:
            print("HELD " + json.dumps(lease.owner), flush=True)
            sys.stdin.readline()                   # hold until the test says so (or kills us)
    except DeploymentLocked as exc:
        print("REFUSED " + str(exc), flush=True)
    print("DONE", flush=True)
""")


class Locker:
    """A hivemind process with its own HIVEMIND_HOME taking a deployment's lock."""

    def __init__(self, home: Path, *, deployment_id: str, command: str, wait: float, ttl: float, gate: bool):
        env = dict(os.environ, HIVEMIND_HOME=str(home))
        args = {"id": deployment_id, "region": REGION, "command": command, "wait": wait, "ttl": ttl, "gate": gate}
        self.proc = subprocess.Popen([sys.executable, "-c", _LOCKER, json.dumps(args)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def go(self) -> None:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def line(self) -> str:
        line = self.proc.stdout.readline()
        assert line, f"locker exited: {self.proc.stderr.read()}"
        return line.rstrip("\n")

    def release(self) -> str:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self.line()


@pytest.fixture
def locker():
    started: list[Locker] = []

    def start(home: Path, *, deployment_id: str = "orders-api", command: str = "deploy", wait: float = 0.0,
              ttl: float = 30.0, gate: bool = False) -> Locker:
        runner = Locker(home, deployment_id=deployment_id, command=command, wait=wait, ttl=ttl, gate=gate)
        started.append(runner)
        return runner

    yield start
    for runner in started:
        if runner.proc.poll() is None:
            runner.proc.kill()
        runner.proc.wait(timeout=30)
        for stream in (runner.proc.stdin, runner.proc.stdout, runner.proc.stderr):
            stream.close()
