"""A read-only view of one repository for the detectors: the file index, bounded cached reads,
line-numbered searches, and which app root (manifest folder) each source file belongs to."""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from .walk import DEFAULT_MAX_BYTES, iter_repo_relpaths, read_text_bounded

# Files whose folder is an application root (one service, or several with a Procfile).
# Not manage.py: a Django project often sits in a subfolder of the folder with its requirements.
MANIFESTS = frozenset({
    "package.json", "requirements.txt", "pyproject.toml", "Pipfile", "setup.py",
    "go.mod", "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile", "composer.json",
    "Dockerfile", "Procfile",
})
# Deployment files: they make a folder a root unless it is part of an enclosing project's code.
DEPLOY_FILES = frozenset({"Dockerfile", "Procfile"})
SOURCE_OF = {
    "package.json": (".js", ".mjs", ".cjs", ".ts"), "requirements.txt": (".py",), "pyproject.toml": (".py",),
    "Pipfile": (".py",), "setup.py": (".py",), "go.mod": (".go",), "pom.xml": (".java", ".kt"),
    "build.gradle": (".java", ".kt"), "build.gradle.kts": (".java", ".kt"), "Gemfile": (".rb",), "composer.json": (".php",),
}
# Folders whose contents are tests, docs or samples, not the application being deployed.
NON_APP_DIRS = frozenset({
    "test", "tests", "__tests__", "spec", "specs", "fixtures", "testdata", "e2e", "cypress",
    "examples", "example", "samples", "docs", "doc", "benchmarks", "bench", "scripts",
    "migrations", "static", "public", "assets", "templates",
    # CI pipelines: their service containers and URLs are the test setup, not the app's.
    ".github", ".circleci", ".gitlab", ".buildkite",
})

MAX_FILES = 200_000
# Entry points and shallow files come first, so a port or route is found well within this.
MAX_SOURCE_FILES_PER_SCAN = 60
# Memory bound for a huge monorepo: past this, file texts are re-read instead of kept.
MAX_CACHED_CHARS = 64 * 1024 * 1024


