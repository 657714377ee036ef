"""The Recon agent: reads the repository like an engineer and proposes evidence-backed changes to
the deterministic draft. Inputs: the draft (with its evidence), a bounded repository digest and
the user's description; tools: list_dir, read_file, grep."""
from __future__ import annotations

import json

from ..plan import DeploymentPlan
from .budget import Budget
from .config import LLMConfig
from .digest import repo_digest
from .loop import AgentResult, run_agent
from .proposal import ReconProposal
from .repo_tools import RepoSandbox, repo_toolset
from .steplog import StepLog

MAX_EVIDENCE_LINES = 60

SYSTEM_PROMPT = """\
You are HiveMind Recon, a senior engineer preparing an application repository for deployment on AWS
(EC2 Auto Scaling groups behind a load balancer, optional RDS Postgres/MySQL and ElastiCache Redis).

A deterministic analyser has already produced a draft plan; each of its values lists its evidence
(origin "detector" = proven by a file, "default" = a guess). Your job: check the draft against the
repository and propose only the changes the repository (or the user's description) supports:
wrong or missing ports, start/build commands, health-check paths, frameworks, a missed worker,
database or cache, a missed environment variable, a missed release command (database migrations run
once per release), a setting the app cannot start without. Never invent values.

Plan fields you may change (dotted paths): services[i].kind ("web"|"worker"), runtime
("node"|"python"|"go"|"java"|"ruby"|"php"|"static"|"docker"), framework, port (null for workers),
root, build_command, start_command, release_command (run once per release before traffic moves, e.g.
"python manage.py migrate --noinput"), health_check_path (starts with "/"), instance_type,
min_instances, max_instances, env.NAME (non-secret values only); services[N] with N = number of
services adds a service (an object with name, kind, runtime, ...); database (null or
{engine: "postgres"|"mysql", version, ...}) and database.FIELD; cache (null or {engine: "redis"})
and cache.FIELD; needs[N] ({name, source: "path:line", reason}: an env var the app reads with no
default; deploy waits until the user sets it); observability.xray / alarms / dashboard. Do not change name, stage, region or
description, and never put secrets (passwords, tokens, keys) into env.

Evidence: every change cites "path:line" from the line-numbered excerpts or read_file output (the
line must exist), or "description" for something only the user's description says. To overturn a
value with origin "detector" you need a repository path:line.

Tools read the repository (vendored and ignored files are hidden). Use them sparingly: the digest
usually suffices, and the analysis has a token budget. When done, reply with only a JSON object:
{"changes": [{"field": "...", "value": ..., "source": "path:line", "reason": "..."}], "summary": "..."}
An empty "changes" list is a good answer when the draft is right.
"""


def draft_for_prompt(draft: DeploymentPlan) -> str:
    """The draft without its evidence list, plus the evidence as short lines (bounded)."""
    body = draft.model_dump(mode="json", exclude={"evidence"})
    lines = [f"{e.field} = {e.value}  [{e.origin}: {e.source}]" for e in draft.evidence[:MAX_EVIDENCE_LINES]]
    if len(draft.evidence) > MAX_EVIDENCE_LINES:
        lines.append(f"... {len(draft.evidence) - MAX_EVIDENCE_LINES} more")
    return json.dumps(body, separators=(",", ":")) + "\n\nEvidence:\n" + "\n".join(lines)


def user_prompt(draft: DeploymentPlan, sandbox: RepoSandbox, description: str) -> str:
    return (
        f"User's description: {description.strip() or '(none)'}\n\n"
        f"# Draft plan\n{draft_for_prompt(draft)}\n\n"
        f"# Repository digest\n{repo_digest(sandbox)}"
    )


def propose(draft: DeploymentPlan, sandbox: RepoSandbox, *, description: str, llm: LLMConfig, budget: Budget,
            log: StepLog | None = None, client=None) -> AgentResult[ReconProposal]:
    """Ask the model for a ReconProposal (never raises for LLM trouble: see AgentResult.error)."""
    return run_agent(SYSTEM_PROMPT, user_prompt(draft, sandbox, description), repo_toolset(sandbox), ReconProposal,
                     budget, llm=llm, log=log, client=client)
