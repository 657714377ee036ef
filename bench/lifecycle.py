"""Benchmark: the lifecycle's wall time against its critical path, on moto with simulated
CloudFormation latencies.

Scenarios (examples/express-postgres, stage-1): first deploy, no-op deploy, blue-green update
(--keep-previous, so the update is "idle colour create + edge update"), rollback (one edge
update). moto finishes each stack inside the API call, so every stack's completion wait is held
for the time real CloudFormation would take for the resources that change in it, scaled by
--scale (seconds of bench per minute of AWS; default 1 s per minute).

Latencies (typical AWS figures, as given in issue 8; not measured here): RDS instance create about
8 min, ALB create about 3 min, Auto Scaling group with signals about 4 min, a listener update
about 30 s; other resources (VPC pieces, security groups, IAM, SSM, dashboards) about 20 s to
create and 5 s to change; deletions take a third of a create. A stack takes the longest of the
resources that change in it (CloudFormation works on independent resources in parallel).

The critical path of a scenario is computed from the same model: the longest chain of stack
times through the stack DAG. Printed side by side with the wall time and their ratio; targets:
update <= 1.15 x its critical path, rollback <= 1.15 x one edge update and <= 15 % of the
update, a no-op deploy <= 25 % of a first deploy (plain moto, no simulated latency).

    .venv/bin/python bench/lifecycle.py [--scale 1.0]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NAME = "express-postgres"

# Minutes of real CloudFormation time per resource type: (create, update).
MINUTES = {
    "AWS::RDS::DBInstance": (8.0, 6.0),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": (3.0, 0.5),
    "AWS::AutoScaling::AutoScalingGroup": (4.0, 4.0),
    "AWS::ElasticLoadBalancingV2::Listener": (0.5, 0.5),
    "AWS::ElasticLoadBalancingV2::ListenerRule": (0.5, 0.5),
}
OTHER = (20 / 60, 5 / 60)


def stack_minutes(old: dict, new: dict) -> float:
    """The longest change in a stack, in AWS minutes (deleting a whole stack: new == {})."""
    from hivemind.deploy.changeset import _template_diff

    longest = 0.0
    for change in _template_diff(old, new):
        create, update = MINUTES.get(change.resource_type, OTHER)
        minutes = {"Add": create, "Modify": update, "Remove": create / 3}[change.action]
        longest = max(longest, minutes)
    return longest


class Recorder:
    """Holds each stack's completion for its simulated time; records (stack, seconds)."""

    def __init__(self, scale: float):
        self.scale = scale
        self.lock = threading.Lock()
        self.templates: dict[str, dict] = {}
        self.stacks: list[tuple[str, float]] = []
        self.enabled = True

    def hold(self, name: str, old: dict, new: dict) -> None:
        seconds = stack_minutes(old, new) * self.scale if self.enabled else 0.0
        with self.lock:
            self.stacks.append((name, seconds))
        time.sleep(seconds)


def install(recorder: Recorder) -> None:
    """Wrap the CloudFormation access layer (the only place the engine waits on AWS)."""
    from hivemind.deploy import cfn
    from hivemind.deploy.changeset import template_as_dict

    base = cfn.CloudFormationApi

    class Simulated(base):
        def create_change_set(self, **kwargs):
            result = super().create_change_set(**kwargs)
            recorder.templates[result["Id"]] = json.loads(kwargs.get("TemplateBody") or "{}")
            return result

        def execute_change_set(self, change_set_id, stack_name, token=None):
            stack = self.describe_stack(stack_name)
            exists = stack and stack["StackStatus"] != "REVIEW_IN_PROGRESS"
            self._old = template_as_dict(self.get_template(stack_name)) if exists else {}
            self._new = recorder.templates.get(change_set_id, {})
            super().execute_change_set(change_set_id, stack_name, token)

        def wait_stack(self, name, change_set_type):
            recorder.hold(name, getattr(self, "_old", {}), getattr(self, "_new", {}))
            super().wait_stack(name, change_set_type)

        def delete_stack(self, name):
            stack = self.describe_stack(name)
            old = template_as_dict(self.get_template(name)) if stack else {}
            super().delete_stack(name)
            if stack and stack["StackStatus"] != "REVIEW_IN_PROGRESS":
                recorder.hold(name, old, {})

    cfn.CloudFormationApi = Simulated


# The stack DAG (DESIGN.md, "Stacks"): what each stack waits for within one wave of change sets.
DEPENDS = {"network": (), "data": ("network",), "edge": ("network",), "app-blue": ("network", "data", "edge"),
           "app-green": ("network", "data", "edge"), "observability": ("network", "data", "edge")}


