"""One small detector per ecosystem or file kind. Each is `detect(repo, found) -> None`: it reads
what it knows, adds claims (with path:line and why) to `found`, and never raises on odd input.

The order matters: language detectors create services; the Dockerfile, Procfile and static
detectors fill gaps or reshape them; data-store detectors then look at the whole repository;
the health-check detector runs last, on the services that exist by then.
"""
from __future__ import annotations

from . import (
    compose, database, descriptors, dockerfile, env_sample, golang, health, java, needs, node, php, procfile, python,
    redis, release, ruby, served, static,
)

PIPELINE = (
    node, python, golang, java, ruby, php, static, dockerfile, procfile, descriptors, served, env_sample,
    database, redis, compose, release, needs, health,
)

__all__ = ["PIPELINE"]
