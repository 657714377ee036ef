"""Refine a deterministic draft plan with the Recon agent; fall back to the draft on any trouble.

`refine_plan` is what the plan workflow calls. It never raises for LLM problems: no key, server
errors, 429s, timeouts, malformed answers or an exhausted budget give back the draft and a
one-line `notice` for stderr."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..plan import DeploymentPlan
from .budget import Budget
from .config import NO_LLM_NOTICE, LLMConfig, load_llm_config
from .merge import MergeReport, merge_proposal
from .recon_agent import propose
from .repo_tools import RepoSandbox
from .steplog import StepLog, agent_log_path

_UNSET = object()


@dataclass
class RefineResult:
    plan: DeploymentPlan
    used_llm: bool  # True when the agent answered and its proposal was merged
    notice: str | None = None  # one line for stderr when the deterministic plan is kept
    report: MergeReport | None = None
    tokens: int = 0
    requests: int = 0
    log_path: Path | None = None
    summary: str = ""

    @property
    def agent_fields(self) -> list[str]:
        return self.report.agent_fields if self.report else []


def refine_plan(draft: DeploymentPlan, repo: Path, *, description: str = "", llm: LLMConfig | None | object = _UNSET,
                client=None, write_log: bool = True) -> RefineResult:
    """The draft refined by the Recon agent, or the draft itself with a notice saying why not.

    `llm` defaults to the environment (load_llm_config); None means no LLM. The step log goes to
    deployment_dir(draft.name)/agent-logs/recon-<time>.jsonl when `write_log`."""
    if llm is _UNSET:
        llm = load_llm_config()
    if llm is None:
        return RefineResult(plan=draft, used_llm=False, notice=NO_LLM_NOTICE)
    log = StepLog(agent_log_path(draft.name, "recon") if write_log else None, secrets=llm.secrets())
    budget = Budget(llm.budget_tokens)
    try:
        sandbox = RepoSandbox(Path(repo))
        result = propose(draft, sandbox, description=description, llm=llm, budget=budget, log=log, client=client)
        if not result.ok:
            return RefineResult(plan=draft, used_llm=False, notice=f"LLM refine failed ({result.error}): using the "
                                "deterministic plan", tokens=result.tokens, requests=result.requests,
                                log_path=log.path)
        plan, report = merge_proposal(draft, result.output, sandbox, description=description)
    except Exception as exc:  # the LLM path must never make `hivemind plan` unusable
        message = f"LLM refine failed (internal error: {exc.__class__.__name__}): using the deterministic plan"
        log.write("error", step=budget.requests, error=message)
        return RefineResult(plan=draft, used_llm=False, notice=message, tokens=budget.used,
                            requests=budget.requests, log_path=log.path)
    for change, reason in report.rejected:
        log.write("rejected", step=result.requests, field=change.field, source=change.source, why=reason)
    for change in report.accepted:
        log.write("accepted", step=result.requests, field=change.field, source=change.source, why=change.reason)
    return RefineResult(plan=plan, used_llm=True, report=report, tokens=result.tokens, requests=result.requests,
                        log_path=log.path, summary=result.output.summary)