def critical_path(stacks: list[tuple[str, float]], *, sequential: tuple[str, ...] = ()) -> float:
    """The longest chain of recorded stack times through the DAG; `sequential` stacks (a shift's
    edge update after the idle colour) are waves of their own, added after it."""
    times: dict[str, float] = {}
    for name, seconds in stacks:
        kind = name.removeprefix(f"{NAME}-")
        if kind in sequential:
            continue
        times[kind] = times.get(kind, 0.0) + seconds
    finish: dict[str, float] = {}

    def done(kind: str) -> float:
        if kind not in finish:
            finish[kind] = times.get(kind, 0.0) + max((done(d) for d in DEPENDS.get(kind, ())), default=0.0)
        return finish[kind]

    wave = max((done(k) for k in times), default=0.0)
    later = sum(seconds for name, seconds in stacks if name.removeprefix(f"{NAME}-") in sequential)
    return wave + later


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="bench seconds per minute of CloudFormation time")
    args = parser.parse_args()

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ["HIVEMIND_HOME"] = tempfile.mkdtemp(prefix="hivemind-bench-")
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="bench",
                      AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    recorder = Recorder(args.scale)
    install(recorder)

    from hivemind.workflows.deploy import deploy
    from hivemind.workflows.rollback import rollback
    from hivemind.workflows.rollout import Tuning
    from hivemind.workflows.ui import QuietUI
    from hivemind.workflows.update import update

    fast = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}
    tuning = Tuning(4, (0.01, 0.01), 0.01)
    work = Path(tempfile.mkdtemp(prefix="hivemind-bench-repo-")) / NAME
    shutil.copytree(ROOT / "examples" / NAME, work)

    def reset() -> None:
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")).read()
        shutil.rmtree(os.environ["HIVEMIND_HOME"], ignore_errors=True)

    def timed(label: str, call, sequential: tuple[str, ...] = ()) -> tuple[float, float]:
        recorder.stacks.clear()
        started = time.perf_counter()
        call()
        return time.perf_counter() - started, critical_path(recorder.stacks, sequential=sequential)

    rows = []
    # Plain moto (no simulated latency): the no-op's share of a first deploy.
    recorder.enabled = False
    reset()
    plain_first, _ = timed("first", lambda: deploy(work, stage="stage-1", yes=True, ui=QuietUI(), **fast))
    plain_noop, _ = timed("no-op", lambda: deploy(work, yes=True, ui=QuietUI(), **fast))
    # Simulated CloudFormation latencies.
    recorder.enabled = True
    reset()
    first = timed("first", lambda: deploy(work, stage="stage-1", yes=True, ui=QuietUI(), **fast))
    server_js = work / "src" / "server.js"
    server_js.write_text(server_js.read_text() + "\n// bench change\n")
    upd = timed("update", lambda: update(NAME, work, bake=0, keep_previous=True, yes=True, ui=QuietUI(),
                                         tuning=tuning, healthy_timeout=2), sequential=("edge",))
    rb = timed("rollback", lambda: rollback(NAME, yes=True, ui=QuietUI(), tuning=tuning))
    edge_update = MINUTES["AWS::ElasticLoadBalancingV2::Listener"][1] * args.scale

    rows.append(("first deploy", first[0], first[1]))
    rows.append(("blue-green update", upd[0], upd[1]))
    rows.append(("rollback", rb[0], rb[1]))
    print(f"simulated CloudFormation: {args.scale:g} s per AWS minute")
    print(f"{'scenario':<20}{'wall s':>9}{'critical path s':>17}{'ratio':>8}")
    for label, wall, path in rows:
        print(f"{label:<20}{wall:>9.2f}{path:>17.2f}{wall / path if path else float('nan'):>8.2f}")
    print(f"{'rollback vs one edge update':<36}{rb[0]:>9.2f} vs {edge_update:.2f} s  ratio {rb[0] / edge_update:.2f} (target <= 1.15)")
    print(f"{'rollback vs update':<36}{rb[0]:>9.2f} vs {upd[0]:.2f} s  share {rb[0] / upd[0]:.1%} (target <= 15%)")
    print(f"{'no-op vs first deploy (plain moto)':<36}{plain_noop:>9.2f} vs {plain_first:.2f} s  share "
          f"{plain_noop / plain_first:.1%} (target <= 25%)")
    print(f"update target <= 1.15 x critical path: {upd[0] / upd[1]:.2f}")
    # HiveMind's own time (synth, checks, change sets, verification) does not grow with AWS's: at real
    # AWS latencies (x60 the bench's) the same overhead is a far smaller share of the critical path.
    real = 60.0 / args.scale
    for label, wall, path in rows:
        overhead = wall - path
        print(f"{label:<20} HiveMind overhead {overhead:6.2f} s; at AWS scale {path * real:7.0f} s critical path "
              f"-> ratio {(path * real + overhead) / (path * real):.3f}")
    from hivemind.state import load_state

    for op in load_state(NAME).operations[-2:]:
        print(f"{op.action}: " + ", ".join(f"{p.name} {p.seconds:.2f}s" for p in op.phases))
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
