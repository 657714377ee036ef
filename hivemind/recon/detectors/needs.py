"""What the app needs from the user: environment variables it reads with no default and cannot
start without. Only unambiguous forms count (a lookup that raises, a schema marking it required,
an explicit check that throws, a compose `${X:?}`), because each one blocks `deploy` until set."""
from __future__ import annotations

import re

import yaml

from ..comments import commented
from ..pyblocks import enclosing_header
from ..draft import Claim, Findings, Rank, Seen
from ..repo import RepoView
from .compose import compose_files, is_development

SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".go", ".java", ".kt", ".properties", ".yml", ".yaml")
_NAME = r"([A-Z][A-Z0-9_]{1,63})"
# (suffixes, pattern, why): group 1 is the variable name.
_PY, _JS, _RB, _GO = (".py",), (".js", ".mjs", ".cjs", ".ts"), (".rb",), (".go",)
_RULES = (
    # Python: a subscript raises KeyError; django-environ / decouple without a default raise too.
    # (An assignment, os.environ["X"] = "1", sets it: not a read.)
    (_PY, re.compile(r"""\bos\.environ\[\s*['"]""" + _NAME + r"""['"]\s*\](?!\s*=[^=])"""), "os.environ[...] raises when unset"),
    (_PY, re.compile(r"""\b(?:os\.environ\.get|os\.getenv)\(\s*['"]""" + _NAME + r"""['"]\s*\)\s*\.\s*\w+"""),
     "used at once with no default (fails when unset)"),
    (_PY, re.compile(r"""\benv(?:\.(?:str|bool|int|list|url|db_url|json))?\(\s*['"]""" + _NAME + r"""['"]\s*\)"""),
     "django-environ lookup with no default"),
    (_PY, re.compile(r"""\bconfig\(\s*['"]""" + _NAME + r"""['"]\s*(?:,\s*cast\s*=\s*\w+\s*)?\)"""),
     "python-decouple lookup with no default"),
    # Node: an explicit check, a Joi schema key marked required, an assertion.
    (_JS, re.compile(r"""if\s*\(\s*!\s*process\.env\.""" + _NAME + r"""\s*\)\s*\{?\s*(?:throw|process\.exit)"""),
     "the app throws when it is unset"),
    (_JS, re.compile(r"""\binvariant\(\s*process\.env\.""" + _NAME + r"""\b"""), "the app asserts it is set (invariant)"),
    (_JS, re.compile(r"""^\s*""" + _NAME + r"""\s*:\s*Joi\.[\w().,'" -]*\.required\(\)"""), "Joi schema marks it required"),
    (_JS, re.compile(r"""\bprocess\.env\.""" + _NAME + r"""!(?!=)"""), "read with a non-null assertion"),
    # Ruby: ENV.fetch without a default raises KeyError.
    (_RB, re.compile(r"""\bENV\.fetch\(\s*['"]""" + _NAME + r"""['"]\s*\)(?!\s*\{)"""), "ENV.fetch with no default raises"),
    # Go: envconfig's required tag.
    (_GO, re.compile(r"""envconfig:"([A-Z][A-Z0-9_]+)"[^`]*required:"true\""""), "envconfig field marked required"),
)
# Spring: a placeholder with no default fails the context at start.
_SPRING_PLACEHOLDER = re.compile(r"""\$\{""" + _NAME + r"""\}""")
# A branch taken only when some setting is present: what it reads is optional.
_PRESENCE = re.compile(r"^\s*(?:if|elif)\b.*(?:\bin\s+os\.environ\b|environ\.get\(|getenv\(|\benv\()")


def _conditional(repo: RepoView, rel: str, line: int) -> bool:
    lines = repo.lines(rel)
    while (header := enclosing_header(lines, line)) is not None:
        # A condition may span lines: `if (\n "X" in os.environ\n or ...\n):`.
        end = next((i for i in range(header[0] - 1, min(len(lines), header[0] + 8)) if lines[i].rstrip().endswith(":")),
                   header[0] - 1)
        if _PRESENCE.match(" ".join(part.strip() for part in lines[header[0] - 1:end + 1])):
            return True
        line = header[0]
    return False
