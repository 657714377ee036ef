"""The agent loop against a real HTTP server speaking the OpenAI chat.completions protocol."""
from __future__ import annotations

import dataclasses
import json
import socket

from pydantic import BaseModel, Field

from hivemind.agents import Budget, RepoSandbox, StepLog, repo_toolset, run_agent
from hivemind.agents.budget import estimate_tokens

from .fake_openai import Reply, answer, hang, rate_limited, status, tool_calls


class Verdict(BaseModel):
    port: int = Field(ge=1, le=65535)
    framework: str


GOOD = {"port": 4000, "framework": "express"}


def _run(node_repo, llm, *, budget=50_000, log=None, **kwargs):
    tools = repo_toolset(RepoSandbox(node_repo))
    return run_agent("You are a test agent.", "What port does it use?", tools, Verdict, Budget(budget),
                     llm=llm, log=log, **kwargs)


def test_tool_call_round_trip_sends_results_back(node_repo, llm, llm_server):
    llm_server.push(tool_calls(("read_file", {"path": "src/server.js", "why": "find the port"}),
                               ("list_dir", {"path": "src"})),
                    answer(GOOD))
    result = _run(node_repo, llm)
    assert result.ok and result.output == Verdict(**GOOD)
    assert result.requests == 2 and result.tool_calls == 2
    first, second = llm_server.requests
    assert {t["function"]["name"] for t in first["tools"]} == {"list_dir", "read_file", "grep"}
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["schema"]["required"] == ["port", "framework"]
    read, listing = llm_server.tool_results(1)
    assert "process.env.PORT || 4000" in read and "8| const port" in read  # numbered lines for citations
    assert "jobs.js" in listing and "server.js" in listing
    # Every tool message answers a tool_call of the preceding assistant message.
    call_ids = [c["id"] for c in second["messages"][2]["tool_calls"]]
    assert [m["tool_call_id"] for m in second["messages"] if m["role"] == "tool"] == call_ids
    assert result.tokens == result.prompt_tokens + result.completion_tokens > 0


def test_read_file_refuses_escapes_and_hidden_files(node_repo, llm, llm_server, tmp_path):
    (tmp_path / "outside.txt").write_text("outside secret\n")
    (node_repo / "link.txt").symlink_to(tmp_path / "outside.txt")
    llm_server.push(tool_calls(("read_file", {"path": "../outside.txt"}), ("read_file", {"path": "/etc/passwd"}),
                               ("read_file", {"path": "link.txt"}), ("read_file", {"path": ".env"}),
                               ("read_file", {"path": "secret-notes.txt"}),
                               ("read_file", {"path": "node_modules/express/index.js"})),
                    answer(GOOD))
    result = _run(node_repo, llm)
    assert result.ok
    results = llm_server.tool_results(1)
    assert len(results) == 6 and all(r.startswith("error:") for r in results), results
    assert "'..' is not allowed" in results[0] and "absolute paths" in results[1]
    assert "outside the repository" in results[2] and "secrets" in results[3]
    sent = json.dumps(llm_server.requests[1])
    assert "outside secret" not in sent and "sk_live_should_never_leave" not in sent and "do not read me" not in sent


def test_malformed_json_is_fed_back_and_repaired(node_repo, llm, llm_server):
    llm_server.push(answer("{port: 4000,"), answer(GOOD))
    result = _run(node_repo, llm)
    assert result.ok and result.repairs == 1
    feedback = llm_server.requests[1]["messages"][-1]
    assert feedback["role"] == "user" and "not valid JSON" in feedback["content"]
    assert llm_server.requests[1]["messages"][-2] == {"role": "assistant", "content": "{port: 4000,"}


def test_schema_violation_is_fed_back_then_repaired(node_repo, llm, llm_server):
    llm_server.push(answer({"port": 99999}), answer("```json\n" + json.dumps(GOOD) + "\n```"))
    result = _run(node_repo, llm)
    assert result.ok and result.output.port == 4000
    feedback = llm_server.requests[1]["messages"][-1]["content"]
    assert "port" in feedback and "framework" in feedback and "does not match the schema" in feedback


def test_repairs_are_bounded(node_repo, llm, llm_server):
    llm_server.push(answer("nope"), answer({"port": 0}), answer("still nope"), answer(GOOD))
    result = _run(node_repo, llm, max_repairs=2)
    assert not result.ok and "after 2 repairs" in result.error
    assert len(llm_server.requests) == 3  # the good fourth reply was never asked for


def test_rate_limit_then_success_uses_the_client_retries(node_repo, llm, llm_server):
    llm_server.push(rate_limited(), rate_limited(), answer(GOOD))
    result = _run(node_repo, dataclasses.replace(llm, max_retries=2))
    assert result.ok and len(llm_server.requests) == 3
    assert llm_server.requests[0] == llm_server.requests[2]  # the same request, retried


def test_rate_limit_beyond_retries_is_an_error(node_repo, llm, llm_server):
    llm_server.push(rate_limited(), rate_limited(), answer(GOOD))
    result = _run(node_repo, dataclasses.replace(llm, max_retries=1))
    assert not result.ok and result.error == "rate limited (429) after 1 retries"


