"""Where a port number hides: listen() calls, run(port=...), PORT env defaults, command flags."""
from __future__ import annotations

import re

from .repo import RepoView

# Ports of databases and caches: a `port: 5432` in code is a client setting, not the app's port.
STORE_PORTS = frozenset({5432, 3306, 6379, 27017, 11211, 9200, 5672})
# Mail, directory and shell ports: a `port: 465` beside a mailer is the SMTP server's, never the app's.
CLIENT_PORTS = frozenset({21, 22, 25, 110, 143, 389, 465, 587, 636, 993, 995, 1025, 2525})

_NUM = r"(\d{2,5})"
_ENV_DEFAULT = [
    # process.env.PORT || 3000, process.env.PORT ?? 3000, Number(process.env.PORT) || 3000,
    # parseInt(process.env.PORT, 10) || 3000
    # (also behind other variables: process.env.PORT || process.env.OPENSHIFT_PORT || 8080), and an
    # app-specific name (process.env.NODE_DOCKER_PORT || 8080; not a DB_PORT or SMTP_PORT)
    re.compile(r"process\.env\.(?:PORT|(?!\w*(?:DB|DATABASE|REDIS|MONGO|SMTP|MAIL|PG|MYSQL|CACHE))\w*_PORT)(?:\s*,\s*10)?\s*\)?(?:\s*(?:\|\||\?\?)\s*process\.env\.\w+)*\s*(?:\|\||\?\?)\s*['\"]?" + _NUM),
    # os.environ.get("PORT", 5000), os.getenv('PORT', '8000')
    re.compile(r"(?:environ\.get|getenv)\(\s*['\"](?:PORT|(?!\w*(?:DB|DATABASE|REDIS|MONGO|SMTP|MAIL|PG|MYSQL|CACHE))\w*_PORT)['\"]\s*,\s*['\"]?"
               + _NUM),
    # ENV.fetch("PORT", 3000), ENV.fetch("PORT") { 3000 }
    re.compile(r"ENV\.fetch\(\s*['\"]PORT['\"]\s*(?:,\s*|\)\s*\{\s*)['\"]?" + _NUM),
    # ${PORT:-8080} in shell or compose
    re.compile(r"\$\{PORT:-" + _NUM + r"\}"),
]
_READS_PORT_ENV = re.compile(
    r"process\.env\.PORT|(?:environ\.get|getenv|Getenv)\(\s*['\"]PORT['\"]|environ\[['\"]PORT['\"]\]|ENV\.fetch\(\s*['\"]PORT['\"]"
    r"|ENV\[['\"]PORT['\"]\]|\$\{?PORT\b"
)
CODE_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "js": [
        re.compile(r"\.listen\(\s*" + _NUM + r"\b"),
        re.compile(r"\.listen\(\s*\{[^}]*\bport\s*:\s*(?:[\w.]+\s*(?:\|\||\?\?)\s*)?['\"]?" + _NUM),
        re.compile(r"(?i)\bport\b\s*[:=]\s*['\"]?" + _NUM + r"\b"),
    ],
    "py": [
        re.compile(r"\.run\([^)]*\bport\s*=\s*['\"]?" + _NUM),
        re.compile(r"(?i)^\s*port\s*=\s*(?:int\()?['\"]?" + _NUM + r"\b"),
    ],
    "go": [
        re.compile(r"(?:ListenAndServe(?:TLS)?|\.Run|\.Listen|\.Start)\(\s*\"[\w.]*:" + _NUM + r"\""),
        re.compile(r"(?i)\bport\b\s*:?=\s*\"" + _NUM + r"\""),
        re.compile(r"\"(?:0\.0\.0\.0|localhost|127\.0\.0\.1)?:" + _NUM + r"\""),
    ],
    "rb": [re.compile(r"(?:set\s+:port,|\bport\s*\(?)\s*['\"]?" + _NUM)],
    "php": [re.compile(r"--port[= ]" + _NUM)],
}
_COMMAND_PATTERNS = [
    re.compile(r"(?:--port|--listen|-p|-l|--http-port)[= ]" + _NUM + r"\b"),
    re.compile(r"(?:--bind|-b)[= ]['\"]?[\w.\[\]:]*:" + _NUM + r"\b"),
    re.compile(r"\brunserver\s+(?:[\w.]+:)?" + _NUM + r"\b"),
    re.compile(r"\bPORT=" + _NUM + r"\b"),
    re.compile(r"\$\{PORT:-" + _NUM + r"\}"),
]


def _valid(text: str) -> int | None:
    port = int(text)
    return port if 1 <= port <= 65535 and port not in STORE_PORTS and port not in CLIENT_PORTS else None


def port_in_command(command: str) -> int | None:
    for pattern in _COMMAND_PATTERNS:
        match = pattern.search(command)
        if match and (port := _valid(match.group(1))):
            return port
    return None


def port_in_code(repo: RepoView, files: list[str], language: str) -> tuple[int, str, int, str] | None:
    """(port, path, line, reason) of the first port found: PORT-env defaults first, then
    language-specific listen/run calls, file by file in the given (entry-points-first) order."""
    patterns = [(p, "PORT environment default") for p in _ENV_DEFAULT]
    patterns += [(p, "port in code") for p in CODE_PATTERNS.get(language, [])]
    files = repo.matching(files, tuple(p for p, _ in patterns))
    for pattern, why in patterns:
        for rel in files:
            for line, match in repo.search(rel, pattern):
                if port := _valid(match.group(1)):
                    return port, rel, line, f"{why}: {match.group(0).strip()[:60]}"
    return None


def reads_port_env(repo: RepoView, files: list[str]) -> tuple[str, int] | None:
    """Where the app reads $PORT, so the plan can set it to the port the load balancer uses."""
    for rel in files:
        hit = repo.first(rel, _READS_PORT_ENV)
        if hit:
            return rel, hit[0]
    return None
