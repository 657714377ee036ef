"""Dockerfile: EXPOSE gives a port; with no language detected, the image itself is the service."""
from __future__ import annotations

import json
import re

from ..draft import Findings, Rank
from ..ports import STORE_PORTS, port_in_command
from ..repo import RepoView, is_app_path, parent_of

_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d{2,5})", re.IGNORECASE)
_RUN = re.compile(r"^\s*(CMD|ENTRYPOINT)\s+(.+?)\s*$", re.IGNORECASE)


def _command_text(raw: str) -> str:
    """`["node", "server.js"]` (exec form) or `node server.js` (shell form) -> `node server.js`."""
    if raw.startswith("["):
        try:
            parts = json.loads(raw)
            if isinstance(parts, list):
                return " ".join(str(p) for p in parts)
        except ValueError:
            pass
    return raw


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("Dockerfile"):
        root = parent_of(rel)
        if not is_app_path(root):
            continue
        # The last EXPOSE and CMD/ENTRYPOINT win, as in a multi-stage build's final stage.
        expose = None
        run: tuple[int, str, str] | None = None
        entrypoint: tuple[int, str] | None = None
        for line, match in repo.search(rel, _EXPOSE):
            if int(match.group(1)) not in STORE_PORTS:
                expose = (line, int(match.group(1)))
        for line, match in repo.search(rel, _RUN):
            if match.group(1).upper() == "CMD":
                run = (line, _command_text(match.group(2)), "CMD")
            else:
                entrypoint = (line, _command_text(match.group(2)))
        existing = found.services_at(root)
        if existing:
            web = found.service(root)
            if web and run and (port := port_in_command(run[1])):
                web.claim("port", port, rel, run[0], f"port in the Dockerfile CMD: {run[1][:60]}", Rank.DOCKERFILE)
            if web and expose:
                web.claim("port", expose[1], rel, expose[0], f"Dockerfile EXPOSE {expose[1]}", Rank.DOCKERFILE)
            continue
        draft = found.add_service(root)
        draft.claim("runtime", "docker", rel, None, "Dockerfile with no other recognised runtime", Rank.MANIFEST)
        draft.claim("build_command", "docker build -t app .", rel, None, "build the image", Rank.DOCKERFILE)
        command = " ".join(p for p in ((entrypoint or (0, ""))[1], run[1] if run else "") if p)
        if command:
            line = (entrypoint or run)[0]
            draft.claim("start_command", command, rel, line, "Dockerfile CMD/ENTRYPOINT (runs inside the container)",
                        Rank.DOCKERFILE)
        if expose:
            draft.claim("port", expose[1], rel, expose[0], f"Dockerfile EXPOSE {expose[1]}", Rank.DOCKERFILE)
        else:
            draft.claim("kind", "worker", rel, None, "Dockerfile exposes no port", Rank.DOCKERFILE)
