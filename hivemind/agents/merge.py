"""Merge a Recon proposal into the deterministic draft, change by change.

Rules:
- each change is applied to a copy and the whole plan re-validated; an invalid change is rejected
  on its own, with the validation message, and the rest still apply (changes rejected only for
  validity get a second chance after the others, so "kind: worker" can follow "port: null");
- its evidence must be checkable: `path:line` of a visible repository file whose line exists, or
  `description` (the user's description, when one was given);
- a build/start/release command must be shown by what it cites (and an env variable named by it): the whole command or a clear part of what
  it runs (script, module, file or object name), not just any existing line;
- a change that contradicts a value the detectors proved (draft evidence with origin "detector")
  needs repository evidence of its own: `description` is not enough;
- deployment identity (name, stage, region, ...) and secrets are not the agent's to change, and a
  secret-looking variable never goes into plain `env`;
- accepted changes replace the draft's evidence for that field with Evidence(origin="agent").
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from ..plan import DeploymentPlan, Evidence
from ..plan.io import format_validation_error
from .proposal import FieldChange, ReconProposal
from .repo_tools import RepoSandbox, is_secret_file
from .tools import ToolError

PROTECTED_ROOTS = frozenset({"name", "schema_version", "stage", "region", "description", "evidence",
                             "certificate_arn"})
SECRET_ENV = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|ACCESS_KEY)", re.I)
_TOKEN = re.compile(r"\[(\d+)\]|\.?([A-Za-z_][A-Za-z0-9_]*)")
DESCRIPTION_SOURCE = "description"
COMMAND_FIELDS = frozenset({"build_command", "start_command", "release_command"})
MAX_CITED_LINES = 20
_MISSING = object()


class ChangeRejected(Exception):
    """Why one change cannot be applied; `retry` when it may succeed after other changes."""

    def __init__(self, reason: str, *, retry: bool = False):
        super().__init__(reason)
        self.retry = retry


@dataclass
class MergeReport:
    accepted: list[FieldChange] = field(default_factory=list)
    rejected: list[tuple[FieldChange, str]] = field(default_factory=list)

    @property
    def agent_fields(self) -> list[str]:
        return [c.field for c in self.accepted]


def normalise_path(path: str) -> str:
    """'services.0.port' -> 'services[0].port'; whitespace dropped."""
    path = re.sub(r"\s+", "", path)
    return re.sub(r"\.(\d+)(?=\.|\[|$)", r"[\1]", path)


def parse_path(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match or match.end() == pos or (pos == 0 and match.group(0).startswith(".")):
            raise ChangeRejected(f"{path!r} is not a plan path such as services[0].port")
        tokens.append(int(match.group(1)) if match.group(1) is not None else match.group(2))
        pos = match.end()
    if not tokens or not isinstance(tokens[0], str):
        raise ChangeRejected(f"{path!r} is not a plan path such as services[0].port")
    return tokens


def get_path(data: object, tokens: list[str | int]) -> object:
    for token in tokens:
        if isinstance(token, int) and isinstance(data, list) and token < len(data):
            data = data[token]
        elif isinstance(token, str) and isinstance(data, dict) and token in data:
            data = data[token]
        else:
            return _MISSING
    return data


def set_path(data: dict, tokens: list[str | int], value: object, path: str) -> None:
    parent: object = data
    for depth, token in enumerate(tokens[:-1]):
        child = get_path(parent, [token])
        if child is None or child is _MISSING:
            where = _render(tokens[: depth + 1])
            raise ChangeRejected(f"{where} is not set; propose the whole {where} object instead", retry=True)
        parent = child
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(parent, list):
            raise ChangeRejected(f"{path}: {_render(tokens[:-1])} is not a list")
        if last < len(parent):
            parent[last] = value
        elif last == len(parent):
            parent.append(value)
        else:
            raise ChangeRejected(f"{path}: index {last} is past the end (there are {len(parent)})")
    else:
        if not isinstance(parent, dict):
            raise ChangeRejected(f"{path}: {_render(tokens[:-1])} is not an object")
        parent[last] = value


def _render(tokens: list[str | int]) -> str:
    out = ""
    for token in tokens:
        out += f"[{token}]" if isinstance(token, int) else (f".{token}" if out else token)
    return out


def _under(field_path: str, prefix: str) -> bool:
    return field_path == prefix or field_path.startswith(prefix + ".") or field_path.startswith(prefix + "[")


def _display(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 200 else text[:197] + "..."


def check_source(source: str, sandbox: RepoSandbox, description: str) -> str | None:
    """None when `source` is checkable evidence, else why not."""
    source = source.strip()
    if source == DESCRIPTION_SOURCE:
        return None if description.strip() else "cites the description, but none was given"
    match = re.fullmatch(r"(.+?):(\d+)(?:-\d+)?", source)
    if not match:
        return f"evidence {source!r} is not path:line"
    try:
        rel = sandbox.resolve(match.group(1))
    except ToolError as exc:
        return f"evidence {source!r}: {exc}"
    if is_secret_file(rel):
        return f"evidence {source!r} is a secrets file"
    lines = sandbox.line_count(rel)
    if lines is None:
        return f"evidence {source!r}: no such text file in the repository"
    line = int(match.group(2))
    if not 1 <= line <= lines:
        return f"evidence {source!r}: line {line} does not exist ({rel} has {lines} lines)"
    return None


# Words that say how a command runs, not what it runs: a citation must show more than these.
_RUNNER_WORDS = frozenset({
    "npm", "yarn", "pnpm", "npx", "bun", "bundle", "exec", "run", "start", "build", "install", "ci", "serve", "server",
    "worker", "dev", "package", "sh", "bash", "env", "sudo", "python", "python3", "node", "java", "go", "php", "ruby",
})
# Bind addresses, ports and placeholders: the same in every command, so no evidence of this one.
_GENERIC_ARG = re.compile(r"[\d.:]*(?:\{port\}|\$\{?\w+(?::-\w*)?\}?)?")


def command_terms(command: str) -> list[str]:
    """What a command runs, as words a citation should show: 'npm run jobs' -> ['jobs'],
    'gunicorn app:app --bind 0.0.0.0:{port}' -> ['gunicorn', 'app:app'], 'npm start' -> ['start']
    (nothing but the script name to show)."""
    terms: list[str] = []
    fallback: list[str] = []
    for segment in re.split(r"&&|\|\||[;|]", command):
        words = [w.strip("'\"[],") for w in segment.split()]
        words = [w for w in words if w and not w.startswith("-") and "=" not in w and not _GENERIC_ARG.fullmatch(w)]
        fallback.extend(words)
        terms.extend(w for w in words if w.lower() not in _RUNNER_WORDS)
    return terms or fallback[-1:]


def supports_command(text: str, command: str) -> bool:
    """True when the cited text shows the command: all of it, or a clear part of what it runs
    (a script, module, file or object name), case-insensitively."""
    line = " ".join(text.lower().split())
    if " ".join(command.lower().split()) in line:
        return True
    for term in command_terms(command.lower()):
        leaf = term.rsplit("/", 1)[-1]
        parts = {term, leaf, *leaf.split(":")}
        # A runner word counts only when it is all there is to show ('npm start' -> "start").
        if any(len(p) >= 3 and (p == term or p not in _RUNNER_WORDS) and p in line for p in parts):
            return True
    return False


def cited_text(source: str, sandbox: RepoSandbox, description: str) -> str:
    """The text a checked source points at: the user's description, one repository line, or the
    lines of a `path:first-last` range (at most MAX_CITED_LINES of them)."""
    source = source.strip()
    if source == DESCRIPTION_SOURCE:
        return description
    path, first, last = re.fullmatch(r"(.+?):(\d+)(?:-(\d+))?", source).groups()
    lines = sandbox.lines(sandbox.resolve(path)) or []
    start = int(first)
    end = min(int(last or first), start + MAX_CITED_LINES - 1)
    return " ".join(lines[start - 1:end])


def _secret_env_keys(tokens: list[str | int], value: object) -> list[str]:
    if "secrets" in tokens:
        return ["secrets"]
    if "env" not in tokens:
        if isinstance(value, dict) and isinstance(value.get("env"), dict):
            return [k for k in value["env"] if SECRET_ENV.search(k)]
        return []
    after = tokens[tokens.index("env") + 1:]
    if after:
        return [str(after[0])] if SECRET_ENV.search(str(after[0])) else []
    return [k for k in value if SECRET_ENV.search(k)] if isinstance(value, dict) else []


def _service_roots(tokens: list[str | int], value: object) -> list[object]:
    """The service `root` values a change would set (services[i].root, or inside a whole service)."""
    if tokens[0] != "services":
        return []
    if tokens[-1] == "root":
        return [value]
    if len(tokens) == 2 and isinstance(value, dict) and "root" in value:
        return [value["root"]]
    return []


class _Merger:
    def __init__(self, draft: DeploymentPlan, sandbox: RepoSandbox, description: str):
        self.plan = draft
        self.sandbox = sandbox
        self.description = description
        # What the detectors proved: only these need repository evidence to be overturned.
        self.proven = [e for e in draft.evidence if e.origin == "detector"]

    def apply(self, change: FieldChange) -> DeploymentPlan:
        path = normalise_path(change.field)
        tokens = parse_path(path)
        if tokens[0] in PROTECTED_ROOTS:
            raise ChangeRejected(f"{tokens[0]} is set by the user, not by the agent")
        if isinstance(tokens[0], str) and tokens[0] == "services" and len(tokens) == 1:
            raise ChangeRejected("replace services one at a time (services[0], services[1], ...)")
        secret_keys = _secret_env_keys(tokens, change.value)
        if secret_keys:
            raise ChangeRejected(f"{', '.join(secret_keys)}: secrets are references the user sets, never env values")
        for root in _service_roots(tokens, change.value):
            # A service root decides what gets bundled and shipped: it must be a folder of this repository.
            if not isinstance(root, str) or not self.sandbox.is_dir(root):
                raise ChangeRejected(f"root {root!r} is not a folder of the repository")
        problem = check_source(change.source, self.sandbox, self.description)
        if problem:
            raise ChangeRejected(problem)

        data = self.plan.model_dump(mode="json")
        current = get_path(data, tokens)
        if current is not _MISSING and current == change.value:
            raise ChangeRejected("already the draft's value")
        if tokens[-1] in COMMAND_FIELDS and isinstance(change.value, str) and change.value.strip():
            # A real line that says nothing about the command is no evidence for it.
            if not supports_command(cited_text(change.source, self.sandbox, self.description), change.value):
                raise ChangeRejected(f"evidence {change.source.strip()!r} does not show the command {change.value!r}")
        if len(tokens) >= 2 and tokens[-2] == "env" and isinstance(tokens[-1], str):
            # Likewise an environment variable: the cited line must name it.
            if tokens[-1].lower() not in cited_text(change.source, self.sandbox, self.description).lower():
                raise ChangeRejected(f"evidence {change.source.strip()!r} does not mention {tokens[-1]}")
        set_path(data, tokens, change.value, path)

        contradicted = [e for e in self.proven if _under(e.field, path)
                        and _as_text(get_path(data, parse_path(e.field))) != e.value]
        if contradicted and change.source.strip() == DESCRIPTION_SOURCE:
            first = contradicted[0]
            raise ChangeRejected(f"contradicts {first.field}={first.value} proven at {first.source}; "
                                 "needs evidence from the repository, not the description")

        data["evidence"] = [e for e in data["evidence"] if not _under(e["field"], path)]
        data["evidence"].append(Evidence(field=path, value=_display(change.value), source=change.source.strip(),
                                         reason=change.reason.strip() or "proposed by the agent",
                                         origin="agent").model_dump(mode="json"))
        try:
            return DeploymentPlan.model_validate(data)
        except ValidationError as exc:
            raise ChangeRejected(format_validation_error(exc, "plan").removeprefix("plan: "), retry=True) from None

    def merge(self, proposal: ReconProposal) -> MergeReport:
        report = MergeReport()
        seen: set[str] = set()
        pending: list[FieldChange] = []
        for change in proposal.changes:
            key = normalise_path(change.field)
            if key in seen:
                report.rejected.append((change, "duplicate change to the same field"))
                continue
            seen.add(key)
            pending.append(change)
        # Changes rejected only for validity may pass once the others are in; stop when nothing moves.
        last_reasons: dict[int, str] = {}
        while pending:
            retry: list[FieldChange] = []
            for change in pending:
                try:
                    self.plan = self.apply(change)
                    report.accepted.append(change)
                except ChangeRejected as exc:
                    if exc.retry:
                        retry.append(change)
                        last_reasons[id(change)] = str(exc)
                    else:
                        report.rejected.append((change, str(exc)))
            if len(retry) == len(pending):
                report.rejected.extend((c, last_reasons[id(c)]) for c in retry)
                break
            pending = retry
        return report


def _as_text(value: object) -> str | None:
    """A plan value as the detectors record it in Evidence.value (str(value)); None when absent."""
    return None if value is _MISSING or value is None else str(value)


def merge_proposal(draft: DeploymentPlan, proposal: ReconProposal, sandbox: RepoSandbox,
                   *, description: str = "") -> tuple[DeploymentPlan, MergeReport]:
    """The draft with every acceptable change applied, and what was accepted or rejected and why."""
    merger = _Merger(draft, sandbox, description)
    report = merger.merge(proposal)
    return merger.plan, report
