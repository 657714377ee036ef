"""Static sites: plain HTML in the root or a public/ folder, or a front-end build (Vite, CRA, ...)
with no server of its own. Served with Python's built-in HTTP server, present on every Linux AMI."""
from __future__ import annotations

from ..draft import Findings, Rank
from ..repo import RepoView, is_app_path, join, parent_of
from ..workspaces import workspace_build
from .node import dependencies, line_of, load_package, package_manager

# Front-end build tools and the folder each one writes the site to.
BUILDERS = (
    ("astro", "astro", "dist"), ("gatsby", "gatsby", "public"), ("react-scripts", "create-react-app", "build"),
    ("@angular/cli", "angular", "dist"), ("@vue/cli-service", "vue", "dist"), ("vite", "vite", "dist"),
    ("parcel", "parcel", "dist"), ("@11ty/eleventy", "eleventy", "_site"),
    # Only reached for a static export: the node detector keeps every other Next.js app.
    ("next", "next", "out"),
)
WEB_ROOTS = ("", "public", "site", "www", "_site", "docs", "html")
PORT = 8080
SERVE = "python3 -m http.server {port} --directory {dir}"


def detect(repo: RepoView, found: Findings) -> None:
    # A folder of plain HTML outside every manifest folder is a site of its own (site/, www/...).
    html_roots = {parent_of(rel) for rel in repo.named("index.html")
                  if is_app_path(parent_of(rel)) and repo.owning_root(rel) == "."}
    for root in sorted({".", *repo.app_roots, *html_roots}):
        if found.services_at(root):
            continue
        if _from_build(repo, found, root) or _inside_service(found, root):
            continue
        # With services in subfolders, a root-level site/ is found as its own folder instead.
        web_roots = WEB_ROOTS[:1] if root == "." and found.services else WEB_ROOTS
        for web_root in web_roots:
            page = repo.in_root(root, join(web_root, "index.html") if web_root else "index.html")
            if page is None:
                continue
            draft = found.add_service(root)
            draft.claim("runtime", "static", page, None, "index.html with no server code", Rank.MANIFEST)
            draft.claim("start_command", SERVE.format(port="{port}", dir=web_root or "."), page, None,
                        "serve the files as they are", Rank.DEFAULT - 10)
            draft.claim("port", PORT, None, None, "static file server port", Rank.DEFAULT)
            break


def _inside_service(found: Findings, root: str) -> bool:
    """Plain HTML inside another service's folder (an app's public/) belongs to that service."""
    return root != "." and any(s.root == "." or root.startswith(s.root + "/") for s in found.services)


def _from_build(repo: RepoView, found: Findings, root: str) -> bool:
    rel = repo.in_root(root, "package.json")
    package = load_package(repo, rel) if rel else None
    if not package:
        return False
    if "workspaces" in package or repo.in_root(root, "pnpm-workspace.yaml"):
        return False  # a workspace root builds its packages; the sites among them are found in their folders
    deps = dependencies(package)
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    builder = next(((dep, name, out) for dep, name, out in BUILDERS if dep in deps), None)
    if builder is None or not isinstance(scripts.get("build"), str):
        return False
    dep, name, out = builder
    draft = found.add_service(root)
    draft.claim("runtime", "static", rel, line_of(repo, rel, dep), f"front-end build with {dep}, no server", Rank.MANIFEST)
    draft.claim("framework", name, rel, line_of(repo, rel, dep), f"depends on {dep}", Rank.MANIFEST)
    install, runner = package_manager(repo, root)
    build, why = f"{install} && {runner} build", f"build script: {scripts['build']}"[:80]
    if member := workspace_build(repo, root, True):
        build, why = member[0], f"{member[1].manager} workspace at {member[1].root}: install from the root lockfile"
    draft.claim("build_command", build, rel, line_of(repo, rel, "build"), why, Rank.SCRIPT)
    draft.claim("start_command", SERVE.format(port="{port}", dir=out), rel, None, f"{name} writes the site to {out}/",
                Rank.DEFAULT - 10)
    draft.claim("port", PORT, None, None, "static file server port", Rank.DEFAULT)
    return True

