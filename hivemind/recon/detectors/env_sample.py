"""Env samples (.env.example, ...): a PORT=NNNN line is how the app expects to be told its port."""
from __future__ import annotations

from ..draft import Findings, Rank
from ..envfiles import env_samples
from ..ports import STORE_PORTS
from ..repo import RepoView


def detect(repo: RepoView, found: Findings) -> None:
    for draft in found.services:
        if draft.value("kind", "web") != "web":
            continue
        for entry in env_samples(repo, draft.root):
            if entry.key == "PORT" and entry.value.isdigit() and 1 <= int(entry.value) <= 65535 \
                    and int(entry.value) not in STORE_PORTS:
                draft.claim("port", int(entry.value), entry.path, entry.line, f"PORT={entry.value} in the env sample",
                            Rank.ENV_SAMPLE)
                draft.claim("reads_port_env", True, entry.path, entry.line, "the env sample sets PORT", Rank.ENV_SAMPLE)
                break
