"""Shared scan for the database and Redis detectors: which files may mention a data store."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..envfiles import SAMPLE_NAMES
from ..repo import RepoView, any_of, is_app_path, parent_of

MANIFESTS = (
    "package.json", "requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "setup.cfg", "go.mod",
    "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile", "composer.json",
)
CONFIG_SUFFIXES = (".prisma", ".properties", ".yml", ".yaml", ".toml", ".ini", ".cfg")
CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".go", ".rb", ".php", ".java", ".kt", ".cs")
MAX_FILES_PER_ROOT = 60


def files_to_scan(repo: RepoView) -> Iterator[tuple[str, str]]:
    """(kind, path): manifests, env samples, config files, then source code, per app root."""
    for rel in repo.named(*MANIFESTS):
        if is_app_path(parent_of(rel)):
            yield "manifest", rel
    for rel in repo.named(*SAMPLE_NAMES):
        if is_app_path(parent_of(rel)):
            yield "env", rel
    for root in sorted({".", *repo.app_roots}):
        for rel in repo.source_files(root, CONFIG_SUFFIXES + CODE_SUFFIXES, limit=MAX_FILES_PER_ROOT):
            if not rel.rsplit("/", 1)[-1].startswith(("docker-compose", "compose.")):
                yield ("config" if rel.endswith(CONFIG_SUFFIXES) else "code"), rel


def scan(repo: RepoView, rules: dict[str, list[tuple[re.Pattern[str], str, str]]]
         ) -> Iterator[tuple[str, str, str, int, str]]:
    """Apply `rules[kind]` (pattern, value, reason) to every file of that kind; yield
    (kind, value, path, line, reason) for the first hit of each rule in each file."""
    # Most files mention no data store at all: one combined search per file rules them out.
    prefilters = {kind: any_of(tuple(p for p, _, _ in kind_rules)) for kind, kind_rules in rules.items()}
    for kind, rel in files_to_scan(repo):
        prefilter = prefilters.get(kind)
        text = repo.read(rel) if prefilter else None
        if not text or not prefilter.search(text):
            continue
        for pattern, value, reason in rules[kind]:
            if hit := repo.first(rel, pattern):
                yield kind, value, rel, hit[0], reason
