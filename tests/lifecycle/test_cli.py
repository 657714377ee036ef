"""`hivemind update | rollback | history | cancel | retry` on the command line: one result object
with --json, one-line errors with exit 2."""
from __future__ import annotations

import json

from hivemind.cli import main

from .test_releases_moto import NAME, change_code, listener_colour

def run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_update_rollback_history_as_json(aws, repo, capsys, monkeypatch):
    from hivemind.deploy import cfn

    # moto answers at once: poll it fast (the CLI's defaults are for real CloudFormation).
    monkeypatch.setattr(cfn, "CHANGE_SET_DELAY", 0.01)
    monkeypatch.setattr(cfn, "STACK_DELAY", 0.01)
    monkeypatch.setattr("hivemind.workflows.rollout.Tuning.poll_interval", 0.01)
    monkeypatch.setattr("hivemind.workflows.update.HEALTHY_TIMEOUT_S", 2)
    code, out, err = run(["deploy", str(repo), "--stage-1", "--yes", "--json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    assert set(first) >= {"id", "action", "status", "active_color", "release", "stacks_changed", "duration_s", "phases"}
    assert (first["action"], first["status"], first["release"], first["active_color"]) == ("deploy", "succeeded", "v1", "blue")
    assert all({"name", "seconds", "outcome"} <= set(p) for p in first["phases"])

    change_code(repo, "v2")
    code, out, err = run(["update", NAME, str(repo), "--bake", "0", "--keep-previous", "--yes", "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)  # stdout holds the result object only; phases went to stderr
    assert (result["action"], result["release"], result["active_color"]) == ("update", "v2", "green")
    assert listener_colour() == "green"

    code, out, err = run(["rollback", NAME, "--yes", "--json"], capsys)
    assert code == 0, err
    back = json.loads(out)
    assert back["stacks_changed"] == [f"{NAME}-edge"] and back["release"] == "v1"

    code, out, err = run(["history", NAME, "--json"], capsys)
    assert code == 0, err
    history = json.loads(out)
    assert [(r["version"], r["outcome"], r["color"]) for r in history["releases"]] == [
        (1, "live", "blue"), (2, "rolled_back", "green")]
    assert [o["action"] for o in history["operations"]] == ["deploy", "update", "rollback"]
    assert all(len(r["artifact"]["sha256"]) == 64 and r["plan_hash"] for r in history["releases"])

    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run(["history", NAME], capsys)
    assert code == 0 and "v2" in out and "rolled_back" in out

    # Nothing is updating: cancel says so in one line.
    code, out, err = run(["cancel", NAME], capsys)
    assert code == 2 and "no update of 'express-postgres' is in progress" in err and "\n" not in err.strip()


def test_bad_input_is_one_line_exit_2(aws, capsys, tmp_path):
    for argv, message in (
        (["rollback", "no-such-app", "--yes"], "unknown deployment 'no-such-app'"),
        (["history", "no-such-app"], "unknown deployment 'no-such-app'"),
        (["update", "no-such-app", str(tmp_path / "missing")], "no such repository or plan"),
        (["retry", "no-such-app"], "unknown deployment 'no-such-app'"),
    ):
        code, out, err = run(argv, capsys)
        assert code == 2, (argv, err)
        # (moto's in-process server may warn on stderr too; HiveMind's own answer is its last line.)
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: ") and message in last, err
        assert "Traceback" not in err


def test_wait_lock_waits_then_names_the_holder(aws, repo, capsys):
    import subprocess
    import sys

    code, out, err = run(["deploy", str(repo), "--stage-1", "--yes", "--json"], capsys)
    assert code == 0, err
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom hivemind.state import deployment_lock\n"
         f"with deployment_lock({NAME!r}, command='update'):\n    print('held', flush=True)\n    sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, out, err = run(["rollback", NAME, "--yes", "--wait-lock", "2s"], capsys)
    finally:
        holder.communicate("", timeout=30)
    # It said it was waiting for the holder, then gave up naming it, in one line.
    assert f"waiting for the lock of '{NAME}'" in out
    assert code != 0 and "locked by" in err.strip().splitlines()[-1]
    code, out, err = run(["rollback", NAME, "--yes", "--wait-lock", "soon"], capsys)
    assert code == 2 and "is not a duration" in err.strip().splitlines()[-1]
