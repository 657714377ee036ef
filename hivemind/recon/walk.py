"""Walk a repository the way git sees it: .gitignore honoured, vendored and build folders pruned.

`iter_repo_files` never descends into a pruned folder (so a 30,000-file node_modules costs one
`scandir` entry, not 30,000), never follows a symlinked directory (so symlink loops cannot trap it),
yields a symlinked file only when it points inside the repository (so a link to ~/.aws/credentials
is never read into a digest), and yields files in a stable, sorted order.
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pathspec

# Folders that hold dependencies, build output, caches or VCS data: never application source.
PRUNED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", "jspm_packages", "vendor",
    "dist", "build", "target", "out", ".next", ".nuxt", ".svelte-kit", ".output", ".turbo",
    ".venv", "venv", "env", ".env", "virtualenv", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".tox", ".nox", ".eggs", ".gradle", ".idea", ".vscode", ".terraform",
    "cdk.out", ".serverless", ".aws-sam", "coverage", ".cache", ".parcel-cache", "tmp", ".bundle",
})

DEFAULT_MAX_BYTES = 256 * 1024
# Enough of the file to tell text from binary without reading it all.
_SNIFF_BYTES = 8192


class IgnoreRules:
    """One .gitignore, matched as pathspec's GitIgnoreSpec matches it, but fast: a single combined
    regex answers "could any rule match?" (almost always no); only then is the spec consulted,
    with git's precedence rules (last match wins, `!keep.log` re-includes)."""

    def __init__(self, lines: list[str]):
        with warnings.catch_warnings():
            # Odd bracket expressions make `re` emit FutureWarnings: noise on the user's terminal.
            warnings.simplefilter("ignore", FutureWarning)
            self.spec = pathspec.GitIgnoreSpec.from_lines(_valid_lines(lines))
            regexes = [p.regex for p in self.spec.patterns if p.include is not None and p.regex is not None]
            # pathspec names a group in every rule; names must be unique in one regex, so drop them.
            combined = "|".join(f"(?:{regex.pattern.replace('(?P<ps_d>', '(')})" for regex in regexes)
            self.any_rule = re.compile(combined) if regexes else None

    def verdict(self, rel: str) -> bool | None:
        """True: ignored, False: re-included by a negation, None: no rule says anything."""
        if self.any_rule is None or not self.any_rule.search(rel):  # pathspec uses search, too
            return None
        return self.spec.check_file(rel).include


def _valid_lines(lines: list[str]) -> list[str]:
    """Drop lines git would reject (a lone backslash, a bad range like `[z-a]`), as git skips
    them, instead of failing the whole file."""
    try:
        pathspec.GitIgnoreSpec.from_lines(lines)
        return lines
    except (ValueError, re.error):  # pathspec's GitIgnorePatternError is a ValueError
        valid = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except (ValueError, re.error):
                continue
            valid.append(line)
        return valid


def _load_gitignore(directory: Path) -> IgnoreRules | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    rules = IgnoreRules(text.splitlines())
    return rules if rules.any_rule is not None else None


def _ignored(rel: str, is_dir: bool, specs: list[tuple[str, IgnoreRules]]) -> bool:
    """Apply every active .gitignore, innermost last so its negations win, as git does."""
    verdict = False
    candidate = rel + "/" if is_dir else rel
    for base, spec in specs:
        local = candidate[len(base) + 1:] if base else candidate
        result = spec.verdict(local)
        if result is not None:
            verdict = result
    return verdict


def iter_repo_files(
    root: Path, *, max_files: int | None = None, pruned: frozenset[str] = PRUNED_DIRS
) -> Iterator[Path]:
    """Yield the repository's files (absolute paths), as `git ls-files --others --cached` would see
    them: `.gitignore` files at every level honoured, `pruned` folder names skipped, symlinked
    directories not followed, unreadable folders skipped. Stops after `max_files` files when given."""
    root = Path(root)
    for rel in iter_repo_relpaths(root, max_files=max_files, pruned=pruned):
        yield root / rel


def iter_repo_relpaths(
    root: Path, *, max_files: int | None = None, pruned: frozenset[str] = PRUNED_DIRS
) -> Iterator[str]:
    """Like iter_repo_files, but yields repo-relative POSIX paths ('src/app.py'): cheaper, and what
    indexes and digests want."""
    remaining = max_files if max_files is not None else -1
    real_root = os.path.realpath(root)

    def inside(path: str) -> bool:
        target = os.path.realpath(path)
        return target == real_root or target.startswith(real_root + os.sep)

    def walk(directory: str, rel: str, specs: list[tuple[str, IgnoreRules]]) -> Iterator[str]:
        nonlocal remaining
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            return
        if any(e.name == ".gitignore" for e in entries):
            own = _load_gitignore(Path(directory))
            if own is not None:
                specs = [*specs, (rel, own)]
        subdirs = []
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()  # follows file symlinks; a dangling one is not a file
            except OSError:
                continue
            if is_dir:
                if entry.name not in pruned and not (specs and _ignored(child_rel, True, specs)):
                    subdirs.append((entry.path, child_rel))
            elif is_file and not (specs and _ignored(child_rel, False, specs)):
                if entry.is_symlink() and not inside(entry.path):
                    continue
                if remaining == 0:
                    return
                remaining -= 1
                yield child_rel
        for path, child_rel in subdirs:
            if remaining == 0:
                return
            yield from walk(path, child_rel, specs)

    if os.path.isdir(root):
        yield from walk(os.fspath(root), "", [])


def read_text_bounded(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """The first `max_bytes` of a text file, decoded as UTF-8 (undecodable bytes replaced, so a
    Latin-1 file is still searchable). None for binary files (a NUL byte early on) and unreadable ones."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes)
    except OSError:
        return None
    if b"\x00" in data[:_SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace")
