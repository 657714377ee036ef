"""Procfile: each `name: command` line is a process; `web` serves HTTP, every other one is a worker.

With a Procfile the processes it lists are the services of its folder (as on Heroku): the
language detectors still supply runtime, framework and build, the Procfile supplies the commands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..draft import Findings, Rank, best
from ..ports import port_in_command
from ..repo import RepoView, is_app_path, parent_of
from ..scripts import migration_command

_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.+?)\s*$")
# Processes that run once per release, not continuously.
ONE_OFF = frozenset({"release", "postdeploy", "predeploy"})
WORKER_FRAMEWORKS = (
    # The sub-command is a word of its own: `-A worker.celery beat` runs beat, not a worker.
    (re.compile(r"\bcelery\b.*\sbeat(?:\s|$)"), "celery-beat"),
    (re.compile(r"\bcelery\b.*\sworker(?:\s|$)"), "celery"),
    (re.compile(r"\brq\s+worker\b"), "rq"), (re.compile(r"\bdramatiq\b"), "dramatiq"),
    (re.compile(r"\barq\b"), "arq"), (re.compile(r"\bsidekiq\b"), "sidekiq"),
    (re.compile(r"\bqueue:work\b"), "laravel-queue"),
)
_RUNTIME_BY_COMMAND = (
    (re.compile(r"^(?:node|npm|yarn|pnpm|npx)\b"), "node"),
    (re.compile(r"^(?:gunicorn|uvicorn|python3?|celery|rq|dramatiq|arq|hypercorn|daphne|waitress-serve|flask)\b"), "python"),
    (re.compile(r"^(?:bundle|rails|puma|rackup|ruby)\b"), "ruby"),
    (re.compile(r"^php\b"), "php"), (re.compile(r"^java\b"), "java"),
)


@dataclass(frozen=True)
class ProcessDecl:
    """One `name: command` line of a Procfile."""

    name: str
    command: str
    path: str
    line: int


def parse(repo: RepoView, rel: str) -> list[ProcessDecl]:
    processes = []
    for number, line in enumerate(repo.lines(rel), start=1):
        match = _LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            processes.append(ProcessDecl(match.group(1).lower(), match.group(2), rel, number))
    return processes


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("Procfile"):
        root = parent_of(rel)
        if not is_app_path(root):
            continue
        processes = [p for p in parse(repo, rel) if p.name not in ONE_OFF]
        if not processes:
            continue
        detected = found.services_at(root)
        base = found.service(root) or (detected[0] if detected else None)
        # Snapshot before the loop: each process inherits what the language detectors saw, not
        # what an earlier Procfile line added.
        fields = ("runtime", "build_command", "framework", "port", "worker_framework")
        inherited = {f: list(base.claims.get(f, [])) for f in fields} if base else {}
        names = {p.name for p in processes}
        # Heroku semantics: only the listed processes run.
        found.services = [s for s in found.services if s.root != root or s.role in names]
        for process in processes:
            role = "web" if process.name == "web" else process.name
            draft = found.add_service(root, role)
            if base is not None and base is not draft:
                for field in ("runtime", "build_command") + (("framework", "port") if role == "web" else ()):
                    draft.claims.setdefault(field, []).extend(inherited[field])
            command_runtime = next((rt for pattern, rt in _RUNTIME_BY_COMMAND if pattern.search(process.command)), None)
            if command_runtime:
                # Weaker than a manifest: `python` may just run a helper script of a Node app.
                draft.claim("runtime", command_runtime, rel, process.line, f"Procfile command runs {command_runtime}",
                            Rank.DEFAULT - 1)
            command = process.command
            if role == "web":
                # `flask db upgrade; gunicorn app:app`: the migration runs once per release, not per instance.
                pieces = [p.strip() for p in re.split(r"\s*(?:&&|;)\s*", command) if p.strip()]
                while len(pieces) > 1 and migration_command(pieces[0]):
                    draft.claim("release_command", pieces.pop(0), rel, process.line,
                                "Procfile web process migrates before starting", Rank.PROCFILE)
                command = " && ".join(pieces)
            draft.claim("start_command", command, rel, process.line, f"Procfile process {process.name}",
                        Rank.PROCFILE)
            if role == "web":
                draft.claim("kind", "web", rel, process.line, "Procfile web process", Rank.PROCFILE)
                if port := port_in_command(process.command):
                    draft.claim("port", port, rel, process.line, "port in the Procfile command", Rank.PROCFILE)
            else:
                draft.claim("kind", "worker", rel, process.line, f"Procfile process {process.name} is not web",
                            Rank.PROCFILE)
                worker = next((name for pattern, name in WORKER_FRAMEWORKS if pattern.search(process.command)), None)
                if worker:
                    draft.claim("framework", worker, rel, process.line, f"Procfile command runs {worker}", Rank.PROCFILE)
                elif base is not None and (queue := best(inherited.get("worker_framework", []))):
                    draft.claim("framework", queue.value, queue.seen.path, queue.seen.line,
                                f"{queue.seen.reason}; the worker process runs the queue", Rank.MANIFEST)
