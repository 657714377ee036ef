"""LLM agents over the `openai` client: a reusable loop (`run_agent`) with tools, structured
output, a token budget and a step log, and the Recon agent that refines the deterministic plan.

Configuration comes from the environment (see `config`); with no key and no base URL nothing
here talks to a network and callers keep their deterministic result.

Another agent (Medic, Janitor) reuses the loop with its own tools and output model:

    llm = load_llm_config()                      # None -> use the deterministic path
    tools = ToolSet([Tool("stack_events", "Recent events of a stack", EventsArgs, read_events)])
    result = run_agent(SYSTEM, user_text, tools, Diagnosis, Budget(llm.budget_tokens), llm=llm,
                       log=StepLog(agent_log_path(deployment_id, "medic"), secrets=llm.secrets()))
    if result.ok: use(result.output)             # a validated Diagnosis
    else: warn(result.error)                     # one line; fall back
"""
from __future__ import annotations

from .budget import Budget, BudgetExhausted, estimate_tokens
from .config import NO_LLM_NOTICE, LLMConfig, LLMConfigError, load_llm_config
from .loop import AgentResult, run_agent
from .merge import MergeReport, merge_proposal
from .proposal import FieldChange, ReconProposal
from .refine import RefineResult, refine_plan
from .repo_tools import RepoSandbox, repo_toolset
from .steplog import StepLog, agent_log_path
from .tools import Tool, ToolError, ToolSet

__all__ = [
    "AgentResult", "Budget", "BudgetExhausted", "FieldChange", "LLMConfig", "LLMConfigError", "MergeReport",
    "NO_LLM_NOTICE", "ReconProposal", "RefineResult", "RepoSandbox", "StepLog", "Tool", "ToolError", "ToolSet",
    "agent_log_path", "estimate_tokens", "load_llm_config", "merge_proposal", "refine_plan", "repo_toolset",
    "run_agent",
]
