"""Health-check path from the routes the code declares (/health, /healthz, /status, /ping...)."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..comments import commented
from ..repo import RepoView
from ..routers import router_prefix

# Preferred first: a dedicated health route over a generic status or ping.
PREFERENCE = ("health", "healthz", "healthcheck", "health-check", "livez", "readyz", "ready", "status", "ping", "up")
_DEDICATED = ("health", "healthz", "healthcheck", "health-check", "health_check", "livez", "readyz")
# Any route ending in a health word, under /api or /api/v1; a dedicated health route under any prefix
# (/internal/health), with or without a trailing slash.
_QUOTED_ROUTE = re.compile(
    r"""['"`]((?:/api(?:/v\d+)?)?/(?:""" + "|".join(map(re.escape, PREFERENCE)) + r""")"""
    r"""|(?:/[\w-]+){1,3}/(?:""" + "|".join(map(re.escape, _DEDICATED)) + r"""))(/?)['"`]""")
# Django's path("health/") and Rails' get "up" name routes without a leading slash.
_DJANGO_ROUTE = re.compile(r"""\b(?:re_)?path\(\s*r?['"]\^?((?:api/(?:v\d+/)?)?(?:""" + "|".join(map(re.escape, PREFERENCE)) +
                           r"""))(/?)\$?['"]""")
_RAILS_ROUTE = re.compile(r"""^\s*get\s+['"](up|health|healthz|status|ping)()['"]""")
_LARAVEL_HEALTH = re.compile(r"""\bhealth:\s*['"](/[\w/-]+)()['"]""")
_ROUTES = (_QUOTED_ROUTE, _DJANGO_ROUTE, _RAILS_ROUTE, _LARAVEL_HEALTH)
SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".py", ".go", ".rb", ".php", ".java", ".kt")
_HEALTH_LEAF = "|".join(map(re.escape, PREFERENCE))
# NestJS names routes in decorators, without a leading slash: @Controller('health') + @Get().
_NEST_CONTROLLER = re.compile(r"""@Controller\(\s*(?:['"`]/?([\w/-]*?)/?['"`])?\s*\)""")
_NEST_GET = re.compile(r"""@Get\(\s*(?:['"`]/?([\w/-]*?)/?['"`])?\s*\)""")
_NEST_PREFIX = re.compile(r"""setGlobalPrefix\(\s*['"`]/?([\w/-]*?)/?['"`]""")
# Next.js routes are files: app/api/health/route.ts or pages/api/health.ts serve /api/health.
_NEXT_ROUTE = re.compile(r"(?:^|/)(?:src/)?(?:app/((?:[\w()-]+/)*?)(" + _HEALTH_LEAF + r")/route"
                         r"|pages/((?:[\w()-]+/)*?)(" + _HEALTH_LEAF + r"))\.(?:js|mjs|ts|jsx|tsx)$")


def _rank(path: str) -> int:
    leaf = path.strip("/").rsplit("/", 1)[-1]
    leaf = "health-check" if leaf == "health_check" else leaf
    return PREFERENCE.index(leaf) if leaf in PREFERENCE else len(PREFERENCE)


# Frameworks whose routes are files: (path regex, group with the route) per framework.
_FILE_ROUTES = {
    # Remix flat routes: app/routes/healthcheck.tsx, app/routes/resources.healthcheck.ts (dots are slashes).
    "remix": re.compile(r"(?:^|/)app/routes/((?:[\w-]+\.)*(?:" + _HEALTH_LEAF + r"))(?:/route)?\.(?:js|ts|jsx|tsx)$"),
    "react-router": re.compile(r"(?:^|/)app/routes/((?:[\w-]+\.)*(?:" + _HEALTH_LEAF + r"))(?:/route)?\.(?:js|ts|jsx|tsx)$"),
    # Nuxt/Nitro: server/api/health.ts serves /api/health, server/routes/health.ts serves /health.
    "nuxt": re.compile(r"(?:^|/)server/(?:routes/)?((?:api/)?(?:" + _HEALTH_LEAF + r"))(?:\.get)?\.(?:js|ts)$"),
}


