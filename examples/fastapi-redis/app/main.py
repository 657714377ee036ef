"""A page-hit counter: FastAPI in front of Redis."""
import os

import redis
from fastapi import FastAPI

app = FastAPI(title="hit counter")
store = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"), decode_responses=True)


@app.get("/healthz")
def healthz() -> dict:
    store.ping()
    return {"status": "ok"}


@app.post("/hits/{page}")
def hit(page: str) -> dict:
    return {"page": page, "hits": store.incr(f"hits:{page}")}


@app.get("/hits/{page}")
def hits(page: str) -> dict:
    return {"page": page, "hits": int(store.get(f"hits:{page}") or 0)}
