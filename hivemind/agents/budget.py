"""A hard token budget for one analysis: checked before each request, charged from `usage` after."""
from __future__ import annotations

import json
from dataclasses import dataclass

# Tokens per byte of JSON for English prose and code with common tokenizers (~4 bytes a token).
# Deliberately a little pessimistic so the check stops early rather than late.
BYTES_PER_TOKEN = 3.5
# Room kept for the reply when deciding whether a request still fits.
DEFAULT_REPLY_RESERVE = 1_000


class BudgetExhausted(Exception):
    """The next request would take the analysis over its token budget."""


def estimate_tokens(payload: object) -> int:
    """Rough token count of a request payload (messages + tool specs), from its JSON size."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return int(len(text.encode("utf-8")) / BYTES_PER_TOKEN) + 1


@dataclass
class Budget:
    max_tokens: int
    reply_reserve: int = DEFAULT_REPLY_RESERVE
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    @property
    def used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def remaining(self) -> int:
        return max(0, self.max_tokens - self.used)

    def check(self, estimated_prompt_tokens: int) -> None:
        """Raise BudgetExhausted if a request of this size (plus a reply) would not fit."""
        needed = estimated_prompt_tokens + self.reply_reserve
        if needed > self.remaining:
            raise BudgetExhausted(
                f"token budget exhausted: {self.used} of {self.max_tokens} used, next request needs ~{needed}"
            )

    def charge(self, prompt_tokens: int | None, completion_tokens: int | None, *, estimate: int) -> None:
        """Count what the server reported; a server that reports no usage is charged the estimate."""
        self.requests += 1
        self.prompt_tokens += prompt_tokens if prompt_tokens is not None else estimate
        self.completion_tokens += completion_tokens or 0
