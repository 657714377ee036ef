"""DNS- and CloudFormation-safe names for deployments and services."""
from __future__ import annotations

import re

MAX_PLAN_NAME = 40
MAX_SERVICE_NAME = 31


def safe_name(raw: str, *, max_length: int = MAX_PLAN_NAME, fallback: str = "app") -> str:
    """'My_Cool.App!' -> 'my-cool-app', '2048' -> 'app-2048': starts with a letter, 2+ characters."""
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    if not name:
        return fallback
    if not name[0].isalpha() or len(name) < 2:
        name = f"{fallback}-{name}"
    return name[:max_length].rstrip("-")


def unique(name: str, taken: set[str], *, max_length: int = MAX_SERVICE_NAME) -> str:
    candidate, counter = name, 2
    while candidate in taken:
        suffix = f"-{counter}"
        candidate = name[: max_length - len(suffix)].rstrip("-") + suffix
        counter += 1
    taken.add(candidate)
    return candidate


def check_plan_name(name: str) -> str:
    """A user-given deployment name, validated with a one-line error instead of a traceback."""
    from ..errors import ReconError
    from ..plan.models import NAME_PATTERN

    if not NAME_PATTERN.fullmatch(name):
        raise ReconError(f"invalid name {name!r}: use 2-40 lower-case letters, digits and '-', starting with a letter")
    return name
