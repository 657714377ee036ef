"""Fault matrix: each fault x each command, run as a real `hivemind` subprocess through the fault
proxy (tests/faultproxy.py) in front of a moto server. One line per pair: exit code, time to
finish or give up, and the state afterwards (the SSM head's revision and status, this machine's
state.json status).

A deployment `orders-api` (one edge stack, a completed state in SSM) is made once, straight on
moto; every run then goes through the proxy with one fault configured. `status ghost-app` is a
deployment that exists nowhere (it must say so, exit 2, and write nothing).

    .venv/bin/python bench/faults.py [--faults "none,outage 503"] [--commands "status,list"]

The lifecycle commands (deploy, update, rollback, destroy) can be added to COMMANDS as they land;
a command is an argv after `hivemind` plus an optional setup callable run before each fault.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

REGION = "us-east-1"
DEPLOYMENT = "orders-api"

FAULTS: dict[str, dict] = {
    "none": {},
    "throttle 30%": {"throttle": 0.3, "seed": 1},
    "503 30%": {"server_error": 0.3, "seed": 2},
    "reset 30%": {"reset": 0.3, "seed": 3},
    "latency 0.3s": {"latency": 0.3},
    "outage 503": {"outage": "503"},
    "outage reset": {"outage": "reset"},
}

COMMANDS: dict[str, list[str]] = {
    "status": ["status", DEPLOYMENT, "--json"],
    "status absent": ["status", "ghost-app"],
    "list": ["list", "--json"],
    "unlock": ["unlock", DEPLOYMENT],
    # Not a CLI command: take and release the deployment's lease, as every changing command does.
    # (The first one in a fresh account bootstraps the region: a CDK synth and a stack create.)
    "lock": ["-c", "import sys\nfrom hivemind.errors import HivemindError\nfrom hivemind.state import deployment_lock\n"
                   "try:\n"
                   f"    with deployment_lock({DEPLOYMENT!r}, region={REGION!r}, command='bench'):\n        pass\n"
                   "except HivemindError as exc:\n    sys.exit(f'error: {exc}')"],
}


def _state_after(moto_endpoint: str, home: Path) -> str:
    import boto3
    from botocore.exceptions import ClientError

    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=moto_endpoint)
    try:
        head = json.loads(ssm.get_parameter(Name=f"/hivemind/deployments/{DEPLOYMENT}/state")["Parameter"]["Value"])
        remote = f"ssm r{head.get('revision', 0)} {head['summary']['status']}"
    except ClientError:
        remote = "ssm none"
    ghost = ssm.get_parameters_by_path(Path="/hivemind/deployments/ghost-app", Recursive=True)["Parameters"]
    path = home / "deployments" / DEPLOYMENT / "state.json"
    try:
        local = json.loads(path.read_text())
        here = f"local r{local.get('revision', 0)} {local['status']}"
    except (OSError, ValueError, KeyError):
        here = "local none"
    return f"{remote}, {here}" + (", ghost WRITTEN" if ghost else "")


def _seed(moto_endpoint: str) -> None:
    import boto3

    from state.cfn_templates import edge_template, tags  # tests/state/cfn_templates.py
    from hivemind.plan.models import DeploymentPlan
    from hivemind.state import DeploymentState, DeploymentStatus, append_history, save_state

    os.environ["AWS_ENDPOINT_URL"] = moto_endpoint
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=f"{DEPLOYMENT}-edge", TemplateBody=edge_template(), Tags=tags(DEPLOYMENT))
    plan = DeploymentPlan.model_validate({"name": DEPLOYMENT, "services": [{"name": "web", "runtime": "node",
                                                                            "port": 3000}]})
    state = DeploymentState.new(plan)
    append_history(state, "deploy", status=DeploymentStatus.COMPLETED)
    save_state(state)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated fault names")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated command names")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a run is killed")
    args = parser.parse_args()
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = [f for f in faults if f not in FAULTS] + [c for c in commands if c not in COMMANDS]
    if unknown:
        print(f"unknown fault/command: {', '.join(unknown)}", file=sys.stderr)
        return 2

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    home = Path(tempfile.mkdtemp(prefix="hivemind-faults-"))
    os.environ.update(HIVEMIND_HOME=str(home), AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    for leaky in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        os.environ.pop(leaky, None)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    from moto.server import ThreadedMotoServer

    from faultproxy import FaultProxy

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_endpoint = f"http://{host}:{port}"
    _seed(moto_endpoint)
    proxy = FaultProxy(moto_endpoint).start()
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url)

    print(f"{'fault':<13} {'command':<14} {'exit':>4} {'time':>8}  state afterwards (proxy calls) | first stderr line")
    try:
        for fault in faults:
            for command in commands:
                proxy.configure(**FAULTS[fault])
                started = time.monotonic()
                try:
                    argv = COMMANDS[command]
                    argv = [sys.executable, *argv] if argv[0] == "-c" else [sys.executable, "-m", "hivemind", *argv]
                    proc = subprocess.run(argv, env=env,
                                          capture_output=True, text=True, timeout=args.timeout)
                    code, err = str(proc.returncode), proc.stderr
                except subprocess.TimeoutExpired as exc:
                    code, err = "kill", (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
                elapsed = time.monotonic() - started
                stats = proxy.stats()
                proxy.clear()
                faulted = stats["calls"] - stats.get("pass", 0)
                lines = [ln for ln in err.strip().splitlines() if ln.strip()]
                first = (lines[0] if lines else "-")[:110]
                if any("Traceback" in ln for ln in lines):
                    first = "TRACEBACK: " + lines[-1][:100]
                print(f"{fault:<13} {command:<14} {code:>4} {elapsed:7.1f}s  {_state_after(moto_endpoint, home)} "
                      f"(calls {stats['calls']}, faulted {faulted}) | {first}", flush=True)
    finally:
        proxy.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
