"""Health-check path from the routes the code declares (/health, /healthz, /status, /ping...)."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..repo import RepoView

# Preferred first: a dedicated health route over a generic status or ping.
PREFERENCE = ("health", "healthz", "healthcheck", "health-check", "livez", "readyz", "ready", "status", "ping", "up")
_QUOTED_ROUTE = re.compile(r"""['"`](/(?:api/)?(?:""" + "|".join(map(re.escape, PREFERENCE)) + r"""))/?['"`]""")
# Django's path("health/") and Rails' get "up" name routes without a leading slash.
_DJANGO_ROUTE = re.compile(r"""\b(?:re_)?path\(\s*r?['"]\^?(""" + "|".join(map(re.escape, PREFERENCE)) + r""")/\$?['"]""")
_RAILS_ROUTE = re.compile(r"""^\s*get\s+['"](up|health|healthz|status|ping)['"]""")
_LARAVEL_HEALTH = re.compile(r"""\bhealth:\s*['"](/[\w/-]+)['"]""")
# (pattern, suffix to add): Django routes end in "/".
_ROUTES = ((_QUOTED_ROUTE, ""), (_DJANGO_ROUTE, "/"), (_RAILS_ROUTE, ""), (_LARAVEL_HEALTH, ""))
SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".py", ".go", ".rb", ".php", ".java", ".kt")


def _rank(path: str) -> int:
    leaf = path.strip("/").rsplit("/", 1)[-1]
    return PREFERENCE.index(leaf) if leaf in PREFERENCE else len(PREFERENCE)


def detect(repo: RepoView, found: Findings) -> None:
    for draft in found.services:
        if draft.value("kind", "web") != "web":
            continue
        hits: list[tuple[int, str, str, int]] = []
        for rel in repo.matching(repo.source_files(draft.root, SUFFIXES), tuple(p for p, _ in _ROUTES)):
            for pattern, trailing in _ROUTES:
                for line, match in repo.search(rel, pattern):
                    path = match.group(1)
                    path = (path if path.startswith("/") else "/" + path) + trailing
                    hits.append((_rank(path), path, rel, line))
        if hits:
            _, path, rel, line = min(hits, key=lambda h: (h[0], h[2].count("/"), h[2], h[3]))
            draft.claim("health_check_path", path, rel, line, f"route {path} declared here", Rank.CODE)
        draft.claim("health_check_path", "/", None, None, "no health route found; the root path", Rank.DEFAULT)
