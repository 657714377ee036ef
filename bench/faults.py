"""Fault matrix: each fault x each command, run as a real `hivemind` subprocess through the fault
proxy (tests/faultproxy.py) in front of a moto server. One line per pair: exit code, time to
finish or give up, and the state afterwards (the SSM head's revision and status, this machine's
state.json status, and for the lifecycle rows the stacks left standing).

A deployment `orders-api` (one edge stack, a completed state in SSM) is made once, straight on
moto; every run then goes through the proxy with one fault configured. `status ghost-app` is a
deployment that exists nowhere (it must say so, exit 2, and write nothing).

The lifecycle rows (deploy first / no-op, update, rollback, destroy) use examples/go-api, the
smallest app. Before each fault their setup puts the deployment in the state the command needs,
straight on moto and in this process (a fresh account, then deploy, and update --keep-previous
for rollback), so one fault's wreckage never becomes the next fault's starting point. The
subprocesses get HIVEMIND_AWS_ERROR_BUDGET (default 20 s) so the outage rows give up quickly.

    .venv/bin/python bench/faults.py [--faults "none,outage 503"] [--commands "status,update"]
        [--error-budget 20] [--timeout 240] [--json]

A command is an argv after `hivemind` (or `-c CODE` for a Python snippet), the deployment whose
state is shown afterwards, and an optional setup callable run before each fault.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

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

APP = "go-api"  # the lifecycle rows' deployment: the smallest example (no database)


@dataclass(frozen=True)
class Command:
    argv: list[str]
    deployment: str = DEPLOYMENT
    setup: Callable[["Bench"], None] | None = None


_LOCK_SNIPPET = ("import sys\nfrom hivemind.errors import HivemindError\nfrom hivemind.state import deployment_lock\n"
                 "try:\n"
                 f"    with deployment_lock({DEPLOYMENT!r}, region={REGION!r}, command='bench'):\n        pass\n"
                 "except HivemindError as exc:\n    sys.exit(f'error: {exc}')")

COMMANDS: dict[str, Command] = {
    "status": Command(["status", DEPLOYMENT, "--json"]),
    "status absent": Command(["status", "ghost-app"]),
    "list": Command(["list", "--json"]),
    "unlock": Command(["unlock", DEPLOYMENT]),
    # Not a CLI command: take and release the deployment's lease, as every changing command does.
    # (The first one in a fresh account bootstraps the region: a CDK synth and a stack create.)
    "lock": Command(["-c", _LOCK_SNIPPET]),
    # The lifecycle, on go-api; each setup puts it where the command needs it (see Bench).
    "deploy first": Command(["deploy", "{repo}", "--stage-1", "--yes"], APP, lambda b: b.setup_fresh()),
    "deploy no-op": Command(["deploy", "{repo}", "--stage-1", "--yes"], APP,
                            lambda b: b.setup_deployed(1, released=True)),
    # --keep-previous: the colour that ran v1 stays, so the rollback row can start where this one ends.
    "update": Command(["update", APP, "{repo}", "--bake", "0", "--keep-previous", "--yes"], APP,
                      lambda b: b.setup_changed()),
    "rollback": Command(["rollback", APP, "--yes"], APP, lambda b: b.setup_deployed(2)),
    "destroy": Command(["destroy", APP, "--yes"], APP, lambda b: b.setup_any_deployed()),
}


def _state_after(moto_endpoint: str, home: Path, deployment: str) -> str:
    import boto3
    from botocore.exceptions import ClientError

    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=moto_endpoint)
    try:
        head = json.loads(ssm.get_parameter(Name=f"/hivemind/deployments/{deployment}/state")["Parameter"]["Value"])
        remote = f"ssm r{head.get('revision', 0)} {head['summary']['status']}"
    except ClientError:
        remote = "ssm none"
    ghost = ssm.get_parameters_by_path(Path="/hivemind/deployments/ghost-app", Recursive=True)["Parameters"]
    path = home / "deployments" / deployment / "state.json"
    try:
        local = json.loads(path.read_text())
        here = f"local r{local.get('revision', 0)} {local['status']}"
    except (OSError, ValueError, KeyError):
        here = "local none"
    line = f"{remote}, {here}"
    if deployment == APP:
        cfn = boto3.client("cloudformation", region_name=REGION, endpoint_url=moto_endpoint)
        standing = [s for s in cfn.describe_stacks()["Stacks"]
                    if s["StackName"].startswith(APP + "-") and s["StackStatus"] != "DELETE_COMPLETE"]
        stuck = [s for s in standing if s["StackStatus"].endswith("_IN_PROGRESS")]
        line += f", stacks {len(standing)}" + (f" ({len(stuck)} in progress)" if stuck else "")
    return line + (", ghost WRITTEN" if ghost else "")


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


class Bench:
    """The moto account, this machine's HIVEMIND_HOME and go-api's repository, with the setups that
    put go-api where a lifecycle row needs it. Setups run in this process, straight on moto (the
    proxy is not in the way), with moto-speed polling.

    A setup first checks whether go-api already stands as needed (the previous row left it so:
    state completed or rolled back here and in SSM, every stack complete, no lease held, the
    colours the row needs); only otherwise does it rebuild from a fresh account. A fault's wreckage
    is therefore never a row's starting point, and a clean run is not redeployed for every row."""

    FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}

    def __init__(self, moto_endpoint: str, home: Path):
        self.moto, self.home = moto_endpoint, home
        self.repo = home.parent / f"{home.name}-repo" / APP
        self._changes = 0
        self._unreleased = False  # the repo holds a change no release carries yet

    def setup_fresh(self) -> None:
        """An account with orders-api seeded and no go-api anywhere (AWS, home, repo)."""
        urllib.request.urlopen(urllib.request.Request(f"{self.moto}/moto-api/reset", method="POST")).read()
        for child in self.home.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.rmtree(self.repo, ignore_errors=True)
        shutil.copytree(ROOT / "examples" / APP, self.repo)
        self._unreleased = False
        _seed(self.moto)

    def standing(self, colours: int) -> bool:
        """go-api stands, truthfully recorded, with `colours` colour stacks and nobody holding its lock."""
        import boto3

        from hivemind.state import load_state
        from hivemind.state.lease import live_lease

        try:
            state = load_state(APP)
            head = json.loads(boto3.client("ssm", region_name=REGION).get_parameter(
                Name=f"/hivemind/deployments/{APP}/state")["Parameter"]["Value"])
        except Exception:
            return False
        settled = {"completed", "rolled_back"}
        if state.status.value not in settled or head["summary"]["status"] not in settled \
                or len(state.colors) != colours or live_lease(APP, REGION) is not None:
            return False
        stacks = [s["StackStatus"] for s in boto3.client("cloudformation", region_name=REGION).describe_stacks()["Stacks"]
                  if s["StackName"].startswith(APP + "-") and s["StackStatus"] != "DELETE_COMPLETE"]
        return len(stacks) == 3 + colours and all(s in ("CREATE_COMPLETE", "UPDATE_COMPLETE") for s in stacks)

    def setup_deployed(self, colours: int = 1, *, released: bool = False) -> None:
        """go-api deployed with `colours` colour stacks standing (2: v2 on one, v1 kept on the other);
        `released`: and no unreleased change in the repo (a deploy is then a no-op)."""
        from hivemind.workflows.deploy import deploy
        from hivemind.workflows.rollout import Tuning
        from hivemind.workflows.ui import QuietUI
        from hivemind.workflows.update import update

        if self.standing(colours) and not (released and self._unreleased):
            return
        self.setup_fresh()
        deploy(self.repo, stage="stage-1", yes=True, ui=QuietUI(), **self.FAST)
        if colours == 2:
            self.change_code()
            update(APP, self.repo, bake=0, keep_previous=True, yes=True, tuning=Tuning(4, (0.01, 0.01), 0.01),
                   healthy_timeout=2, ui=QuietUI())
        self._unreleased = False

    def change_code(self) -> None:
        self._changes += 1
        main_go = self.repo / "main.go"
        main_go.write_text(main_go.read_text() + f"\n// change {self._changes}\n")
        self._unreleased = True

    def setup_changed(self) -> None:
        """Deployed, and the code changed since: an update has something to release."""
        if not self.standing(2):  # v1 and v2 standing is as good a start for an update as v1 alone
            self.setup_deployed(1)
        self.change_code()

    def setup_any_deployed(self) -> None:
        """go-api deployed, with one colour standing or two."""
        if not self.standing(2):
            self.setup_deployed(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated fault names")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated command names")
    parser.add_argument("--timeout", type=float, default=240, help="seconds before a run is killed")
    parser.add_argument("--json", action="store_true", help="one JSON object per row instead of the table")
    parser.add_argument("--error-budget", type=float, default=20,
                        help="HIVEMIND_AWS_ERROR_BUDGET of the runs: seconds of AWS errors before giving up")
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
    bench = Bench(moto_endpoint, home)
    _seed(moto_endpoint)
    proxy = FaultProxy(moto_endpoint).start()
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, HIVEMIND_AWS_ERROR_BUDGET=f"{args.error_budget:g}")

    started_all = time.monotonic()
    if not args.json:
        print(f"{'fault':<13} {'command':<14} {'exit':>4} {'time':>8}  state afterwards (proxy calls) "
              "| stderr: first line, or the error [setup]")
    try:
        for fault in faults:
            for name in commands:
                result = run_row(bench, proxy, env, fault, name, timeout=args.timeout)
                print(json.dumps(asdict(result)) if args.json else result.line(), flush=True)
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(bench.repo.parent, ignore_errors=True)
    if not args.json:
        print(f"total {time.monotonic() - started_all:.0f} s, error budget {args.error_budget:g} s", flush=True)
    return 0