_SPRING_CONFIG = re.compile(r"(?:^|/)application(?:-prod\w*)?\.(?:properties|ya?ml)$")
# pydantic BaseSettings: a field with a type and no default must come from the environment.
_SETTINGS_CLASS = re.compile(r"^class\s+\w+\(\s*(?:[\w.]*\.)?BaseSettings\s*\)\s*:")
_SETTINGS_FIELD = re.compile(r"^(\s+)" + _NAME + r"\s*:\s*[^=#]+$")
_COMPOSE_REQUIRED = re.compile(r"\$\{" + _NAME + r":?\?[^}]*\}")
# What no user sets by hand: the platform or the runtime does.
IGNORED = frozenset({"PORT", "HOME", "PATH", "HOSTNAME", "PWD", "USER", "HIVEMIND_COLOR", "CI"})
# Set by the deployment itself when it has a database or cache: what they are built from is not asked for.
PROVIDED_URLS = frozenset({"DATABASE_URL", "REDIS_URL"})


def _add(found: Findings, name: str, rel: str, line: int, why: str) -> None:
    if name not in IGNORED:
        found.needs.setdefault(name, Claim(True, Seen(rel, line, f"{why}"), Rank.CODE))


def detect(repo: RepoView, found: Findings) -> None:
    for root in sorted({d.root for d in found.services}):
        for rel in repo.source_files(root, SUFFIXES, limit=120):
            if rel.endswith((".properties", ".yml", ".yaml")):
                if _SPRING_CONFIG.search(rel):
                    _scan(repo, found, rel, [(_SPRING_PLACEHOLDER, "Spring placeholder with no default")])
                continue
            _scan(repo, found, rel, [(p, why) for suffixes, p, why in _RULES if rel.endswith(suffixes)])
            if rel.endswith(".py"):
                _pydantic_settings(repo, found, rel)
    for rel in compose_files(repo):
        if not is_development(rel):
            _compose(repo, found, rel)


def _scan(repo: RepoView, found: Findings, rel: str, rules) -> None:
    for pattern, why in rules:
        for line, match in repo.search(rel, pattern):
            name = match.group(1)
            if commented(rel, repo.lines(rel)[line - 1], match.start()):
                continue
            if rel.endswith(".py") and _conditional(repo, rel, line):
                continue  # read only when present: `if "X" in os.environ: X = os.environ["X"]`
            _add(found, name, rel, line, why)


def _pydantic_settings(repo: RepoView, found: Findings, rel: str) -> None:
    if not repo.first(rel, _SETTINGS_CLASS):
        return
    inside, indent = False, None
    for number, line in enumerate(repo.lines(rel), start=1):
        if _SETTINGS_CLASS.match(line):
            inside, indent = True, None
            continue
        if inside and line.strip() and not line.startswith((" ", "\t")):
            inside = False
        if inside and (match := _SETTINGS_FIELD.match(line)):
            indent = indent or match.group(1)
            annotation = line.split(":", 1)[1]
            if match.group(1) == indent and "None" not in annotation and "Optional" not in annotation \
                    and "ClassVar" not in annotation:
                _add(found, match.group(2), rel, number, "settings field with no default (pydantic BaseSettings)")


def _compose(repo: RepoView, found: Findings, rel: str) -> None:
    """`${SECRET_KEY:?Variable not set}` in a built (app) service: the authors require it."""
    try:
        data = yaml.safe_load(repo.read(rel) or "")
    except yaml.YAMLError:
        return
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return
    for spec in services.values():
        if not isinstance(spec, dict) or spec.get("build") is None:
            continue  # the database container's own settings are not the app's
        environment = spec.get("environment")
        if isinstance(environment, dict):
            pairs = [(str(k), str(v)) for k, v in environment.items()]
        elif isinstance(environment, list):
            pairs = [tuple(str(e).split("=", 1)) if "=" in str(e) else (str(e), "") for e in environment]
        else:
            continue
        for key, value in pairs:
            if key in PROVIDED_URLS:
                continue
            for match in _COMPOSE_REQUIRED.finditer(str(value)):
                hit = repo.first(rel, re.compile(re.escape(match.group(0))))
                _add(found, match.group(1), rel, hit[0] if hit else 1, "compose requires it (${...:?})")
