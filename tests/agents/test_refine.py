"""refine_plan: the Recon agent over HTTP, merged into the draft; the draft on any failure."""
from __future__ import annotations

import dataclasses
import json

import pytest

from hivemind.agents import refine_plan
from hivemind.paths import deployment_dir
from hivemind.recon import analyse_repo

from .fake_openai import Reply, answer, hang, rate_limited, status, tool_calls

WORKER = {"name": "jobs", "kind": "worker", "runtime": "node", "start_command": "npm run jobs"}
PROPOSAL = {
    "summary": "Express payments API plus a nightly settlement job.",
    "changes": [
        {"field": "services[1]", "value": WORKER, "source": "src/jobs.js:3", "reason": "cron schedules settle()"},
        {"field": "services[0].port", "value": 8080, "source": "description", "reason": "user said so"},
        {"field": "services[0].instance_type", "value": "t3.small", "source": "src/server.js:99", "reason": "?"},
    ],
}


def test_no_key_means_the_draft_and_one_line(node_repo, llm_server):
    draft = analyse_repo(node_repo)
    result = refine_plan(draft, node_repo, description="payments API")
    assert result.plan is draft and not result.used_llm
    assert result.notice == "no OPENAI_API_KEY: using the deterministic plan"
    assert llm_server.requests == []


def test_agent_reads_the_repo_and_its_evidenced_changes_are_merged(node_repo, llm, llm_server):
    draft = analyse_repo(node_repo)
    llm_server.push(tool_calls(("read_file", {"path": "src/jobs.js", "why": "is there a scheduled job?"})),
                    answer(PROPOSAL))
    result = refine_plan(draft, node_repo, description="payments API with nightly jobs", llm=llm)

    assert result.used_llm and result.notice is None and result.requests == 2 and result.tokens > 0
    plan = result.plan
    assert [s.name for s in plan.services] == ["web", "jobs"] and plan.services[1].kind == "worker"
    assert plan.services[0].port == 4000  # the detector's proof stands against a description-only claim
    assert result.agent_fields == ["services[1]"]
    agent = [e for e in plan.evidence if e.origin == "agent"]
    assert [(e.field, e.source) for e in agent] == [("services[1]", "src/jobs.js:3")]
    rejected = {c.field: why for c, why in result.report.rejected}
    assert "needs evidence from the repository" in rejected["services[0].port"]
    assert "line 99 does not exist" in rejected["services[0].instance_type"]

    first = llm_server.requests[0]
    user = first["messages"][1]["content"]
    assert "payments API with nightly jobs" in user and '"port":4000' in user
    assert "services[0].port = 4000  [detector: src/server.js:8]" in user
    assert "8| const port = process.env.PORT || 4000;" in user  # the digest, line-numbered
    assert "sk_live_should_never_leave" not in json.dumps(llm_server.requests)
    assert "cron.schedule" in llm_server.tool_results(1)[0]

    # The step log lives under the deployment folder and says what was read and why.
    assert result.log_path.parent == deployment_dir("payments") / "agent-logs"
    entries = [json.loads(line) for line in result.log_path.read_text().splitlines()]
    kinds = [e["kind"] for e in entries]
    assert kinds[:4] == ["request", "tool", "request", "answer"] and kinds.count("rejected") == 2
    assert entries[1]["why"] == "is there a scheduled job?" and entries[1]["args"] == {"path": "src/jobs.js"}
    assert "accepted" in kinds and llm.api_key not in result.log_path.read_text()


@pytest.mark.parametrize("script, retries, expected", [
    ([status(500)], 0, "server error 500"),
    ([status(503), status(503), status(503)], 2, "server error 503"),
    ([rate_limited(), rate_limited()], 1, "rate limited (429) after 1 retries"),
    ([hang(5)], 0, "request timed out after 0.5s"),
    ([answer("not json"), answer({"changes": "all of them"}), answer("{")], 0, "invalid structured answer"),
    ([Reply(raw=b"{\"choices\": ")], 0, "malformed reply from the server"),
])
def test_any_server_failure_gives_the_draft_and_a_notice(node_repo, llm, llm_server, script, retries, expected):
    draft = analyse_repo(node_repo)
    llm_server.push(*script)
    result = refine_plan(draft, node_repo, llm=dataclasses.replace(llm, timeout=0.5, max_retries=retries))
    assert result.plan is draft and not result.used_llm
    assert result.notice.startswith(f"LLM refine failed ({expected}")
    assert result.notice.endswith("): using the deterministic plan") and "\n" not in result.notice


def test_budget_too_small_gives_the_draft_without_a_request(node_repo, llm, llm_server):
    draft = analyse_repo(node_repo)
    result = refine_plan(draft, node_repo, llm=dataclasses.replace(llm, budget_tokens=1000))
    assert result.plan is draft and "token budget exhausted" in result.notice
    assert llm_server.requests == []


def test_a_request_stays_small(node_repo, llm, llm_server):
    llm_server.push(answer({"changes": []}))
    result = refine_plan(analyse_repo(node_repo), node_repo, llm=llm)
    assert result.used_llm and result.agent_fields == []
    assert llm_server.request_bytes[0] < 24_000
