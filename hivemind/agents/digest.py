"""A compact digest of a repository for an LLM: tree summary, manifests, entry points, env samples
and a README excerpt, with line numbers so the model can cite `path:line`.

Every section has its own byte cap and the whole digest a total cap, so a 50,000-file repository
costs about the same as a 10-file one: the model reads more through tools only if it needs to."""
from __future__ import annotations

from collections import Counter

from ..recon.repo import is_app_path, parent_of
from ..recon.walk import read_text_bounded
from .repo_tools import RepoSandbox, is_secret_file
from .tools import truncate_utf8

MAX_DIGEST_BYTES = 12 * 1024
TREE_BYTES = 2_000
MANIFEST_BYTES, MANIFEST_EACH, MANIFEST_COUNT = 5_000, 1_500, 6
ENTRY_BYTES, ENTRY_EACH, ENTRY_COUNT = 4_000, 1_500, 4
ENV_BYTES, ENV_EACH, ENV_COUNT = 1_000, 600, 2
README_BYTES = 1_200

MANIFEST_NAMES = (
    "package.json", "requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "go.mod", "pom.xml",
    "build.gradle", "build.gradle.kts", "Gemfile", "composer.json", "Dockerfile", "docker-compose.yml",
    "docker-compose.yaml", "compose.yaml", "compose.yml", "Procfile", "app.json", "fly.toml",
    "render.yaml", "railway.json", "railway.toml", "heroku.yml", "pnpm-workspace.yaml",
)
ENTRY_NAMES = (
    "main.py", "app.py", "server.py", "wsgi.py", "asgi.py", "manage.py", "worker.py", "tasks.py",
    "index.js", "server.js", "app.js", "main.js", "index.ts", "server.ts", "main.ts", "app.ts",
    "main.go", "config.ru", "index.php", "Application.java", "jobs.js", "worker.js", "celery.py",
)
ENV_SAMPLE_NAMES = (".env.example", ".env.sample", ".env.template", ".env.dist", "env.example", "example.env")
README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md")


def _pick(sandbox: RepoSandbox, names: tuple[str, ...], count: int) -> list[str]:
    """Files with one of `names`, app folders only, shallowest first, then in `names` order."""
    order = {name: i for i, name in enumerate(names)}
    found = [rel for rel in sandbox.files if rel.rsplit("/", 1)[-1] in order
             and is_app_path(parent_of(rel)) and not is_secret_file(rel)]
    found.sort(key=lambda rel: (rel.count("/"), order[rel.rsplit("/", 1)[-1]], rel))
    return found[:count]


def numbered_excerpt(sandbox: RepoSandbox, rel: str, max_bytes: int) -> str | None:
    text = read_text_bounded(sandbox.root / rel, max_bytes=max_bytes + 1)
    if text is None:
        return None
    lines = [f"{n}| {line}" for n, line in enumerate(text.splitlines(), start=1)]
    return truncate_utf8("\n".join(lines), max_bytes)


def _files_section(title: str, sandbox: RepoSandbox, rels: list[str], each: int, total: int) -> str:
    parts: list[str] = []
    used = 0
    for rel in rels:
        budget = min(each, total - used)
        if budget < 200:
            parts.append(f"--- {rel} (not shown: section full; read_file it if needed)")
            continue
        excerpt = numbered_excerpt(sandbox, rel, budget)
        if excerpt is None:
            continue
        block = f"--- {rel}\n{excerpt}"
        used += len(block.encode("utf-8"))
        parts.append(block)
    return f"## {title}\n" + ("\n".join(parts) if parts else "(none)")


def tree_summary(sandbox: RepoSandbox, max_bytes: int = TREE_BYTES) -> str:
    """Top-level files, then each folder with its file count and main extensions, one level deep."""
    lines = [f"{len(sandbox.files)} visible files (ignored and vendored folders are hidden)"]
    top_dirs, top_files = sandbox.children(".")
    lines.extend(top_files)
    for name in top_dirs:
        lines.append(_dir_line(sandbox, name, indent=""))
        sub_dirs, _ = sandbox.children(name)
        for sub in sub_dirs[:6]:
            lines.append(_dir_line(sandbox, f"{name}/{sub}", indent="  "))
        if len(sub_dirs) > 6:
            lines.append(f"  ... {len(sub_dirs) - 6} more folders")
    return truncate_utf8("\n".join(lines), max_bytes)


def _dir_line(sandbox: RepoSandbox, rel: str, indent: str) -> str:
    count = sandbox.count(rel)
    # Extensions of a bounded sample keep this cheap for huge folders.
    sample = sandbox.files_under(rel, 2000)
    exts = Counter((f.rsplit(".", 1)[-1] if "." in f.rsplit("/", 1)[-1] else "(none)") for f in sample)
    top = ", ".join(f".{e} {n}" if e != "(none)" else f"no-ext {n}" for e, n in exts.most_common(3))
    return f"{indent}{rel.rsplit('/', 1)[-1]}/ ({count} files: {top})"


def repo_digest(sandbox: RepoSandbox, *, max_bytes: int = MAX_DIGEST_BYTES) -> str:
    sections = [
        "## Tree\n" + tree_summary(sandbox),
        _files_section("Manifests", sandbox, _pick(sandbox, MANIFEST_NAMES, MANIFEST_COUNT), MANIFEST_EACH,
                       MANIFEST_BYTES),
        _files_section("Entry points", sandbox, _pick(sandbox, ENTRY_NAMES, ENTRY_COUNT), ENTRY_EACH, ENTRY_BYTES),
        _files_section("Env samples", sandbox, _pick(sandbox, ENV_SAMPLE_NAMES, ENV_COUNT), ENV_EACH, ENV_BYTES),
        _files_section("README", sandbox, _pick(sandbox, README_NAMES, 1), README_BYTES, README_BYTES),
    ]
    return truncate_utf8("\n\n".join(sections), max_bytes)
