"""`hivemind plan` with the Recon agent: OPENAI_BASE_URL at the scripted server, or broken, or off."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hivemind.cli import main

from .fake_openai import answer, hang, status, tool_calls

HIVEMIND = Path(sys.executable).parent / "hivemind"
WORKER = {"name": "jobs", "kind": "worker", "runtime": "node", "start_command": "npm run jobs"}
PROPOSAL = {"summary": "payments API and a nightly job", "changes": [
    {"field": "services[1]", "value": WORKER, "source": "src/jobs.js:3", "reason": "cron schedules the nightly job"},
    {"field": "database.engine", "value": "postgres", "source": "README.md:1", "reason": "no database yet"},
]}


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def llm_env(monkeypatch, llm_server):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("HIVEMIND_LLM_TIMEOUT", "0.5")
    monkeypatch.setenv("HIVEMIND_LLM_MAX_RETRIES", "0")
    return llm_server


def test_plan_json_contains_the_agents_change(node_repo, llm_env, capsys):
    llm_env.push(tool_calls(("read_file", {"path": "src/jobs.js"})), answer(PROPOSAL))
    code, out, err = run(["plan", str(node_repo), "payments API with nightly jobs", "--json"], capsys)
    assert code == 0, err
    plan = json.loads(out)
    assert [s["name"] for s in plan["services"]] == ["web", "jobs"] and plan["database"] is None
    assert {"field": "services[1]", "value": json.dumps(WORKER, separators=(",", ":")), "source": "src/jobs.js:3",
            "reason": "cron schedules the nightly job", "origin": "agent"} in plan["evidence"]
    assert plan["description"] == "payments API with nightly jobs"
    assert err.startswith("agent: 1 change(s) accepted (marked * in evidence), 1 rejected;")
    assert len(llm_env.requests) == 2 and "tools" in llm_env.requests[0]
    written = (node_repo / "hivemind.yaml").read_text()
    assert "origin: agent" in written and "name: jobs" in written


def test_plan_table_marks_agent_values_and_counts_tokens(node_repo, llm_env, capsys, monkeypatch):
    from hivemind.cli.app import console

    monkeypatch.setattr(console, "_width", 250)
    llm_env.push(answer(PROPOSAL))
    code, out, err = run(["plan", str(node_repo)], capsys)
    assert code == 0, err
    assert "services[1] *" in out and "src/jobs.js:3" in out
    token_line = next(line for line in out.splitlines() if line.startswith("agent: "))
    assert "1 change(s) accepted" in token_line and " tokens in 1 request(s)" in token_line
    assert "rejected database.engine: database is not set" in out
    assert err == ""


@pytest.mark.parametrize("script", [[status(500)], [hang(5)], [answer("{broken")] * 3])
def test_broken_server_still_gives_the_deterministic_plan(node_repo, llm_env, capsys, script):
    code, deterministic, _ = run(["plan", str(node_repo), "--json", "--no-llm", "--force"], capsys)
    assert code == 0
    llm_env.push(*script)
    code, out, err = run(["plan", str(node_repo), "--json", "--force"], capsys)
    assert code == 0 and json.loads(out) == json.loads(deterministic)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("LLM refine failed (")
    assert lines[0].endswith("): using the deterministic plan") and "Traceback" not in err


def test_no_llm_and_kept_plans_make_no_requests(node_repo, llm_env, capsys):
    code, _, err = run(["plan", str(node_repo), "--no-llm"], capsys)
    assert code == 0 and err == ""
    code, _, err = run(["plan", str(node_repo)], capsys)  # hivemind.yaml exists: the user's file is kept
    assert code == 0 and "kept your edits" in err
    assert llm_env.requests == []


def test_no_key_says_so_in_one_line(node_repo, capsys):
    code, out, err = run(["plan", str(node_repo), "--json"], capsys)
    assert code == 0 and json.loads(out)["services"][0]["port"] == 4000
    assert err.strip() == "no OPENAI_API_KEY: using the deterministic plan"


def test_bad_llm_setting_is_a_one_line_error(node_repo, llm_env, capsys, monkeypatch):
    monkeypatch.setenv("HIVEMIND_LLM_TIMEOUT", "soon")
    code, out, err = run(["plan", str(node_repo)], capsys)
    assert code == 2 and out == "" and err.strip() == "error: HIVEMIND_LLM_TIMEOUT='soon' is not a number"


def test_console_script_with_refused_connection_exits_0(node_repo, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "NO_COLOR": "1", "OPENAI_API_KEY": "sk-cli-secret", "HIVEMIND_LLM_MAX_RETRIES": "0",
           "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1"}
    proc = subprocess.run([str(HIVEMIND), "plan", str(node_repo), "--json"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["services"][0]["name"] == "web"
    assert proc.stderr.strip() == (f"LLM refine failed (cannot connect to http://127.0.0.1:{port}/v1): "
                                   "using the deterministic plan")
    assert "sk-cli-secret" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("width", [80, 200])
def test_agent_evidence_is_listed_with_the_service_it_changed(capsys, monkeypatch, width):
    from hivemind.cli.app import console
    from hivemind.cli.plan_cmd import show_evidence
    from hivemind.plan import Evidence

    monkeypatch.setattr(console, "_width", width)
    show_evidence([
        Evidence(field="services[0].port", value="3000", source="src/server.js:8", reason="listen", origin="detector"),
        Evidence(field="database.engine", value="postgres", source="src/db.js:2", reason="URL", origin="detector"),
        # The merge appends accepted changes at the end; on screen they belong with their service.
        Evidence(field="services[0].start_command", value="npm run web", source="package.json:5", reason="script",
                 origin="agent"),
    ])
    out = capsys.readouterr().out
    assert out.index("services[0].port") < out.index("services[0].start_command *") < out.index("database.engine")
