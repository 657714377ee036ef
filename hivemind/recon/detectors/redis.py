"""Redis from parsed client and queue dependencies, Redis-backed settings and redis:// URLs."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..manifests import repo_dependencies
from ..repo import RepoView
from .database import ENV_DEFAULT_RANK
from .datastore_scan import scan

# Redis clients and libraries that cannot run without Redis (queues, session stores, channel layers).
CLIENTS = frozenset({
    "redis", "ioredis", "bull", "bullmq", "connect-redis", "bee-queue", "@socket.io/redis-adapter", "rate-limit-redis",
    "rq", "arq", "django-redis", "aioredis", "redis-py-cluster", "channels-redis", "django-rq", "flask-rq2",
    "github.com/redis/go-redis/v9", "github.com/go-redis/redis", "github.com/go-redis/redis/v8",
    "github.com/gomodule/redigo", "github.com/redis/rueidis", "github.com/hibiken/asynq",
    "org.springframework.boot:spring-boot-starter-data-redis", "redis.clients:jedis", "io.lettuce:lettuce-core",
    "org.redisson:redisson", "sidekiq", "resque", "kredis", "redis-rails", "hiredis", "predis/predis", "ext-redis",
    "snc/redis-bundle",
})
def is_client(name: str) -> bool:
    """A Redis client, whatever Go major version its module path carries (go-redis/redis/v7)."""
    return name in CLIENTS or re.sub(r"/v\d+$", "", name) in CLIENTS


# Extras that make a queue library use Redis: celery[redis], dramatiq[redis].
_EXTRA_OF = frozenset({"celery", "dramatiq", "kombu", "huey"})
_URL = re.compile(r"rediss?://")
RULES = {
    "env": [
        (_URL, "redis", "Redis URL in the env sample"),
        (re.compile(r"^\s*(?:CACHE_DRIVER|CACHE_STORE|QUEUE_CONNECTION|SESSION_DRIVER|BROADCAST_DRIVER)\s*=\s*redis"),
         "redis", "Laravel driver set to redis"),
    ],
    "config": [
        (_URL, "redis", "Redis URL in config"),
        (re.compile(r"adapter:\s*['\"]?redis\b"), "redis", "Redis adapter in config"),
    ],
    "code": [
        (_URL, "redis", "Redis URL in code"),
        (re.compile(r"CELERY_BROKER_URL.*redis|broker\s*=\s*['\"]redis"), "redis", "Celery broker is Redis"),
    ],
}
RANKS = {"config": Rank.CONFIG, "code": Rank.CODE, "env": Rank.ENV_SAMPLE}


def detect(repo: RepoView, found: Findings) -> None:
    seen: set[str] = set()
    for dep in repo_dependencies(repo):
        if dep.dev or dep.path in seen:
            continue
        if is_client(dep.name) or (dep.name in _EXTRA_OF and "redis" in dep.extras):
            seen.add(dep.path)
            what = f"{dep.name}[redis]" if dep.name in _EXTRA_OF else dep.name
            found.add_cache(dep.path, dep.line, f"Redis client or Redis-backed queue dependency {what}", Rank.MANIFEST,
                            optional=dep.optional)
    for hit in scan(repo, RULES):
        rank = ENV_DEFAULT_RANK if hit.env_default else RANKS[hit.kind]
        reason = hit.reason + (" (default of an environment variable)" if hit.env_default else "")
        if hit.optional:
            reason += " (optional: only when configured so)"
        found.add_cache(hit.path, hit.line, reason, rank, optional=hit.optional)
