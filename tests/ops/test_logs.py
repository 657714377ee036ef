"""Logs: lines the agent shipped to /hivemind/<id>/<service> come back (moto CloudWatch Logs), newest
last, error patterns counted; `logs --follow` prints new lines as they arrive."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from hivemind.ops import follow_logs, read_logs
from hivemind.state import load_state

APP_LINES = [
    "listening on :3000",
    '10.0.1.7 - - [01/Dec/2026:09:00:00 +0000] "GET /orders HTTP/1.1" 200 512',
    "ERROR could not reach payments: ECONNREFUSED",
    "Traceback (most recent call last):",
    '10.0.1.7 - - [01/Dec/2026:09:00:02 +0000] "POST /orders HTTP/1.1" 503 0',
    "connected with password=hunter2",
]


def test_show_logs_json_returns_lines_and_counts_errors(deployed, log_writer, cli):
    deployed()
    log_writer.write("web", APP_LINES)
    log_writer.write("jobs", ["job 7 done"], seconds_ago=2)
    code, out, err = cli("status", "orders-api", "--show-logs", "--json")
    assert code == 0, err
    data = json.loads(out)
    logs = data["logs"]
    messages = [e["message"] for e in logs["events"]]
    assert messages[:len(APP_LINES) - 1] == APP_LINES[:-1]  # oldest first, the worker's line last (newest)
    assert messages[-1] == "job 7 done" and logs["events"][-1]["service"] == "jobs"
    assert logs["errors"] == {"ERROR": 1, "Traceback": 1, "5xx": 1}
    assert "connected with password=***" in messages and "hunter2" not in out
    assert data["state"]["id"] == "orders-api"  # the status itself is still there


def test_show_logs_human_view_and_grep(deployed, log_writer, cli):
    deployed()
    log_writer.write("web", APP_LINES)
    code, out, _ = cli("status", "orders-api", "--show-logs")
    assert code == 0
    assert "ERROR could not reach payments" in out and "orders-api-edge" in out
    assert "errors: ERROR 1, Traceback 1, 5xx 1" in out
    code, out, _ = cli("status", "orders-api", "--show-logs", "--grep", "orders HTTP", "--json")
    assert code == 0
    logs = json.loads(out)["logs"]
    assert len(logs["events"]) == 2 and logs["errors"] == {"5xx": 1}


def test_since_excludes_older_lines(deployed, log_writer, cli):
    deployed()
    log_writer.write("web", ["ERROR an hour ago"], seconds_ago=3600)
    log_writer.write("web", ["fresh line"], seconds_ago=30, stream="i-0def/app")
    code, out, _ = cli("logs", "orders-api", "web", "--since", "10m", "--json")
    assert code == 0
    data = json.loads(out)
    assert [e["message"] for e in data["events"]] == ["fresh line"] and data["errors"] == {}
    code, out, _ = cli("logs", "orders-api", "--since", "2h", "--json")
    assert [e["message"] for e in json.loads(out)["events"]] == ["ERROR an hour ago", "fresh line"]


def test_logs_human_and_missing_group(deployed, log_writer, cli):
    deployed()
    log_writer.write("web", ["panic: runtime error: index out of range"])
    code, out, _ = cli("logs", "orders-api")
    assert code == 0
    assert "panic: runtime error" in out and "errors: panic 1" in out
    assert "no log group /hivemind/orders-api/jobs yet" in out  # the worker never shipped a line


def test_many_lines_are_paginated_and_the_newest_kept(deployed, log_writer):
    state = deployed()
    for batch in range(3):
        log_writer.write("web", [f"line {batch}-{i}" for i in range(200)], seconds_ago=60 - batch * 10,
                         stream=f"i-{batch}/app")
    result = read_logs(state, service="web", since=datetime.now(timezone.utc) - timedelta(minutes=5), limit=500)
    assert result.truncated and len(result.events) == 500
    assert result.events[-1].message == "line 2-199" and result.events[0].message == "line 0-100"


@pytest.mark.parametrize("args, message", [
    (("logs", "orders-api", "--since", "garbage"), "--since 'garbage' is not a duration"),
    (("status", "orders-api", "--show-logs", "--since", "yesterday-ish"), "is not a duration"),
    (("status", "orders-api", "--since", "10 parsecs"), "is not a duration"),
    (("logs", "orders-api", "billing"), "has no service 'billing'"),
    (("logs", "nobody-here"), "nobody-here"),
    (("logs", "orders-api", "--follow", "--json"), "do not go together"),
])
def test_bad_input_is_one_line_exit_2(deployed, cli, args, message):
    deployed()
    code, out, err = cli(*args)
    assert code == 2, out + err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_follow_yields_new_lines_once(deployed, log_writer):
    state = load_state(deployed().id)
    log_writer.write("web", ["first"], seconds_ago=20)
    polls = []

    def sleep(_seconds):
        polls.append(1)
        if len(polls) == 1:
            log_writer.write("web", ["second", "ERROR third"], seconds_ago=1)

    seen = [e.message for e in follow_logs(state, service="web", since=datetime.now(timezone.utc) - timedelta(minutes=1),
                                           keep_going=lambda: len(polls) < 3, sleep=sleep)]
    assert seen == ["first", "second", "ERROR third"]  # each line once, though every poll re-reads the last second


def test_logs_follow_command_streams_until_interrupted(deployed, log_writer):
    deployed()
    log_writer.write("web", ["before follow"], seconds_ago=5)
    proc = subprocess.Popen([sys.executable, "-m", "hivemind", "logs", "orders-api", "web", "--follow"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert "before follow" in proc.stdout.readline()
        log_writer.write("web", ["while following"], seconds_ago=0)
        assert "while following" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0, proc.stderr.read()


@pytest.mark.parametrize("line, kinds", [
    ("ERROR:root:payment failed", ["ERROR"]),
    ('{"level":"error","msg":"db down"}', ["ERROR"]),
    ("Error: connect ECONNREFUSED 10.0.2.5:5432", ["ERROR"]),
    ("Traceback (most recent call last):", ["Traceback"]),
    ("panic: runtime error: invalid memory address", ["panic"]),
    ("java.lang.IllegalStateException: closed", ["Exception"]),
    ('10.0.0.9 - - [01/Dec/2026:09:00:00 +0000] "GET / HTTP/1.1" 502 0', ["5xx"]),
    ("GET /api/orders 500 12.3 ms - 21", ["5xx"]),
    ("[GIN] 2026/12/01 | 503 |  1.2ms | 10.0.0.1 | GET /", ["5xx"]),
    ("0 errors, took 500 ms", []),
    ('10.0.0.9 - - [01/Dec/2026:09:00:00 +0000] "GET /500 HTTP/1.1" 200 512', []),
])
def test_error_patterns(line, kinds):
    from hivemind.ops import error_kinds

    assert error_kinds(line) == kinds


@pytest.mark.parametrize("args", [
    ("logs", "orders-api", "--since", "[/x]"),
    ("logs", "[/x]"),
    ("status", "[/x]"),
    ("status", "orders-api", "--show-logs", "--since", "[/bold]"),
    ("verify", "orders-api", "--url", "http://[/x]"),
    ("verify", "orders-api", "--check", "[/x]"),
])
def test_typed_brackets_come_back_in_one_line(aws, cli, args):
    """The CLI prints errors as rich markup: what the user typed is quoted back literally."""
    code, _, err = cli(*args)
    assert code == 2 and "[/" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
