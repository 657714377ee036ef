"""Recon on a synthetic 50,000-file monorepo versus a plain os.walk over the same tree.

Recon must prune node_modules, .git and ignored folders instead of walking them, so its time
(walk + every detector + merge) should stay within 1.5x of a bare directory walk, or beat it.

    .venv/bin/python bench/recon.py [--files 50000] [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hivemind.recon import analyse_repo  # noqa: E402
from hivemind.recon.walk import iter_repo_relpaths  # noqa: E402

SERVICE_KINDS = ("node", "python", "go")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def build_monorepo(root: Path, total: int) -> dict[str, int]:
    """~60% node_modules, ~20% .git objects, ~4% ignored build output, the rest app source."""
    counts = {"node_modules": int(total * 0.60), "git": int(total * 0.20), "ignored": int(total * 0.04)}
    counts["source"] = total - sum(counts.values())
    _write(root / ".gitignore", "*.log\ncoverage-report/\n")
    # node_modules: packages with their own package.json (which recon must not mistake for apps).
    for i in range(counts["node_modules"]):
        pkg = root / "node_modules" / f"pkg{i // 25}"
        name = "package.json" if i % 25 == 0 else f"lib/file{i % 25}.js"
        _write(pkg / name, '{"name": "x", "dependencies": {"express": "1"}}' if name == "package.json"
               else "module.exports = function () { return 42; };\n")
    for i in range(counts["git"]):
        _write(root / ".git" / "objects" / f"{i % 256:02x}" / f"{i:038x}", "x" * 64)
    for i in range(counts["ignored"]):
        _write(root / "coverage-report" / f"d{i // 100}" / f"f{i}.html", "<p>cov</p>\n")
    services = max(1, counts["source"] // 400)
    written = 0
    for s in range(services):
        kind = SERVICE_KINDS[s % len(SERVICE_KINDS)]
        base = root / "services" / f"svc-{s}"
        if kind == "node":
            _write(base / "package.json", '{"name": "svc", "scripts": {"start": "node index.js"}, '
                                          '"dependencies": {"express": "^4", "pg": "^8"}}')
            _write(base / "index.js", "const app = require('express')();\napp.get('/health', (q, r) => r.send('ok'));\n"
                                      "app.listen(process.env.PORT || 3000);\n")
            ext = ".js"
        elif kind == "python":
            _write(base / "requirements.txt", "fastapi\nuvicorn\nredis\n")
            _write(base / "main.py", "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/healthz')\ndef h():\n    return {}\n")
            ext = ".py"
        else:
            _write(base / "go.mod", "module example.com/svc\n\ngo 1.22\n")
            _write(base / "main.go", 'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n')
            ext = ".go"
        written += 3
        per_service = (counts["source"] - 3 * services) // services
        for f in range(per_service):
            _write(base / "src" / f"m{f // 50}" / f"f{f}{ext}", f"// module {f}\nconst value{f} = {f};\n")
            written += 1
    while written < counts["source"]:
        _write(root / "docs-extra" / f"note{written}.md", "# note\n")
        written += 1
    return counts


def plain_walk(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(best, median, result) over `repeat` runs; best is the usual micro-benchmark figure (least
    disturbed by other processes), the median is printed too so noise is visible."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hivemind-bench-") as tmp:
        root = Path(tmp) / "monorepo"
        start = time.perf_counter()
        counts = build_monorepo(root, args.files)
        print(f"built {args.files} files in {time.perf_counter() - start:.1f}s: {counts}")
        plain_walk(root)  # warm the OS directory cache for both contenders
        walk_best, walk_median, walked = timed(lambda: plain_walk(root), args.repeat)
        pruned_best, pruned_median, indexed = timed(lambda: sum(1 for _ in iter_repo_relpaths(root)), args.repeat)
        recon_best, recon_median, plan = timed(lambda: analyse_repo(root), args.repeat)
        print(f"{'':14}   best (median) over {args.repeat} runs")
        print(f"plain os.walk : {walk_best * 1000:7.1f} ms ({walk_median * 1000:.1f})  {walked} files, the baseline")
        print(f"recon walk    : {pruned_best * 1000:7.1f} ms ({pruned_median * 1000:.1f})  "
              f"{indexed} files indexed; pruned and .gitignored folders skipped")
        print(f"recon         : {recon_best * 1000:7.1f} ms ({recon_median * 1000:.1f})  {len(plan.services)} services, "
              f"database={plan.database.engine if plan.database else None}, cache={bool(plan.cache)}")
        print(f"ratio recon/walk: {recon_best / walk_best:.2f} best, {recon_median / walk_median:.2f} median  (target <= 1.5)")


if __name__ == "__main__":
    main()
