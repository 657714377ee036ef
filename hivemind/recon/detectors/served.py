"""A front end that another service builds and serves is part of that service, not a site of its
own: the server's code serves its build output (express.static('frontend/build')), or the server's
Dockerfile copies its sources in to build them into the image."""
from __future__ import annotations

import posixpath
import re

from ..draft import Findings
from ..repo import RepoView
from .dockerfile import is_dockerfile

CODE = (".js", ".mjs", ".cjs", ".ts", ".py", ".rb", ".go", ".php", ".java", ".kt")
_OUTPUT_DIR = re.compile(r"--directory\s+(\S+)")


def detect(repo: RepoView, found: Findings) -> None:
    servers = [d for d in found.services if d.value("runtime") not in ("static", None)
               and d.value("kind", "web") == "web"]
    for site in [d for d in found.services if d.value("runtime") == "static" and d.root != "."]:
        start = site.value("start_command") or ""
        out = (_OUTPUT_DIR.search(start).group(1) if _OUTPUT_DIR.search(start) else "dist").strip("/")
        for server in servers:
            if hit := _serves(repo, server.root, site.root, out) or _builds_in(repo, server.root, site.root):
                rel, line, how = hit
                found.services.remove(site)
                found.exclude(site.root, rel, line, f"{how}: part of the service in {server.root}, not a site of its own")
                break


def _serves(repo: RepoView, server_root: str, site_root: str, out: str):
    leaf = re.escape(site_root.rsplit("/", 1)[-1])
    # 'frontend/build', "/frontend/build", ('frontend', 'build'), "../frontend/dist"
    pattern = re.compile(r"""['"/]""" + leaf + r"""(?:/|['"]\s*,\s*['"])""" + re.escape(out) + r"""\b""")
    for rel in repo.matching(repo.source_files(server_root, CODE, limit=200), (pattern,)):
        if hit := repo.first(rel, pattern):
            return rel, hit[0], f"served from {site_root}/{out} by {rel}"
    return None


def _builds_in(repo: RepoView, server_root: str, site_root: str):
    """The server's Dockerfile copies the site's sources in (a build stage of the server image)."""
    names = {site_root, posixpath.relpath(site_root, server_root)} if server_root != "." else {site_root}
    pattern = re.compile(r"^\s*COPY\s+(?:--\S+\s+)*(?:\./)?(?:" + "|".join(re.escape(n) for n in names) + r")/?\s",
                         re.IGNORECASE)
    prefix = "" if server_root == "." else server_root + "/"
    for rel in repo.files:
        if rel.startswith(prefix) and "/" not in rel[len(prefix):] and is_dockerfile(rel):
            if hit := repo.first(rel, pattern):
                return rel, hit[0], f"built into the image by {rel}"
    return None
