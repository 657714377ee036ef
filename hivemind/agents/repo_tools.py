"""Read-only repository tools for agents: list_dir, read_file, grep.

Everything is confined to the repository root and to the files the recon walker can see, so
.gitignore'd, vendored (node_modules, .git, ...) and symlinked-out files are invisible: absolute
paths, `..` and symlinks resolving outside the root are refused, and so are files that usually
hold secrets (.env, keys), which must never be sent to an LLM provider."""
from __future__ import annotations

import bisect
import fnmatch
import re
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

from ..recon.envfiles import holds_env_values
from ..recon.walk import iter_repo_files, read_text_bounded
from .tools import Tool, ToolError, ToolSet

READ_CAP_BYTES = 16 * 1024
GREP_MAX_FILES = 3_000
GREP_LINE_CHARS = 300
LIST_MAX_ENTRIES = 100
MAX_INDEX_FILES = 200_000
_SNIFF = 8192

_SECRET_NAMES = re.compile(r"^(id_rsa|id_ed25519|id_ecdsa|credentials|\.netrc|\.npmrc|\.pypirc)$|\.(pem|key|p12|pfx)$")

WHY = Field("", description="One short sentence: why you need this (it is logged)")


def is_secret_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if holds_env_values(name):
        return True
    return bool(_SECRET_NAMES.search(name))


class RepoSandbox:
    """The visible files of one repository (as repo-relative POSIX paths) and confined access to them."""

    def __init__(self, root: Path, *, max_files: int = MAX_INDEX_FILES):
        self.root = Path(root).resolve()
        self.files: list[str] = sorted(p.relative_to(self.root).as_posix()
                                       for p in iter_repo_files(self.root, max_files=max_files))
        self.fileset = frozenset(self.files)
        self._by_depth: list[str] | None = None
        self._children: dict[str, tuple[set[str], list[str]]] = {}
        self._counts: dict[str, int] = {}
        for rel in self.files:
            parts = rel.split("/")
            for depth in range(len(parts)):
                folder = "/".join(parts[:depth]) or "."
                self._counts[folder] = self._counts.get(folder, 0) + 1
                dirs, files = self._children.setdefault(folder, (set(), []))
                if depth == len(parts) - 1:
                    files.append(parts[-1])
                else:
                    dirs.add(parts[depth])

    def children(self, rel: str) -> tuple[list[str], list[str]]:
        """(subfolder names, file names) directly inside folder `rel` ('.' is the root)."""
        dirs, files = self._children.get(rel, (set(), []))
        return sorted(dirs), sorted(files)

    def count(self, rel: str) -> int:
        """Visible files below folder `rel`."""
        return self._counts.get(rel, 0)

    def files_under(self, rel: str, limit: int) -> list[str]:
        """Up to `limit` visible files below folder `rel` (files are sorted, so this is a slice)."""
        prefix = rel + "/"
        start = bisect.bisect_left(self.files, prefix)
        out = []
        for path in self.files[start:start + limit]:
            if not path.startswith(prefix):
                break
            out.append(path)
        return out

    # --- confinement --------------------------------------------------------------------
    def resolve(self, path: str) -> str:
        """A user/model-supplied path as a repo-relative POSIX path ('.' for the root), or ToolError."""
        text = (path or ".").strip().replace("\\", "/")
        pure = PurePosixPath(text)
        if pure.is_absolute() or text.startswith("~") or re.match(r"^[A-Za-z]:", text):
            raise ToolError(f"{path}: absolute paths are not allowed; use a path relative to the repository root")
        if ".." in pure.parts:
            raise ToolError(f"{path}: '..' is not allowed; tools are confined to the repository")
        rel = pure.as_posix().removeprefix("./") if text not in (".", "./", "") else "."
        rel = rel.rstrip("/") or "."
        if rel != ".":
            real = (self.root / rel).resolve()
            if not real.is_relative_to(self.root):
                raise ToolError(f"{path}: resolves outside the repository")
        return rel

    def is_dir(self, path: str) -> bool:
        """True for the root and folders holding visible files (never ignored, vendored or outside ones)."""
        try:
            return self.resolve(path) in self._children
        except ToolError:
            return False

    def visible_file(self, path: str) -> str:
        rel = self.resolve(path)
        if rel not in self.fileset:
            if rel in self._children:
                raise ToolError(f"{path}: is a directory (use list_dir)")
            raise ToolError(f"{path}: no such file in the repository (or ignored/vendored)")
        if is_secret_file(rel):
            raise ToolError(f"{path}: refused: the file may hold secrets")
        return rel

    def lines(self, rel: str) -> list[str] | None:
        """The lines of a visible text file, None when it is not one (evidence checks use this)."""
        if rel not in self.fileset:
            return None
        text = read_text_bounded(self.root / rel, max_bytes=4 * 1024 * 1024)
        return None if text is None else text.splitlines()

    def line_count(self, rel: str) -> int | None:
        """Lines in a visible text file, None when it is not one."""
        lines = self.lines(rel)
        return None if lines is None else len(lines)

    # --- tools --------------------------------------------------------------------------
    def list_dir(self, path: str = ".") -> str:
        rel = self.resolve(path)
        if rel not in self._children:
            raise ToolError(f"{path}: no such directory in the repository (or ignored/vendored)")
        dirs, files = self._children[rel]
        lines = [f"{rel}/ ({self._counts[rel]} files below)"]
        entries = [(f"{d}/", self._counts[d if rel == '.' else f'{rel}/{d}']) for d in sorted(dirs)]
        for name, count in entries:
            lines.append(f"  {name} ({count} files)")
        for name in sorted(files):
            full = name if rel == "." else f"{rel}/{name}"
            try:
                size = (self.root / full).stat().st_size
            except OSError:
                continue
            lines.append(f"  {name} ({size} bytes)")
        shown = lines[: LIST_MAX_ENTRIES + 1]
        if len(lines) > len(shown):
            shown.append(f"  ... {len(lines) - len(shown)} more entries")
        return "\n".join(shown)

    def read_file(self, path: str, offset: int = 0, max_bytes: int = READ_CAP_BYTES) -> str:
        rel = self.visible_file(path)
        max_bytes = min(max_bytes, READ_CAP_BYTES)
        full = self.root / rel
        try:
            size = full.stat().st_size
            with open(full, "rb") as handle:
                if b"\x00" in handle.read(_SNIFF):
                    raise ToolError(f"{path}: binary file")
                handle.seek(0)
                before = handle.read(offset) if offset else b""
                data = handle.read(max_bytes)
        except OSError as exc:
            raise ToolError(f"{path}: cannot read ({exc.__class__.__name__})") from None
        if offset >= size and size:
            raise ToolError(f"{path}: offset {offset} is past the end ({size} bytes)")
        first_line = before.count(b"\n") + 1
        text = data.decode("utf-8", errors="replace")
        end = offset + len(data)
        header = f"{rel} bytes {offset}-{end} of {size}" + (" (more: call again with offset)" if end < size else "")
        numbered = [f"{n:5}| {line}" for n, line in enumerate(text.splitlines(), start=first_line)]
        return header + "\n" + "\n".join(numbered)

    def grep(self, pattern: str, glob: str = "*", max_matches: int = 40) -> str:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"invalid regular expression: {exc}") from None
        glob = self.resolve(glob) if glob not in ("", "*", "**", "**/*") else "*"
        matches: list[str] = []
        scanned = 0
        # Shallow files first: entry points and configs sit near the top, so a capped scan finds them.
        if self._by_depth is None:
            self._by_depth = sorted(self.files, key=lambda rel: (rel.count("/"), rel))
        for rel in self._by_depth:
            if not (fnmatch.fnmatch(rel, glob) or ("/" not in glob and fnmatch.fnmatch(rel.rsplit("/", 1)[-1], glob))):
                continue
            if is_secret_file(rel):
                continue
            scanned += 1
            if scanned > GREP_MAX_FILES:
                matches.append(f"[stopped after {GREP_MAX_FILES} files; narrow the glob]")
                break
            text = read_text_bounded(self.root / rel)
            if text is None:
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if regex.search(line[:1000]):
                    matches.append(f"{rel}:{number}: {line.strip()[:GREP_LINE_CHARS]}")
                    if len(matches) >= max_matches:
                        return "\n".join(matches) + f"\n[first {max_matches} matches]"
        return "\n".join(matches) if matches else f"no match for {pattern!r} in {glob}"


