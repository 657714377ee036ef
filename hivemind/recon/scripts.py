"""Shell scripts a deployment runs (Docker entrypoints, fly `start.sh`, boot scripts): the one-off
commands they run before the server (migrations: a release command) and the server they exec."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .repo import RepoView

# Commands that migrate the database: run once per release, before traffic moves.
MIGRATIONS = (
    (re.compile(r"\bprisma\s+migrate\s+deploy\b"), "npx prisma migrate deploy"),
    (re.compile(r"\bmanage\.py\s+migrate\b"), None),  # kept as written (the path to manage.py matters)
    (re.compile(r"\brails\s+db:(?:prepare|migrate)\b"), None),
    (re.compile(r"\brake\s+db:(?:prepare|migrate)\b"), None),
    (re.compile(r"\balembic\s+upgrade\s+head\b"), "alembic upgrade head"),
    (re.compile(r"\bartisan\s+migrate\b"), "php artisan migrate --force"),
    (re.compile(r"\bflask\s+db\s+upgrade\b"), "flask db upgrade"),
    (re.compile(r"\bknex\s+migrate:latest\b"), None),
    (re.compile(r"\bsequelize(?:-cli)?\s+db:migrate\b"), None),
    (re.compile(r"\btypeorm\s+migration:run\b"), None),
    (re.compile(r"\bdrizzle-kit\s+migrate\b"), None),
    (re.compile(r"\bdoctrine:migrations:migrate\b"), None),
)
_EXEC = re.compile(r"^\s*exec\s+(.+?)\s*$")
_PASSTHROUGH = re.compile(r"""^["']?\$(?:@|\{@\}|\*|1)["']?$""")


def migration_command(command: str) -> str | None:
    """The release command a migrate line amounts to, or None when it migrates nothing."""
    for pattern, canonical in MIGRATIONS:
        if pattern.search(command):
            return canonical or _clean(command)
    return None


def _clean(command: str) -> str:
    """Drop a trailing `|| exit 1`, `; then`, `&&` chains after the migration, and shell noise."""
    command = re.split(r"\s*(?:\|\||;|&&)\s*", command.strip(), maxsplit=1)[0]
    return command.strip()


@dataclass(frozen=True)
class ScriptRun:
    release: tuple[str, int] | None  # (command, line)
    start: tuple[str, int] | None  # the server the script execs, unless it passes "$@" through


def read_script(repo: RepoView, rel: str) -> ScriptRun:
    release = start = None
    last = None
    for number, raw in enumerate(repo.lines(rel), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if release is None:
            for piece in re.split(r"\s*(?:&&|;)\s*", line):
                if command := migration_command(piece):
                    release = (command, number)
                    break
        if match := _EXEC.match(line):
            target = match.group(1)
            if not _PASSTHROUGH.match(target):
                start = (target, number)
        elif not re.match(r"^(?:if|then|else|fi|do|done|while|for|set|export|echo|cd|sleep|until|case|esac|\w+=)\b",
                          line) and not line.endswith(("\\", "{", "}")):
            last = (line, number)
    if start is None and last and not migration_command(last[0]) and _looks_like_server(last[0]):
        start = last
    return ScriptRun(release, start)


def _looks_like_server(command: str) -> bool:
    return bool(re.search(r"\b(?:npm|yarn|pnpm)\s+(?:run\s+)?start\b|\bnode\b|\bgunicorn\b|\buvicorn\b|\bpuma\b|"
                          r"\brails\s+s(?:erver)?\b|\bphp-fpm\b|\bjava\b|\bfastapi\s+run\b|\bhypercorn\b", command))


def script_path(repo: RepoView, root: str, command: str) -> str | None:
    """The repository file a command runs (`./start.sh`, `sh bin/boot.sh`, `/app/docker-entrypoint.sh`)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for word in words[:3]:
        if word in ("sh", "bash", "/bin/sh", "/bin/bash", "exec"):
            continue
        candidates = [word.removeprefix("./")]
        leaf = word.rsplit("/", 1)[-1]
        if word.startswith("/"):  # an absolute path inside the image: try its last parts
            parts = word.strip("/").split("/")
            candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
        for candidate in candidates + [leaf, f"bin/{leaf}", f"scripts/{leaf}", f"docker/{leaf}"]:
            rel = candidate if root == "." else f"{root}/{candidate}"
            if rel in repo.fileset and not rel.endswith((".js", ".ts", ".py", ".rb")):
                return rel
        break
    return None
