"""Shared scan for the database and Redis detectors: which files may name a data store, and
whether a line that does is live code or configuration (not a comment, not an optional branch)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..comments import commented
from ..envfiles import is_sample_name
from ..pyblocks import enclosing_header, matching_if
from ..repo import RepoView, any_of, is_app_path, parent_of

CONFIG_SUFFIXES = (".prisma", ".properties", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".neon")
CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".go", ".rb", ".php", ".java", ".kt", ".cs")
MAX_FILES_PER_ROOT = 60
# A value given as the default of an environment lookup: what runs when nothing is configured,
# but the deployment may well configure something else.
_ENV_DEFAULT = re.compile(r"""(?:environ\.get|getenv|\benv|\bconfig|ENV\.fetch)\(\s*['"][\w.]+['"]\s*,\s*$""")
# `if os.environ.get("DB_ENGINE") == "postgres":`: the block below runs only when configured so.
_ENV_GUARD = re.compile(r"""^\s*(?:if|elif)\b.*(?:environ|getenv|config\(|settings\.|env\().*(?:==|\bin\b)""")
# `if "DATABASE_URL" in os.environ:` / `if os.environ.get("DATABASE_URL"):` switches to the deployment's URL.
_URL_SWITCH = re.compile(r"""DATABASE_URL|DB_URL""")
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


def branch(repo: RepoView, rel: str, number: int) -> str | None:
    """'optional' when line `number` of a Python file sits in an `if <setting> == ...:` block;
    'fallback' when it sits in the `else:` of an `if "DATABASE_URL" in os.environ` (the local
    default a deployment replaces by setting the URL); None otherwise."""
    if not rel.endswith(".py"):
        return None
    lines = repo.lines(rel)
    header = enclosing_header(lines, number)
    if header is None:
        return None
    if _ENV_GUARD.match(header[1]):
        return "optional"
    if re.match(r"^\s*else\s*:", header[1]) and (test := matching_if(lines, header[0])) and _URL_SWITCH.search(test):
        return "fallback"
    return None


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
                where = branch(repo, rel, number)
                optional = where == "optional" or bool(_PROFILE_CONFIG.search(rel))
                prefix = line[:match.start()].rstrip().rstrip("'\"").rstrip()
                env_default = where == "fallback" or bool(_ENV_DEFAULT.search(prefix))
                yield Hit(kind, value, rel, number, reason, optional, env_default)
                break