class ListDirArgs(BaseModel):
    path: str = Field(".", description="Directory relative to the repository root")
    why: str = WHY


class ReadFileArgs(BaseModel):
    path: str = Field(description="File relative to the repository root")
    offset: int = Field(0, ge=0, description="Byte offset to start from (for long files)")
    max_bytes: int = Field(READ_CAP_BYTES, ge=1, le=READ_CAP_BYTES, description=f"At most {READ_CAP_BYTES}")
    why: str = WHY


class GrepArgs(BaseModel):
    pattern: str = Field(max_length=200, description="Python regular expression, matched per line")
    glob: str = Field("*", description="Which files: a glob such as '*.py' or 'src/*.js' (default: all)")
    max_matches: int = Field(40, ge=1, le=100)
    why: str = WHY


def repo_toolset(sandbox: RepoSandbox, *, max_result_bytes: int = READ_CAP_BYTES + 2048) -> ToolSet:
    """list_dir, read_file and grep over one repository."""
    return ToolSet([
        Tool("list_dir", "List a directory of the repository: subfolders with file counts, files with sizes.",
             ListDirArgs, lambda a: sandbox.list_dir(a.path)),
        Tool("read_file", f"Read a text file of the repository with line numbers (at most {READ_CAP_BYTES} bytes "
             "per call; use offset for more).", ReadFileArgs,
             lambda a: sandbox.read_file(a.path, a.offset, a.max_bytes)),
        Tool("grep", "Search the repository's files for a regular expression; returns path:line: text.",
             GrepArgs, lambda a: sandbox.grep(a.pattern, a.glob, a.max_matches)),
    ], max_result_bytes=max_result_bytes)
