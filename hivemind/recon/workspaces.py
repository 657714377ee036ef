"""JavaScript workspaces (pnpm-workspace.yaml, package.json `workspaces`, with turbo/nx/lerna on
top): which folder is the workspace root, its package manager and lockfile, and the build command a
member package needs (install once from the root, then build the package and what it depends on)."""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from .repo import RepoView, parent_of

LOCKFILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"), ("bun.lock", "bun"),
             ("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"))
INSTALL = {"pnpm": "pnpm install --frozen-lockfile", "yarn": "yarn install --frozen-lockfile",
           "bun": "bun install --frozen-lockfile", "npm": "npm ci"}


@dataclass(frozen=True)
class Workspace:
    root: str  # the folder holding the workspace declaration and the lockfile
    manager: str  # pnpm | yarn | npm | bun
    turbo: bool  # turbo.json at the root: it builds a package's workspace dependencies first


def declares_workspaces(repo: RepoView, folder: str) -> bool:
    if repo.in_root(folder, "pnpm-workspace.yaml"):
        return True
    rel = repo.in_root(folder, "package.json")
    if rel is None:
        return False
    try:
        data = json.loads(repo.read(rel) or "")
    except ValueError:
        return False
    return isinstance(data, dict) and "workspaces" in data


def manager_of(repo: RepoView, folder: str) -> str | None:
    declared = None
    rel = repo.in_root(folder, "package.json")
    if rel:
        try:
            data = json.loads(repo.read(rel) or "")
            declared = data.get("packageManager") if isinstance(data, dict) else None
        except ValueError:
            pass
    if isinstance(declared, str) and declared.split("@", 1)[0] in INSTALL:
        return declared.split("@", 1)[0]
    if repo.in_root(folder, "pnpm-workspace.yaml"):
        return "pnpm"
    return next((manager for lockfile, manager in LOCKFILES if repo.in_root(folder, lockfile)), None)


def workspace_of(repo: RepoView, package_root: str) -> Workspace | None:
    """The workspace a package belongs to (its nearest ancestor declaring workspaces), if any."""
    folder = package_root
    while folder != ".":
        folder = parent_of(folder)
        if declares_workspaces(repo, folder):
            return Workspace(folder, manager_of(repo, folder) or "npm", bool(repo.in_root(folder, "turbo.json")))
    return None


def package_name(repo: RepoView, package_root: str) -> str | None:
    rel = repo.in_root(package_root, "package.json")
    try:
        data = json.loads(repo.read(rel) or "") if rel else None
    except ValueError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def workspace_build(repo: RepoView, package_root: str, has_build: bool) -> tuple[str, Workspace] | None:
    """(build command, workspace) for a member package: run from the package's folder, it installs
    from the workspace root with the root lockfile, then builds the package after its dependencies."""
    workspace = workspace_of(repo, package_root)
    if workspace is None:
        return None
    up = posixpath.relpath(workspace.root if workspace.root != "." else ".", package_root)
    name = package_name(repo, package_root) or package_root.rsplit("/", 1)[-1]
    install = INSTALL[workspace.manager]
    command = f"cd {up} && {install}"
    if has_build:
        if workspace.turbo:
            runner = {"pnpm": "pnpm exec", "yarn": "yarn", "bun": "bunx", "npm": "npx"}[workspace.manager]
            command += f" && {runner} turbo run build --filter={name}..."
        elif workspace.manager == "pnpm":
            command += f" && pnpm --filter {name}... run build"
        elif workspace.manager == "yarn":
            command += f" && yarn workspace {name} run build"
        elif workspace.manager == "bun":
            command += f" && bun run --filter {name} build"
        else:
            command += f" && npm run build --workspace {name}"
    return command, workspace


_FILTER = re.compile(r"(?:--filter[= ]|-F\s+|--workspace[= ]|-w\s+|\bworkspace\s+)['\"]?(@?[\w./-]+?)(?:\.\.\.)?['\"]?(?:\s|$)")


def member_named_in(repo: RepoView, workspace_root: str, command: str) -> str | None:
    """The member folder a root-level command runs (`turbo run start --filter=@acme/web`)."""
    for match in _FILTER.finditer(command):
        wanted = match.group(1)
        for rel in repo.named("package.json"):
            folder = parent_of(rel)
            inside = workspace_root == "." or folder.startswith(workspace_root + "/")
            if folder != workspace_root and inside and package_name(repo, folder) == wanted:
                return folder
    return None
