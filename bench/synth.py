#!/usr/bin/env python3
"""Benchmark: `hivemind synth` (cache off) vs the stock `npx cdk synth` of the same app, and a cache hit.

    .venv/bin/python bench/synth.py [--example express-postgres] [--stage stage-1] [--runs 3]

Prints the median wall time of each, their ratio, and the time of a second `hivemind synth` with
an unchanged plan (answered from the assembly cache). The aws-cdk CLI is installed with npm into
a cache directory ($HIVEMIND_BENCH_CDK_DIR, default ~/.cache/hivemind-bench/aws-cdk) when absent;
if npm cannot install it, that figure is skipped.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd: list[str], *, env: dict, cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1 = blocking findings, still a completed synth
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed


def cdk_cli(cache: Path) -> Path | None:
    exe = cache / "node_modules" / ".bin" / "cdk"
    if exe.exists():
        return exe
    npm = shutil.which("npm")
    if not npm:
        print("npm not found: skipping the stock CDK CLI figure")
        return None
    cache.mkdir(parents=True, exist_ok=True)
    print(f"installing aws-cdk CLI into {cache} ...", flush=True)
    proc = subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "aws-cdk@2"],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not exe.exists():
        print(f"npm could not install aws-cdk ({proc.stderr.strip().splitlines()[-1:] or ['?']}): skipping that figure")
        return None
    return exe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="express-postgres")
    parser.add_argument("--stage", default="stage-1", choices=("stage-1", "production"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    example = REPO / "examples" / args.example
    work = Path(tempfile.mkdtemp(prefix="hivemind-bench-"))
    env = os.environ | {
        "HIVEMIND_HOME": str(work / "home"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    hivemind = [str(BIN / "hivemind"), "synth", str(example), f"--{args.stage}", "--json"]
    try:
        ours = [timed(hivemind + ["--no-cache", "-o", str(work / f"hm{i}")], env=env, cwd=work) for i in range(args.runs)]
        print(f"hivemind synth (no cache, cdk-nag + cfn-lint + cost): median {statistics.median(ours):.2f} s  "
              f"runs {', '.join(f'{t:.2f}' for t in ours)}")

        stock = None
        exe = cdk_cli(Path(os.environ.get("HIVEMIND_BENCH_CDK_DIR", Path.home() / ".cache/hivemind-bench/aws-cdk")))
        if exe:
            cmd = [str(exe), "synth", "--app", f"{sys.executable} app.py", "-c", f"plan={example}",
                   "-c", f"stage={args.stage}", "-q"]
            runs = [timed(cmd + ["-o", str(work / f"cdk{i}")], env=env | {"CDK_DISABLE_VERSION_CHECK": "1"}, cwd=REPO)
                    for i in range(args.runs)]
            stock = statistics.median(runs)
            print(f"npx cdk synth (stock CLI, same app.py):              median {stock:.2f} s  "
                  f"runs {', '.join(f'{t:.2f}' for t in runs)}")
            print(f"ratio stock / hivemind: {stock / statistics.median(ours):.2f}x")
            # For context: the stock CLI without CDK's built-in CloudFormation validation (and so
            # without any check, where hivemind still runs cdk-nag and cfn-lint).
            bare = [timed(cmd + ["--no-validation", "-o", str(work / f"nv{i}")],
                          env=env | {"CDK_DISABLE_VERSION_CHECK": "1"}, cwd=REPO) for i in range(args.runs)]
            print(f"npx cdk synth --no-validation (no checks at all):     median {statistics.median(bare):.2f} s  "
                  f"runs {', '.join(f'{t:.2f}' for t in bare)}")

        timed(hivemind + ["-o", str(work / "warm")], env=env, cwd=work)  # fills the cache
        hits = [timed(hivemind + ["-o", str(work / f"hit{i}")], env=env, cwd=work) for i in range(args.runs)]
        print(f"hivemind synth, unchanged plan (cache hit):          median {statistics.median(hits):.2f} s  "
              f"runs {', '.join(f'{t:.2f}' for t in hits)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
