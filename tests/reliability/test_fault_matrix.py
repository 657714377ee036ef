"""bench/faults.py cannot rot: one fault x one lifecycle command, run as the bench runs it (its own
moto server, the fault proxy, the setup straight on moto, a real `hivemind` subprocess), and the
row's fields checked.

The pair: a first deploy of go-api while every connection is reset. It is the cheapest lifecycle
row (the deploy gives up at its first AWS call) and it still runs the whole path: the setup's
fresh account and seed, the proxy, the subprocess, the state read afterwards."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HIVEMIND_"))}
    return subprocess.run([sys.executable, str(ROOT / "bench" / "faults.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_one_fault_by_one_lifecycle_command_gives_one_truthful_row():
    proc = run_bench("--faults", "outage reset", "--commands", "deploy first", "--json", "--error-budget", "5")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(rows) == 1, proc.stdout
    row = rows[0]
    assert set(row) == {"fault", "command", "exit", "seconds", "state", "calls", "faulted", "said", "setup_seconds"}
    assert (row["fault"], row["command"]) == ("outage reset", "deploy first")
    # Nothing reached AWS: the deploy stops in one line, non-zero, and records nothing anywhere.
    assert row["exit"] not in ("0", "kill", "setup"), row
    assert row["calls"] > 0 and row["faulted"] == row["calls"], row
    assert row["said"].startswith("error: ") and "cannot reach AWS endpoint" in row["said"], row
    assert "TRACEBACK" not in row["said"]
    assert row["state"] == "ssm none, local none, stacks 0", row
    assert row["seconds"] > 0 and row["setup_seconds"] is not None


def test_unknown_fault_or_command_is_one_line_exit_2():
    proc = run_bench("--faults", "gremlins", "--commands", "deploy first")
    assert proc.returncode == 2 and proc.stderr.strip() == "unknown fault/command: gremlins"
    assert proc.stdout == ""
