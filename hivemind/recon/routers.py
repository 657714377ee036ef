"""FastAPI router prefixes: a route declared as `@router.get("/health")` is served under the
prefixes of its APIRouter and of every include_router() that mounts it (up to a few levels), so
`/health-check/` in api/routes/utils.py may really be `/api/v1/utils/health-check/`."""
from __future__ import annotations

import re

from .repo import RepoView

MAX_LEVELS = 4
_ROUTER = re.compile(r"""^(\w+)\s*(?::\s*\w+\s*)?=\s*APIRouter\((.*)$""")
_PREFIX_ARG = re.compile(r"""\bprefix\s*=\s*(['"][^'"]*['"]|[\w.]+)""")
_INCLUDE = re.compile(r"""\.include_router\(\s*([\w.]+)(.*)$""")


def _value(repo: RepoView, files: list[str], expression: str) -> str | None:
    """A prefix argument: a string literal, or a settings constant defined as one (API_V1_STR)."""
    if expression[:1] in "'\"":
        return expression[1:-1]
    name = re.escape(expression.rsplit(".", 1)[-1])
    pattern = re.compile(r"""^\s*""" + name + r"""\s*(?::\s*\w+\s*)?=\s*['"]([^'"]*)['"]""")
    return next((hit[1].group(1) for rel in files if (hit := repo.first(rel, pattern))), None)


def _module(rel: str, root: str) -> str:
    inside = rel if root == "." else rel[len(root) + 1:]
    return inside.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def router_prefix(repo: RepoView, root: str, files: list[str], rel: str, line: int) -> str:
    """The prefix under which the route declared at `rel:line` is served ('' when none is known)."""
    decorator = repo.lines(rel)[line - 1]
    owner = re.match(r"^\s*@(\w+)\.", decorator)
    if owner is None:
        return ""
    variable, prefix = owner.group(1), ""
    for _ in range(MAX_LEVELS):
        own = next((m for text in repo.lines(rel) if (m := _ROUTER.match(text)) and m.group(1) == variable), None)
        if own and (arg := _PREFIX_ARG.search(own.group(2))):
            prefix = (_value(repo, files, arg.group(1)) or "") + prefix
        # Who mounts it: `include_router(utils.router, prefix=...)` or `include_router(api_router, ...)`.
        module = _module(rel, root)
        leaf = module.rsplit(".", 1)[-1]
        mounted = None
        for other in repo.matching(files, (_INCLUDE,)):
            for number, match in repo.search(other, _INCLUDE):
                target = match.group(1)
                if target in (f"{leaf}.{variable}", f"{module}.{variable}") or (other == rel and target == variable) \
                        or (target == variable and repo.first(other, re.compile(
                            r"""^\s*from\s+[\w.]*""" + re.escape(leaf) + r"""\s+import\s+.*\b""" + re.escape(variable)))):
                    mounted = (other, number, match)
                    break
            if mounted:
                break
        if mounted is None:
            return prefix
        other, number, match = mounted
        if arg := _PREFIX_ARG.search(match.group(2)):
            prefix = (_value(repo, files, arg.group(1)) or "") + prefix
        holder = re.match(r"^\s*(\w+)\.include_router", repo.lines(other)[number - 1])
        if holder is None:
            return prefix
        rel, variable = other, holder.group(1)
    return prefix
