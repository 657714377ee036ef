"""`hivemind deploy` on the command line: output, exit codes, one-line errors."""
from __future__ import annotations

import boto3

from hivemind.cli import main

from .conftest import REGION
from .test_workflow import STACKS


def run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)  # returns on success, sys.exit()s on errors
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_deploy_prints_url_and_stacks_then_what_if_changes_nothing(aws, repo, capsys,
                                                                   monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run(["deploy", str(repo), "orders API", "--stage-1", "--yes"], capsys)
    assert code == 0, err
    dns = boto3.client("elbv2", region_name=REGION).describe_load_balancers()["LoadBalancers"][0]["DNSName"]
    assert f"URL: http://{dns}" in out
    assert "Dashboard: https://us-east-1.console.aws.amazon.com/cloudwatch/" in out
    for stack in STACKS:
        assert stack in out
    assert out.count("CREATE_COMPLETE") >= len(STACKS)

    code, out, err = run(["deploy", str(repo), "--what-if"], capsys)
    assert code == 0, err
    assert "what-if: 0 of 5 stack(s) would change; nothing was changed" in out

    code, out, err = run(["deploy", str(repo), "-y", "--max-parallel", "1"], capsys)
    assert code == 0 and "no changes: every stack is up to date" in out


def test_conflicting_stage_flags_are_one_line(capsys, tmp_path):
    code, out, err = run(["deploy", str(tmp_path), "--stage-1", "--production"], capsys)
    assert code == 2 and err.strip() == "error: choose one of --stage-1 and --production"


def test_missing_repository_is_one_line(capsys, tmp_path):
    code, out, err = run(["deploy", str(tmp_path / "nope"), "--yes"], capsys)
    assert code == 2
    assert err.strip().startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_max_parallel_must_be_positive(capsys, tmp_path):
    code, out, err = run(["deploy", str(tmp_path), "--max-parallel", "0"], capsys)
    assert code == 2 and "--max-parallel" in err and len(err.strip().splitlines()) == 1


def test_unreachable_endpoint_is_one_line(repo, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, out, err = run(["deploy", str(repo), "--yes"], capsys)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot reach AWS endpoint" in lines[0]
    assert "testing" not in err


def test_no_credentials_is_one_line(repo, moto_server):
    # A fresh process: boto3 sessions cache credentials found earlier in this test process.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=moto_server, AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    proc = subprocess.run([sys.executable, "-m", "hivemind", "deploy", str(repo), "--yes"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no AWS credentials found" in lines[0], proc.stderr
