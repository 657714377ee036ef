"""Benchmark: a multi-stack deploy against moto, stacks in parallel vs forced serial (--max-parallel 1).

Starts its own moto server, synthesizes examples/express-postgres once (network, data, edge,
app-blue, observability: data and edge run side by side, then app-blue and observability), and
for each round resets moto and runs the deploy engine (change sets + execution) twice: with
`max_parallel=4` and with `max_parallel=1`. Prints the median wall times and their ratio.

moto answers every call at once, so the plain figures measure the engine's own overhead and what
overlapping API round trips buys (about nothing: moto serialises the work). Real CloudFormation
spends minutes per stack waiting; the second scenario models that by holding each stack's
completion wait for --stack-seconds (default 0.5 s) before asking moto, so the DAG decides:
3 waves (network | data, edge | app-blue, observability) instead of 5 stacks in a row.

    .venv/bin/python bench/deploy.py [--rounds 5] [--stack-seconds 0.5]
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--stack-seconds", type=float, default=0.5,
                        help="simulated CloudFormation time per stack in the second scenario")
    args = parser.parse_args()

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ["HIVEMIND_HOME"] = tempfile.mkdtemp(prefix="hivemind-bench-")
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    logging.getLogger("moto").setLevel(logging.ERROR)  # "No Moto CloudFormation support for ..." per run
    warnings.simplefilter("ignore")

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1")

    from rich.console import Console

    from hivemind.deploy import ChangeSetContext, DeployEngine, StackSpec
    import threading

    from hivemind.deploy.cfn import CloudFormationApi

    class SlowStacks(CloudFormationApi):
        """A stack takes `delay` seconds to finish, as (much faster than) real CloudFormation."""

        delay = 0.0

        def wait_stack(self, name, change_set_type):
            time.sleep(self.delay)
            super().wait_stack(name, change_set_type)

    def factory_for(delay: float):
        local = threading.local()

        def factory():
            if getattr(local, "api", None) is None:
                local.api = SlowStacks(plan.region, waiter_delays=(0.05, 0.05))
                local.api.delay = delay
            return local.api

        return factory
    from hivemind.cli.progress import DeployProgress
    from hivemind.render.options import ArtifactRef, RenderOptions
    from hivemind.synth import synthesize
    from hivemind.workflows.plan import build_plan

    repo = Path(tempfile.mkdtemp()) / "express-postgres"
    shutil.copytree(ROOT / "examples" / "express-postgres", repo)
    plan = build_plan(repo, stage="stage-1", write=False, use_llm=False).plan
    started = time.perf_counter()
    synth = synthesize(plan, options=RenderOptions(artifacts={"blue": ArtifactRef("bench-artifacts", "app.tgz", "0" * 64)}),
                       outdir=Path(tempfile.mkdtemp()) / "cdk.out", checks=False)
    synth_s = time.perf_counter() - started
    specs = [StackSpec(s.name, s.template, tuple(s.dependencies)) for s in synth.stacks]
    quiet = Console(file=open(os.devnull, "w"))

    def reset() -> None:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()

    def deploy_once(max_parallel: int, delay: float = 0.0) -> float:
        reset()
        engine = DeployEngine(
            factory_for(delay),
            ChangeSetContext(plan.name, plan.stage), region=plan.region, max_parallel=max_parallel,
            progress=DeployProgress([s.name for s in specs], quiet), poll_interval=0.05,
        )
        t0 = time.perf_counter()
        result = engine.execute(engine.preview(specs))
        elapsed = time.perf_counter() - t0
        if not result.ok:
            raise SystemExit(f"deploy failed on moto: {result.error_line()}")
        return elapsed

    deploy_once(args.parallel)  # warm-up: moto's first CloudFormation call loads its models
    print(f"stacks: {len(specs)} ({', '.join(x.name.removeprefix(plan.name + '-') for x in specs)}); "
          f"synth once {synth_s:.1f}s (not timed below)")
    for label, delay in (("moto as is", 0.0), (f"{args.stack_seconds}s per stack (simulated)", args.stack_seconds)):
        parallel, serial = [], []
        for _ in range(args.rounds):
            parallel.append(deploy_once(args.parallel, delay))
            serial.append(deploy_once(1, delay))
        p, s = statistics.median(parallel), statistics.median(serial)
        print(f"[{label}]")
        print(f"  parallel (max_parallel={args.parallel}): median {p:.2f}s over {args.rounds} rounds "
              f"(min {min(parallel):.2f}s, max {max(parallel):.2f}s)")
        print(f"  serial   (max_parallel=1): median {s:.2f}s over {args.rounds} rounds "
              f"(min {min(serial):.2f}s, max {max(serial):.2f}s)")
        print(f"  serial / parallel: {s / p:.2f}x")
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
