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


# `.env.prod-sample`, `.env.dev.example`, `env.sample`: a sample however its variant is spelled.
_SAMPLE_NAME = re.compile(r"^\.?env(?:[._-][\w]+)*?[._-](?:example|sample|template|dist|defaults)$", re.IGNORECASE)


def is_sample_name(name: str) -> bool:
    """True for env sample names beyond the common ones (`.env.prod-sample`): documentation, not values."""
    return name in SAMPLE_NAMES or bool(_SAMPLE_NAME.match(name))


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str
    path: str
    line: int


def sample_files(repo: RepoView, root: str) -> list[str]:
    """The env samples of one folder: the common names first, then variants like `.env.prod-sample`."""
    common = [rel for name in SAMPLE_NAMES if (rel := repo.in_root(root, name))]
    if "samples_by_folder" not in repo.memo:  # one pass over the index, shared by every folder
        by_folder: dict[str, list[str]] = {}
        for rel in repo.files:
            folder, _, name = rel.rpartition("/")
            if is_sample_name(name):
                by_folder.setdefault(folder or ".", []).append(rel)
        repo.memo["samples_by_folder"] = by_folder
    variants = [rel for rel in repo.memo["samples_by_folder"].get(root, []) if rel not in common]
    # A production sample says what is deployed; a development one what runs on a laptop.
    variants.sort(key=lambda rel: (not re.search(r"prod", rel.rsplit("/", 1)[-1], re.I), rel))
    return common + variants


def env_samples(repo: RepoView, root: str) -> list[EnvEntry]:
    entries = []
    for rel in sample_files(repo, root):
        for number, line in enumerate(repo.lines(rel), start=1):
            match = _LINE.match(line)
            if match and not line.lstrip().startswith("#"):
                value = match.group(2).strip().strip("'\"")
                entries.append(EnvEntry(match.group(1), value, rel, number))
    return entries