class RepoView:
    def __init__(self, root: Path, files: Iterable[str]):
        self.root = root
        self._root_str = os.fspath(root)
        self.files: list[str] = sorted(files)
        self.fileset = frozenset(self.files)
        self._by_name: dict[str, list[str]] = {}
        for rel in self.files:
            self._by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
        languages: dict[str, set[str]] = {}
        for name in MANIFESTS - DEPLOY_FILES:
            for rel in self._by_name.get(name, ()):
                if is_app_path(parent_of(rel)):
                    languages.setdefault(parent_of(rel), set()).update(SOURCE_OF.get(name, ()))
        folders_with: dict[str, set[str]] = {}
        for rel in self.files:
            folders_with.setdefault(parent_of(rel), set()).add("." + rel.rsplit(".", 1)[-1] if "." in rel else "")
        # A folder with a Dockerfile or Procfile and the enclosing project's own sources (cmd/server
        # with main.go and a Dockerfile, in a Go module) deploys that project: no root of its own,
        # so the project keeps its sources. A folder of its own (nginx/ with a config) stays one.
        deploy_roots = set()
        for name in DEPLOY_FILES:
            for rel in self._by_name.get(name, ()):
                folder = parent_of(rel)
                if not is_app_path(folder) or folder in languages:
                    continue
                project = _enclosing(folder, set(languages))
                if project is None or not (folders_with.get(folder, set()) & languages[project]):
                    deploy_roots.add(folder)
        self.app_roots: list[str] = sorted(set(languages) | deploy_roots)
        self._app_root_set = frozenset(self.app_roots)
        self._cache: dict[str, str | None] = {}
        self._cached_chars = 0
        self._lines: dict[str, list[str]] = {}
        self._by_root: dict[str, list[str]] | None = None
        self._scans: dict[tuple, list[str]] = {}
        # Per-scan results detectors share (parsed manifests, ...), so each file is parsed once.
        self.memo: dict[str, object] = {}

    @classmethod
    def scan(cls, root: Path, *, max_files: int = MAX_FILES) -> "RepoView":
        root = Path(root)
        return cls(root, iter_repo_relpaths(root, max_files=max_files))

    # --- reading -------------------------------------------------------------------------
    def read(self, rel: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
        """Text of an indexed file (first `max_bytes`), None for binary, unreadable or unindexed
        files. Cached until the cache holds MAX_CACHED_CHARS; later reads go to disk again."""
        if rel in self._cache:
            return self._cache[rel]
        text = read_text_bounded(os.path.join(self._root_str, rel), max_bytes) if rel in self.fileset else None
        if self._cached_chars < MAX_CACHED_CHARS:
            self._cache[rel] = text
            self._cached_chars += len(text or "")
        return text

    def lines(self, rel: str) -> list[str]:
        if rel in self._lines:
            return self._lines[rel]
        text = self.read(rel)
        lines = text.splitlines() if text else []
        if rel in self._cache:
            self._lines[rel] = lines
        return lines

    def search(self, rel: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str]]]:
        """(1-based line number, match) for each line of `rel` matching `pattern`."""
        text = self.read(rel)
        # One pass over the whole text first: most files do not match at all, and then no
        # line splitting is needed. The multi-line twin can only over-match, never miss.
        if not text or not _multiline(pattern).search(text):
            return
        for number, line in enumerate(self.lines(rel), start=1):
            match = pattern.search(line)
            if match:
                yield number, match

    def first(self, rel: str, pattern: re.Pattern[str]) -> tuple[int, re.Match[str]] | None:
        return next(self.search(rel, pattern), None)

    def matching(self, files: list[str], patterns: tuple[re.Pattern[str], ...]) -> list[str]:
        """The files (order kept) in which at least one of `patterns` may match: one combined
        search per file, so a scan with many patterns reads and searches each file once."""
        combined = any_of(patterns)
        return [rel for rel in files if (text := self.read(rel)) and combined.search(text)]

    # --- finding files -------------------------------------------------------------------
    def named(self, *names: str) -> list[str]:
        return sorted(rel for name in names for rel in self._by_name.get(name, ()))

    def in_root(self, root: str, name: str) -> str | None:
        rel = join(root, name)
        return rel if rel in self.fileset else None

    def owning_root(self, rel: str) -> str:
        """The nearest enclosing app root of a file ('.' when none is closer)."""
        return _nearest_root(parent_of(rel), self._app_root_set)

    def source_files(self, root: str, suffixes: tuple[str, ...], *, limit: int = MAX_SOURCE_FILES_PER_SCAN,
                     prefer: tuple[str, ...] = ()) -> list[str]:
        """Source files belonging to `root` (not to a nested app root, not tests/docs), entry-point
        names in `prefer` first, then shallower files first; at most `limit`."""
        if self._by_root is None:
            # One pass over the index, shared by every later scan: files per owning root,
            # shallow files first.
            self._by_root = {}
            for rel in sorted(self.files, key=lambda r: (r.count("/"), r)):
                owner = self.owning_root(rel)
                inside = rel if owner == "." else rel[len(owner) + 1:]
                if is_app_path(parent_of(inside)):
                    self._by_root.setdefault(owner, []).append(rel)
        key = (root, suffixes, limit, prefer)
        if key not in self._scans:
            picked = [rel for rel in self._by_root.get(root, ()) if rel.endswith(suffixes)]
            order = {name: i for i, name in enumerate(prefer)}
            preferred = sorted((rel for rel in picked if rel.rsplit("/", 1)[-1] in order),
                               key=lambda rel: (order[rel.rsplit("/", 1)[-1]], rel.count("/"), rel))
            chosen = set(preferred)
            self._scans[key] = (preferred + [rel for rel in picked if rel not in chosen])[:limit]
        return self._scans[key]


def parent_of(rel: str) -> str:
    parent = rel.rpartition("/")[0]
    return parent or "."


def join(root: str, name: str) -> str:
    return name if root == "." else f"{root}/{name}"


@lru_cache(maxsize=65536)
def is_app_path(directory: str) -> bool:
    """False for folders under tests/, docs/, examples/ and the like."""
    return directory == "." or not any(part.lower() in NON_APP_DIRS for part in directory.split("/"))


@lru_cache(maxsize=256)
def any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    """One multi-line regex that matches wherever any of `patterns` would match on some line
    (it may over-match, never under-match: a prefilter, not a verdict)."""
    parts = []
    for pattern in patterns:
        text, insensitive = pattern.pattern, bool(pattern.flags & re.IGNORECASE)
        if text.startswith("(?i)"):
            text, insensitive = text[4:], True
        parts.append(f"(?i:{text})" if insensitive else f"(?:{text})")
    return re.compile("|".join(parts) or r"(?!)", re.MULTILINE)


@lru_cache(maxsize=1024)
def _multiline(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)


def _enclosing(folder: str, roots: set[str]) -> str | None:
    """The nearest strict ancestor of `folder` that is one of `roots`."""
    while folder != ".":
        folder = parent_of(folder)
        if folder in roots:
            return folder
    return None


@lru_cache(maxsize=65536)
def _nearest_root(directory: str, roots: frozenset[str]) -> str:
    # Cached per folder: a big repository has many files but far fewer folders.
    while directory != ".":
        if directory in roots:
            return directory
        directory = parent_of(directory)
    return "."