def _file_routes(repo: RepoView, root: str, pattern: re.Pattern[str]) -> list[tuple[int, str, str, int]]:
    hits = []
    for rel in repo.source_files(root, (".js", ".ts", ".jsx", ".tsx"), limit=5000):
        if match := pattern.search(rel):
            path = "/" + match.group(1).replace(".", "/")
            hits.append((_rank(path), path, rel, 1))
    return hits


def detect(repo: RepoView, found: Findings) -> None:
    for draft in found.services:
        if draft.value("kind", "web") != "web":
            continue
        if draft.value("runtime") == "static":
            # A static site serves files: the routes in its code are calls to an API, not its own.
            draft.claim("health_check_path", "/", None, None, "no health route found; the root path", Rank.DEFAULT)
            continue
        hits: list[tuple[int, str, str, int]] = []
        fastapi = draft.value("framework") in ("fastapi", "starlette")
        python_files = repo.source_files(draft.root, (".py",), limit=200) if fastapi else []
        for rel in repo.matching(repo.source_files(draft.root, SUFFIXES), _ROUTES):
            for pattern in _ROUTES:
                for line, match in repo.search(rel, pattern):
                    if commented(rel, repo.lines(rel)[line - 1], match.start()):
                        continue  # a commented-out route is served by nobody
                    path = match.group(1)
                    # Kept as declared: /health/ and /health are different routes in Django and FastAPI.
                    path = (path if path.startswith("/") else "/" + path) + match.group(2)
                    if fastapi and rel.endswith(".py"):
                        path = router_prefix(repo, draft.root, python_files, rel, line).rstrip("/") + path
                    hits.append((_rank(path), path, rel, line))
        framework = draft.value("framework")
        if framework == "nest":
            hits.extend(_nest_routes(repo, draft.root))
        elif framework == "next":
            hits.extend(_next_routes(repo, draft.root))
        elif framework in _FILE_ROUTES:
            hits.extend(_file_routes(repo, draft.root, _FILE_ROUTES[framework]))
        if hits:
            _, path, rel, line = min(hits, key=lambda h: (h[0], h[2].count("/"), h[2], h[3]))
            draft.claim("health_check_path", path, rel, line, f"route {path} declared here", Rank.CODE)
        draft.claim("health_check_path", "/", None, None, "no health route found; the root path", Rank.DEFAULT)


def _nest_routes(repo: RepoView, root: str) -> list[tuple[int, str, str, int]]:
    """Health routes a NestJS controller declares, with the controller's and the global prefix."""
    files = repo.source_files(root, (".ts", ".js"))
    prefix = next((m.group(1) for rel in files for _, m in repo.search(rel, _NEST_PREFIX)), "")
    hits = []
    for rel in repo.matching(files, (_NEST_CONTROLLER,)):
        controller = ""
        for line, text in enumerate(repo.lines(rel), start=1):
            if match := _NEST_CONTROLLER.search(text):
                controller = match.group(1) or ""
            elif match := _NEST_GET.search(text):
                path = "/" + "/".join(p for p in (prefix, controller, match.group(1) or "") if p)
                if _rank(path) < len(PREFERENCE):
                    hits.append((_rank(path), path, rel, line))
    return hits


def _next_routes(repo: RepoView, root: str) -> list[tuple[int, str, str, int]]:
    """Next.js route handlers and API pages whose file path is a health route."""
    hits = []
    # Route files sit deep (app/api/health/route.ts): look past the usual entry-point scan.
    for rel in repo.source_files(root, (".js", ".mjs", ".ts", ".jsx", ".tsx"), limit=5000):
        if match := _NEXT_ROUTE.search(rel):
            folders = (match.group(1) or match.group(3) or "").rstrip("/")
            # Route groups like (marketing) do not show in the URL.
            folders = "/".join(f for f in folders.split("/") if f and not f.startswith("("))
            path = "/" + "/".join(p for p in (folders, match.group(2) or match.group(4)) if p)
            hits.append((_rank(path), path, rel, 1))
    return hits
