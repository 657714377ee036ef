"""What the Recon agent sends to the LLM for a 10-file repository versus the same application
buried in a 50,000-file repository (node_modules, .git objects, ignored build output and
thousands of extra source files). The digest and tool results are bounded, so the large one must
cost at most 1.5x the small one, in request bytes and in tokens.

Both runs talk to the scripted OpenAI-compatible server of the tests over HTTP, with the same
script: list_dir, read_file, grep, then a final proposal.

    .venv/bin/python bench/llm_budget.py [--files 50000] [--monorepo]

--monorepo adds, for information, bench/recon.py's 50,000-file monorepo (about 20 services): its
draft plan is larger because the application is, which the 1.5x rule does not cover.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from hivemind.agents import RepoSandbox, refine_plan  # noqa: E402
from hivemind.agents.config import LLMConfig  # noqa: E402
from hivemind.agents.digest import repo_digest  # noqa: E402
from hivemind.recon import analyse_repo  # noqa: E402
from tests.agents.fake_openai import ScriptedOpenAIServer, answer, tool_calls  # noqa: E402

MAX_RATIO = 1.5

APP = {
    "package.json": json.dumps({"name": "payments", "version": "1.0.0",
                                "scripts": {"start": "node src/server.js", "jobs": "node src/jobs.js"},
                                "dependencies": {"express": "^4.21.1", "pg": "^8.13.1", "node-cron": "^3.0.3"}},
                               indent=2) + "\n",
    "src/server.js": "const express = require(\"express\");\nconst payments = require(\"./routes/payments\");\n"
                     "const refunds = require(\"./routes/refunds\");\nconst app = express();\n"
                     "app.get(\"/health\", (_q, r) => r.json({ ok: true }));\napp.use(\"/payments\", payments);\n"
                     "app.use(\"/refunds\", refunds);\napp.listen(process.env.PORT || 3000);\n",
    "src/jobs.js": "const cron = require(\"node-cron\");\nconst { settle } = require(\"./db\");\n"
                   "cron.schedule(\"0 2 * * *\", settle);\n",
    "src/db.js": "const { Pool } = require(\"pg\");\nconst pool = new Pool({ connectionString: "
                 "process.env.DATABASE_URL });\nmodule.exports = { pool, settle: () => pool.query(\"SELECT 1\") };\n",
    "src/routes/payments.js": "const router = require(\"express\").Router();\n"
                              "router.get(\"/\", (_q, r) => r.json([]));\nmodule.exports = router;\n",
    "src/routes/refunds.js": "const router = require(\"express\").Router();\n"
                             "router.post(\"/\", (_q, r) => r.status(201).end());\nmodule.exports = router;\n",
    ".env.example": "PORT=3000\nDATABASE_URL=postgres://app:app@localhost:5432/app\n",
    ".gitignore": "coverage/\n*.log\n",
    "Dockerfile": "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"npm\", \"start\"]\n",
    "README.md": "# Payments\n\nPayments API with a nightly settlement job.\n",
}

PROPOSAL = {"summary": "Express payments API with a nightly settlement job.", "changes": [
    {"field": "services[1]", "value": {"name": "jobs", "kind": "worker", "runtime": "node",
                                       "start_command": "npm run jobs"},
     "source": "src/jobs.js:3", "reason": "node-cron schedules the nightly settlement"},
]}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def build_small(root: Path) -> int:
    for rel, text in APP.items():
        _write(root / rel, text)
    return len(APP)


def build_large(root: Path, total: int) -> int:
    """The same app plus noise: 60% node_modules, 20% .git, 10% ignored coverage, 10% more source."""
    build_small(root)
    noise = total - len(APP)
    parts = {"node_modules": int(noise * 0.6), "git": int(noise * 0.2), "coverage": int(noise * 0.1)}
    parts["source"] = noise - sum(parts.values())
    for i in range(parts["node_modules"]):
        _write(root / "node_modules" / f"pkg{i // 20}" / f"f{i % 20}.js", "module.exports = 42;\n")
    for i in range(parts["git"]):
        _write(root / ".git" / "objects" / f"{i % 256:02x}" / f"{i:038x}", "x" * 64)
    for i in range(parts["coverage"]):
        _write(root / "coverage" / f"d{i // 100}" / f"f{i}.html", "<p>cov</p>\n")
    for i in range(parts["source"]):
        _write(root / "src" / "lib" / f"m{i // 100}" / f"mod{i}.js", f"module.exports = {{ id: {i} }};\n")
    return total


def script():
    return [tool_calls(("list_dir", {"path": ".", "why": "layout"})),
            tool_calls(("read_file", {"path": "src/jobs.js", "why": "is there a scheduled job?"})),
            tool_calls(("grep", {"pattern": r"process\.env\.[A-Z_]+", "glob": "*.js", "why": "env vars"})),
            answer(PROPOSAL)]


def measure(label: str, root: Path, files_on_disk: int) -> dict:
    start = time.perf_counter()
    draft = analyse_repo(root)
    sandbox = RepoSandbox(root)
    digest_bytes = len(repo_digest(sandbox).encode())
    with ScriptedOpenAIServer(script()) as server:
        llm = LLMConfig(api_key="bench", base_url=server.base_url, timeout=10, max_retries=0)
        result = refine_plan(draft, root, description="payments API with nightly jobs", llm=llm)
        sent = sum(server.request_bytes)
    if not result.used_llm:
        raise SystemExit(f"{label}: the agent run failed: {result.notice}")
    return {"label": label, "files": files_on_disk, "visible": len(sandbox.files), "requests": result.requests,
            "bytes": sent, "tokens": result.tokens,
            "digest": digest_bytes, "accepted": len(result.report.accepted), "seconds": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--monorepo", action="store_true", help="also measure bench/recon.py's monorepo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hivemind-llm-bench-") as tmp:
        os.environ["HIVEMIND_HOME"] = str(Path(tmp) / "home")  # step logs stay out of ~/.hivemind
        small_root, large_root = Path(tmp) / "small" / "payments", Path(tmp) / "large" / "payments"
        rows = [measure("10-file repo", small_root, build_small(small_root))]
        start = time.perf_counter()
        total = build_large(large_root, args.files)
        print(f"built {total:,} files in {time.perf_counter() - start:.1f}s")
        rows.append(measure(f"{total:,}-file repo", large_root, total))
        if args.monorepo:
            sys.path.insert(0, str(ROOT / "bench"))
            from recon import build_monorepo

            mono = Path(tmp) / "mono" / "monorepo"
            build_monorepo(mono, args.files)
            rows.append(measure(f"{args.files:,}-file monorepo (info)", mono, args.files))

    print(f"{'repository':<32}{'files':>8}{'visible':>9}{'requests':>10}{'bytes sent':>12}{'tokens':>9}"
          f"{'digest B':>10}{'accepted':>10}{'time s':>8}")
    for r in rows:
        print(f"{r['label']:<32}{r['files']:>8,}{r['visible']:>9,}{r['requests']:>10}{r['bytes']:>12,}"
              f"{r['tokens']:>9,}{r['digest']:>10,}{r['accepted']:>10}{r['seconds']:>8.2f}")
    small, large = rows[0], rows[1]
    byte_ratio, token_ratio = large["bytes"] / small["bytes"], large["tokens"] / small["tokens"]
    ok = byte_ratio <= MAX_RATIO and token_ratio <= MAX_RATIO
    print(f"ratio large/small: bytes {byte_ratio:.2f}, tokens {token_ratio:.2f} (limit {MAX_RATIO}) "
          f"-> {'OK' if ok else 'OVER BUDGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
