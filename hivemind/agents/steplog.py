"""The agent's step log: one JSON line per request, tool call, answer or error, so a user can see
what was read and why. Written under the deployment folder (`agent-logs/`)."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..paths import deployment_dir

REDACTED = "[redacted]"


def agent_log_path(deployment_id: str, agent: str) -> Path:
    """A fresh log file for one run of `agent` on one deployment."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    folder = deployment_dir(deployment_id) / "agent-logs"
    path = folder / f"{agent}-{stamp}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{agent}-{stamp}-{n}.jsonl"
    return path


class StepLog:
    """Append-only JSONL. `path=None` keeps entries in memory only (tests, dry runs)."""

    def __init__(self, path: Path | None = None, *, secrets: tuple[str, ...] = ()):
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self._secrets = tuple(s for s in secrets if s)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def write(self, kind: str, *, step: int, **fields: Any) -> None:
        entry = {"step": step, "kind": kind, **{k: v for k, v in fields.items() if v is not None}}
        self.entries.append(entry)
        if self.path is not None:
            line = self._scrub(json.dumps(entry, ensure_ascii=False, default=str))
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
