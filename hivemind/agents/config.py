"""Which LLM the agents talk to, read from the environment.

OPENAI_API_KEY      the key (never printed, never written to a log)
OPENAI_BASE_URL     any OpenAI-compatible server (vLLM, Ollama, a gateway). Set alone, it is
                    enough: local servers usually need no key, so a placeholder key is sent.
HIVEMIND_MODEL      model name (default gpt-4o-mini)
HIVEMIND_LLM_TIMEOUT      seconds per request (default 60)
HIVEMIND_LLM_MAX_RETRIES  retries of 429/5xx/timeouts by the openai client (default 2)
HIVEMIND_LLM_BUDGET       hard token budget per analysis (default 60000)

No key and no base URL means no LLM: every agent has a deterministic path instead.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import HivemindError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_BUDGET_TOKENS = 60_000
# Sent when only OPENAI_BASE_URL is set: the client insists on a key, local servers ignore it.
PLACEHOLDER_KEY = "no-key"
NO_LLM_NOTICE = "no OPENAI_API_KEY: using the deterministic plan"


class LLMConfigError(HivemindError):
    """An HIVEMIND_LLM_* variable is not a number in range."""


@dataclass(frozen=True)
class LLMConfig:
    api_key: str = field(repr=False)  # kept out of repr so a logged config never shows it
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    budget_tokens: int = DEFAULT_BUDGET_TOKENS

    def client(self):
        """An `openai.OpenAI` client whose own retry logic handles 429/5xx (honouring Retry-After)."""
        import openai

        return openai.OpenAI(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout,
                             max_retries=self.max_retries)

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in output or logs."""
        return (self.api_key,) if self.api_key and self.api_key != PLACEHOLDER_KEY else ()


def _number(env: Mapping[str, str], name: str, default: float, *, low: float, high: float, kind=float):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise LLMConfigError(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number") from None
    if not low <= value <= high:
        raise LLMConfigError(f"{name}={raw} is out of range ({low:g}-{high:g})")
    return value


def load_llm_config(env: Mapping[str, str] | None = None) -> LLMConfig | None:
    """The LLM configuration, or None when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set."""
    env = os.environ if env is None else env
    key = env.get("OPENAI_API_KEY", "").strip()
    base_url = env.get("OPENAI_BASE_URL", "").strip() or None
    if not key and not base_url:
        return None
    return LLMConfig(
        api_key=key or PLACEHOLDER_KEY,
        base_url=base_url,
        model=env.get("HIVEMIND_MODEL", "").strip() or DEFAULT_MODEL,
        timeout=_number(env, "HIVEMIND_LLM_TIMEOUT", DEFAULT_TIMEOUT, low=0.1, high=3600),
        max_retries=_number(env, "HIVEMIND_LLM_MAX_RETRIES", DEFAULT_MAX_RETRIES, low=0, high=10, kind=int),
        budget_tokens=_number(env, "HIVEMIND_LLM_BUDGET", DEFAULT_BUDGET_TOKENS, low=1000, high=10_000_000, kind=int),
    )
