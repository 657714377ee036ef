"""Shared scan for the database and Redis detectors: which files may name a data store, and
whether a line that does is live code or configuration (not a comment, not an optional branch)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..comments import commented
from ..envfiles import is_sample_name
from ..repo import RepoView, any_of, is_app_path, parent_of

CONFIG_SUFFIXES = (".prisma", ".properties", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".neon")
CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".go", ".rb", ".php", ".java", ".kt", ".cs")
MAX_FILES_PER_ROOT = 60
# A value given as the default of an environment lookup: what runs when nothing is configured,
# but the deployment may well configure something else.
_ENV_DEFAULT = re.compile(r"""(?:environ\.get|getenv|\benv|\bconfig|ENV\.fetch)\(\s*['"][\w.]+['"]\s*,\s*$""")
# `if os.environ.get("DB_ENGINE") == "postgres":`: the block below runs only when configured so.
_ENV_GUARD = re.compile(r"""^\s*(?:if|elif)\b.*(?:environ|getenv|config\(|settings\.|env\().*(?:==|\bin\b)""")
# Spring profiles (application-mysql.properties) and Rails/compose variants that are not production.
_PROFILE_CONFIG = re.compile(r"(?:^|/)application-(?!prod)[\w-]+\.(?:properties|ya?ml)$")


@dataclass(frozen=True)
class Hit:
    kind: str  # "env" | "config" | "code"
    value: str
    path: str
    line: int
    reason: str
    optional: bool = False  # only on a branch the app takes when configured to
    env_default: bool = False  # the default of an environment variable


def files_to_scan(repo: RepoView) -> Iterator[tuple[str, str]]:
    """(kind, path): env samples, config files, then source code, per app root."""
    samples = [rel for rel in repo.files
               if is_sample_name(rel.rsplit("/", 1)[-1]) and is_app_path(parent_of(rel))]
    # Production samples first: the first hit of a rule wins, and they say what is deployed.
    for rel in sorted(samples, key=lambda r: (not re.search(r"prod", r.rsplit("/", 1)[-1], re.I), r)):
        yield "env", rel
    for root in sorted({".", *repo.app_roots}):
        for rel in repo.source_files(root, CONFIG_SUFFIXES + CODE_SUFFIXES, limit=MAX_FILES_PER_ROOT):
            if not rel.rsplit("/", 1)[-1].startswith(("docker-compose", "compose.")):
                yield ("config" if rel.endswith(CONFIG_SUFFIXES) else "code"), rel


def guarded(repo: RepoView, rel: str, number: int) -> bool:
    """True when line `number` of a Python file sits in an `if <setting> == ...:` block."""
    if not rel.endswith(".py"):
        return False
    lines = repo.lines(rel)
    text = lines[number - 1]
    indent = len(text) - len(text.lstrip())
    for previous in reversed(lines[:number - 1]):
        if not previous.strip() or previous.lstrip().startswith("#"):
            continue
        level = len(previous) - len(previous.lstrip())
        if level < indent:
            if _ENV_GUARD.match(previous):
                return True
            if re.match(r"^\s*(?:if|elif|else|try|with|for|def|class)\b", previous):
                return False  # another block: keep climbing only through data literals
            indent = level
        if level == 0:
            return False
    return False


def scan(repo: RepoView, rules: dict[str, list[tuple[re.Pattern[str], str, str]]]) -> Iterator[Hit]:
    """Apply `rules[kind]` (pattern, value, reason) to every file of that kind; yield the first
    live (uncommented) hit of each rule in each file."""
    # Most files mention no data store at all: one combined search per file rules them out.
    prefilters = {kind: any_of(tuple(p for p, _, _ in kind_rules)) for kind, kind_rules in rules.items()}
    for kind, rel in files_to_scan(repo):
        prefilter = prefilters.get(kind)
        text = repo.read(rel) if prefilter else None
        if not text or not prefilter.search(text):
            continue
        for pattern, value, reason in rules[kind]:
            for number, match in repo.search(rel, pattern):
                line = repo.lines(rel)[number - 1]
                if commented(rel, line, match.start()):
                    continue
                optional = guarded(repo, rel, number) or bool(_PROFILE_CONFIG.search(rel))
                prefix = line[:match.start()].rstrip().rstrip("'\"").rstrip()
                env_default = bool(_ENV_DEFAULT.search(prefix))
                yield Hit(kind, value, rel, number, reason, optional, env_default)
                break