def test_server_error_is_one_line_and_never_shows_the_key(node_repo, llm, llm_server):
    llm_server.push(status(500, message=f"boom {llm.api_key}"))
    result = _run(node_repo, llm)
    assert result.error == "server error 500" and llm.api_key not in result.error
    assert llm_server.headers[0]["authorization"] == f"Bearer {llm.api_key}"


def test_hang_past_the_timeout_is_an_error(node_repo, llm, llm_server):
    llm_server.push(hang(10))
    result = _run(node_repo, dataclasses.replace(llm, timeout=0.5))
    assert not result.ok and result.error.startswith("request timed out after 0.5s")


def test_connection_refused_is_an_error(node_repo, llm):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens there
    result = _run(node_repo, dataclasses.replace(llm, base_url=f"http://127.0.0.1:{port}/v1"))
    assert result.error == f"cannot connect to http://127.0.0.1:{port}/v1"


def test_a_body_that_is_not_a_completion_is_an_error(node_repo, llm, llm_server):
    llm_server.push(Reply(raw=b"<html>gateway</html>"), Reply(raw=b'{"object": "chat.completion", "choices": []}'))
    assert _run(node_repo, llm).error.startswith("malformed reply")
    assert _run(node_repo, llm).error == "malformed reply from the server (no choices)"


def test_budget_stops_before_a_request_that_cannot_fit(node_repo, llm, llm_server):
    llm_server.push(answer(GOOD))
    result = _run(node_repo, llm, budget=1500)
    assert not result.ok and result.error.startswith("token budget exhausted")
    assert llm_server.requests == []  # checked before sending, not after paying


def test_budget_exhausted_mid_run(node_repo, llm, llm_server):
    reads = [tool_calls(("read_file", {"path": "src/server.js"})) for _ in range(5)]
    llm_server.push(*reads, answer(GOOD))
    result = _run(node_repo, llm, budget=4000)
    assert not result.ok and "token budget exhausted" in result.error
    assert 1 <= len(llm_server.requests) < 6
    assert result.tokens <= 4000


def test_history_is_bounded_by_eliding_old_tool_results(node_repo, llm, llm_server):
    (node_repo / "big.txt").write_text("x" * 60 + "\n" * 1 + ("line of text\n" * 3000))
    llm_server.push(*[tool_calls(("read_file", {"path": "big.txt"})) for _ in range(4)], answer(GOOD))
    result = _run(node_repo, llm, history_bytes=24_000)
    assert result.ok
    for size, body in zip(llm_server.request_bytes, llm_server.requests):
        tools = len(json.dumps(body["tools"])) + len(json.dumps(body["response_format"]))
        assert size - tools < 24_000 + 2_000  # messages stay near the bound, whatever was read
    last = llm_server.tool_results(4)
    assert last[-1].startswith("big.txt bytes 0-16384")  # the newest result is kept whole
    assert all("elided" in r for r in last[:-1])


def test_tool_rounds_are_bounded_then_an_answer_is_demanded(node_repo, llm, llm_server):
    llm_server.push(*[tool_calls(("list_dir", {})) for _ in range(3)], answer(GOOD))
    result = _run(node_repo, llm, max_tool_rounds=2)
    assert result.ok
    third = llm_server.requests[2]
    assert "tools" not in third and "used all your tool calls" in third["messages"][-1]["content"]
    assert "no more tool calls" in llm_server.tool_results(3)[-1]


def test_servers_without_json_schema_get_plain_requests(node_repo, llm, llm_server):
    llm_server.push(status(400, message="response_format json_schema is not supported"), answer(GOOD))
    result = _run(node_repo, llm)
    assert result.ok
    assert "response_format" in llm_server.requests[0] and "response_format" not in llm_server.requests[1]
    assert any(e["kind"] == "fallback" for e in result.steps)


def test_step_log_records_reads_and_why_without_the_key(node_repo, llm, llm_server, tmp_path):
    llm_server.push(tool_calls(("read_file", {"path": "src/server.js", "why": "find the listen port"})),
                    status(500, message=llm.api_key))
    log = StepLog(tmp_path / "logs" / "test.jsonl", secrets=llm.secrets())
    result = _run(node_repo, llm, log=log)
    assert result.error == "server error 500" and result.log_path == log.path
    text = log.path.read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    assert [e["kind"] for e in entries] == ["request", "tool", "error"]
    tool = entries[1]
    assert tool["tool"] == "read_file" and tool["args"] == {"path": "src/server.js"}
    assert tool["why"] == "find the listen port" and tool["bytes"] > 100
    assert entries[0]["prompt_tokens"] > 0 and entries[0]["bytes"] == llm_server.request_bytes[0]
    assert llm.api_key not in text


def test_estimate_is_not_below_the_server_count():
    # The fake server, like common tokenizers, counts ~4 bytes a token; the estimate must not undercount.
    payload = {"messages": [{"role": "user", "content": "hello world " * 500}]}
    assert estimate_tokens(payload) >= len(json.dumps(payload)) // 4