@dataclass
class Row:
    fault: str
    command: str
    exit: str            # the exit code, "kill" (timed out) or "setup" (the setup failed; nothing ran)
    seconds: float       # until the command finished or gave up
    state: str           # afterwards: SSM head, local state.json, stacks standing
    calls: int           # AWS calls through the proxy, and how many were faulted
    faulted: int
    said: str            # a failure's last stderr line (its error), else the first; TRACEBACK if one was printed
    setup_seconds: float | None

    def line(self) -> str:
        setup = f" [setup {self.setup_seconds:.0f} s]" if self.setup_seconds is not None else ""
        return (f"{self.fault:<13} {self.command:<14} {self.exit:>4} {self.seconds:7.1f}s  {self.state} "
                f"(calls {self.calls}, faulted {self.faulted}) | {self.said}{setup}")


def run_row(bench: Bench, proxy, env: dict, fault: str, name: str, *, timeout: float) -> Row:
    """Set the deployment up (straight on moto), run the command through the proxy with `fault`."""
    command = COMMANDS[name]
    setup_started = time.monotonic()
    if command.setup is not None:
        try:
            command.setup(bench)
        except Exception as exc:  # a setup that fails is a row, not the end of the matrix
            return Row(fault, name, "setup", 0.0, "-", 0, 0, f"{exc.__class__.__name__}: {str(exc)[:120]}",
                       time.monotonic() - setup_started)
    setup_s = time.monotonic() - setup_started if command.setup is not None else None
    argv = [arg.replace("{repo}", str(bench.repo)) for arg in command.argv]
    argv = [sys.executable, *argv] if argv[0] == "-c" else [sys.executable, "-m", "hivemind", *argv]
    proxy.configure(**FAULTS[fault])
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        code, err = str(proc.returncode), proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, err = "kill", (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    elapsed = time.monotonic() - started
    stats = proxy.stats()
    proxy.clear()
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    # The error a command ends with is its last line; a success's first line says what it did.
    said = (lines[-1] if code not in ("0", "kill") and lines else lines[0] if lines else "-")[:110]
    if any("Traceback" in ln for ln in lines):
        said = "TRACEBACK: " + lines[-1][:100]
    return Row(fault, name, code, round(elapsed, 1), _state_after(bench.moto, bench.home, command.deployment),
               stats["calls"], stats["calls"] - stats.get("pass", 0), said,
               round(setup_s, 1) if setup_s is not None else None)


if __name__ == "__main__":
    sys.exit(main())
