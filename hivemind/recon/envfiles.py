"""Sample environment files (.env.example and friends): KEY=value lines, with line numbers.

Only samples are read: a real `.env` holds secrets and is never opened.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .repo import RepoView

SAMPLE_NAMES = (
    ".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults",
    ".env.local.example", "env.example", "example.env", "sample.env",
)
# Suffixes that make a `.env.*` file documentation rather than real values.
_SAMPLE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults")


def holds_env_values(name: str) -> bool:
    """True for a file name like `.env` or `.env.production`, which carries real (secret) values;
    False for `.env.example` and friends, which only document them."""
    return name == ".env" or (name.startswith(".env.") and not name.endswith(_SAMPLE_SUFFIXES))


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str
    path: str
    line: int


def env_samples(repo: RepoView, root: str) -> list[EnvEntry]:
    entries = []
    for name in SAMPLE_NAMES:
        rel = repo.in_root(root, name)
        if rel is None:
            continue
        for number, line in enumerate(repo.lines(rel), start=1):
            match = _LINE.match(line)
            if match and not line.lstrip().startswith("#"):
                value = match.group(2).strip().strip("'\"")
                entries.append(EnvEntry(match.group(1), value, rel, number))
    return entries
