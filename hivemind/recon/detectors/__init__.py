"""One small detector per ecosystem or file kind. Each is `detect(repo, found) -> None`: it reads
what it knows, adds claims (with path:line and why) to `found`, and never raises on odd input.

The order matters: language detectors create services; the static, Dockerfile and Procfile
detectors fill gaps or reshape them; deploy descriptors (fly.toml, render.yaml, ...) then add what
the authors declared, and front ends another service serves are folded into it; data-store
detectors look at the whole repository, compose adds ports, commands and workers; release
commands and needs come once the data stores are known; health paths last, on the final services.
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
