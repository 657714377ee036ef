"""Redis from client libraries, queue libraries that need it, and redis:// URLs."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..repo import RepoView
from .database import dependency_pattern
from .datastore_scan import scan

_URL = re.compile(r"rediss?://")
RULES = {
    "manifest": [
        (dependency_pattern("redis", "ioredis", "bull", "bullmq", "connect-redis", "bee-queue", "rq", "arq", "django-redis",
              "aioredis", "redis-py-cluster", "celery[redis]", "dramatiq[redis]", "channels-redis",
              "github.com/redis/go-redis/v9", "github.com/go-redis/redis", "github.com/go-redis/redis/v8",
              "github.com/gomodule/redigo", "spring-boot-starter-data-redis", "jedis", "lettuce-core",
              "sidekiq", "resque", "predis/predis", "ext-redis"), "redis", "Redis client or Redis-backed queue dependency"),
    ],
    "env": [
        (_URL, "redis", "Redis URL in the env sample"),
        (re.compile(r"^\s*(?:CACHE_DRIVER|CACHE_STORE|QUEUE_CONNECTION|SESSION_DRIVER)\s*=\s*redis"), "redis",
         "Laravel driver set to redis"),
    ],
    "config": [(_URL, "redis", "Redis URL in config")],
    "code": [
        (_URL, "redis", "Redis URL in code"),
        (re.compile(r"CELERY_BROKER_URL.*redis|broker\s*=\s*['\"]redis"), "redis", "Celery broker is Redis"),
    ],
}
RANKS = {"config": Rank.CONFIG, "code": Rank.CODE, "env": Rank.ENV_SAMPLE, "manifest": Rank.MANIFEST}


def detect(repo: RepoView, found: Findings) -> None:
    for kind, _value, path, line, reason in scan(repo, RULES):
        found.add_cache(path, line, reason, RANKS[kind])
