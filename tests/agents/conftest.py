"""Fixtures for the agent tests: a scripted OpenAI-compatible server and small repositories."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hivemind.agents.config import LLMConfig

from .fake_openai import ScriptedOpenAIServer

SERVER_JS = """\
const express = require("express");
const app = express();

app.get("/healthz", (_req, res) => res.json({ ok: true }));

app.get("/payments", (_req, res) => res.json([]));

const port = process.env.PORT || 4000;
app.listen(port, () => console.log(`listening on ${port}`));
"""

JOBS_JS = """\
// Nightly settlement job: run by the scheduler, not by the web process.
const cron = require("node-cron");
cron.schedule("0 2 * * *", () => settle());
function settle() { /* ... */ }
"""


@pytest.fixture
def llm_server():
    with ScriptedOpenAIServer() as server:
        yield server


@pytest.fixture
def llm(llm_server) -> LLMConfig:
    """Small timeouts and no retries unless a test asks for them."""
    return LLMConfig(api_key="sk-test-secret-123", base_url=llm_server.base_url, timeout=2.0, max_retries=0,
                     budget_tokens=50_000)


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def node_repo(tmp_path) -> Path:
    """An Express payments API with a nightly job, a .gitignore'd file and vendored noise."""
    root = tmp_path / "payments"
    package = {"name": "payments", "version": "1.0.0", "scripts": {"start": "node src/server.js",
                                                                     "jobs": "node src/jobs.js"},
               "dependencies": {"express": "^4.21.1", "node-cron": "^3.0.3"}}
    return write_repo(root, {
        "package.json": json.dumps(package, indent=2) + "\n",
        "src/server.js": SERVER_JS,
        "src/jobs.js": JOBS_JS,
        ".gitignore": "secret-notes.txt\n",
        "secret-notes.txt": "do not read me\n",
        ".env": "STRIPE_KEY=sk_live_should_never_leave\n",
        ".env.example": "PORT=4000\nSTRIPE_KEY=\n",
        "node_modules/express/index.js": "module.exports = {};\n",
        "README.md": "# Payments\n\nPayments API with a nightly settlement job.\n",
    })
