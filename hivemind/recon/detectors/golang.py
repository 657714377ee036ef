"""Go: go.mod names the module and web framework; the main package gives the build target."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..ports import port_in_code, reads_port_env
from ..repo import RepoView, is_app_path, parent_of

FRAMEWORKS = (
    ("github.com/gin-gonic/gin", "gin"), ("github.com/labstack/echo", "echo"),
    ("github.com/gofiber/fiber", "fiber"), ("github.com/go-chi/chi", "chi"),
    ("github.com/gorilla/mux", "gorilla"),
)
DEFAULT_PORT = 8080
_MAIN_PACKAGE = re.compile(r"^package main\b")
_NET_HTTP = re.compile(r'"net/http"')


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("go.mod"):
        root = parent_of(rel)
        if not is_app_path(root):
            continue
        files = repo.source_files(root, (".go",), prefer=("main.go", "server.go"))
        files = [f for f in files if not f.endswith("_test.go")]
        main = next((f for f in files if repo.first(f, _MAIN_PACKAGE)), None)  # main.go is tried first
        if main is None:
            continue  # a library module
        # Go's convention for several binaries is cmd/<name>; a main elsewhere (tools/gen) is a helper.
        cmd = "cmd" if root == "." else f"{root}/cmd"
        mains = {d: f for d, f in _main_packages(repo, files).items() if parent_of(d) == cmd}
        if len(mains) > 1:
            _several_binaries(repo, found, root, rel, files, mains)
            continue
        main_dir = parent_of(main)
        inside = "." if main_dir == root else "./" + (main_dir if root == "." else main_dir[len(root) + 1:])
        draft = found.add_service(root)
        draft.claim("runtime", "go", rel, 1, "go.mod present", Rank.MANIFEST)
        framework = None
        for module, name in FRAMEWORKS:
            if hit := repo.first(rel, re.compile(re.escape(module))):
                framework = name
                draft.claim("framework", name, rel, hit[0], f"requires {module}", Rank.MANIFEST)
                break
        if framework is None and (hit := repo.first(main, _NET_HTTP)):
            draft.claim("framework", "net/http", main, hit[0], "imports net/http", Rank.CODE)
        draft.claim("build_command", f"go build -o bin/app {inside}", main, 1, "package main", Rank.SCRIPT)
        draft.claim("start_command", "./bin/app", main, 1, "the binary built from package main", Rank.SCRIPT)
        if hit := port_in_code(repo, files, "go"):
            port, path, line, why = hit
            draft.claim("port", port, path, line, why, Rank.CODE)
        if where := reads_port_env(repo, files):
            draft.claim("reads_port_env", True, where[0], where[1], "reads the PORT environment variable", Rank.CODE)
        draft.claim("port", DEFAULT_PORT, None, None, "Go web default port", Rank.DEFAULT)


_SERVES_HTTP = re.compile(r"ListenAndServe|\.Listen\(|\.Run\(\s*\"|\.Start\(\s*\"|http\.Server\{")


def _main_packages(repo: RepoView, files: list[str]) -> dict[str, str]:
    """{folder: first file} of each `package main` folder (cmd/api, cmd/worker, ...)."""
    mains: dict[str, str] = {}
    for rel in files:
        if parent_of(rel) not in mains and repo.first(rel, _MAIN_PACKAGE):
            mains[parent_of(rel)] = rel
    return mains


def _several_binaries(repo: RepoView, found: Findings, root: str, gomod: str, files: list[str],
                      mains: dict[str, str]) -> None:
    """One service per binary (cmd/api, cmd/worker): the first that serves HTTP is the web
    service, other servers are web services of their own, the rest are workers."""
    web_taken = False
    for folder, main in sorted(mains.items()):
        leaf = folder.rsplit("/", 1)[-1] if folder != root else "app"
        inside = "." if folder == root else "./" + (folder if root == "." else folder[len(root) + 1:])
        own = [f for f in files if parent_of(f) == folder]
        serving = next(((f, h[0]) for f in own if (h := repo.first(f, _SERVES_HTTP))), None)
        role = "web" if serving and not web_taken else leaf
        web_taken = web_taken or bool(serving)
        draft = found.add_service(root, role)
        draft.claim("runtime", "go", gomod, 1, "go.mod present", Rank.MANIFEST)
        draft.claim("build_command", f"go build -o bin/{leaf} {inside}", main, 1, "package main", Rank.SCRIPT)
        draft.claim("start_command", f"./bin/{leaf}", main, 1, f"the binary built from {folder}", Rank.SCRIPT)
        if serving is None:
            draft.claim("kind", "worker", main, 1, f"{folder} serves no HTTP", Rank.CODE)
            continue
        draft.claim("kind", "web", serving[0], serving[1], f"{folder} serves HTTP", Rank.CODE)
        if hit := port_in_code(repo, own, "go"):
            port, path, line, why = hit
            draft.claim("port", port, path, line, why, Rank.CODE)
        if where := reads_port_env(repo, own):
            draft.claim("reads_port_env", True, where[0], where[1], "reads the PORT environment variable", Rank.CODE)
        draft.claim("port", DEFAULT_PORT, None, None, "Go web default port", Rank.DEFAULT)
