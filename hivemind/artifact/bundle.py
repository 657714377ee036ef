"""Package the app into a reproducible, content-hashed tar.gz.

Same files and contents -> byte-identical archive -> same sha256 (entries sorted, mtime/uid/gid/
owner names fixed, modes reduced to 644/755, gzip header without name or time), so an unchanged
app is never uploaded twice and its key names exactly what runs.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import HivemindError
from ..paths import deployment_dir
from ..plan.models import DeploymentPlan
from ..recon.envfiles import holds_env_values
from ..recon.walk import iter_repo_files

# Recon skips build output (dist/, build/, vendor/...) because it is not source to analyse, but an
# app may commit a prebuilt dist/ or a Go vendor/ tree and need it at runtime: the bundle ships
# everything git would, and prunes only VCS data, virtualenvs, caches and node_modules (rebuilt on
# the instance by the build command). A .gitignore still excludes whatever it names.
BUNDLE_PRUNED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "venv", "virtualenv",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", ".cache",
    ".idea", ".vscode", ".terraform", "cdk.out", ".aws-sam", ".serverless",
})


class BundleError(HivemindError):
    """The app cannot be packaged (missing folder, nothing to ship, unreadable file)."""


# Files that hold secrets or local machine state: never shipped, whatever .gitignore says.
_NEVER_SHIP_NAMES = frozenset({".DS_Store", "Thumbs.db", ".npmrc", ".pypirc", ".netrc", "id_rsa", "id_ed25519"})
_NEVER_SHIP_SUFFIXES = (".pyc", ".pyo", ".pem", ".key", ".p12", ".pfx", ".tfstate", ".swp")


@dataclass(frozen=True)
class Bundle:
    name: str                 # deployment the bundle belongs to (the key prefix)
    path: Path                # the .tar.gz on disk
    sha256: str               # of the .tar.gz bytes: what the instance verifies after download
    size: int                 # bytes
    files: tuple[str, ...]    # repository-relative POSIX paths, in archive order


def _shippable(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if name in _NEVER_SHIP_NAMES or name.endswith(_NEVER_SHIP_SUFFIXES):
        return False
    # .env files carry real credentials; .env.example and friends document them.
    if holds_env_values(name):
        return False
    return True


def bundle_files(repo: Path) -> list[tuple[str, Path]]:
    """(archive name, file) pairs: what git would track, minus secrets, inside the repo only."""
    root = repo.resolve()
    picked = []
    for path in iter_repo_files(root, pruned=BUNDLE_PRUNED_DIRS):
        rel = path.relative_to(root).as_posix()
        if not _shippable(rel):
            continue
        # The walker follows file symlinks; one pointing outside the repo must not leak a host file.
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            continue
        picked.append((rel, path))
    picked.sort(key=lambda item: item[0])
    return picked


def _tar_info(name: str, path: Path) -> tarfile.TarInfo:
    stat = path.stat()
    info = tarfile.TarInfo(name)
    info.size = stat.st_size
    info.mode = 0o755 if stat.st_mode & 0o111 else 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def bundle_app(repo: Path, plan: DeploymentPlan, out_dir: Path | None = None) -> Bundle:
    """Write `<out_dir>/<sha256>.tar.gz` (default: the deployment's local folder) and describe it."""
    repo = Path(repo)
    if not repo.is_dir():
        raise BundleError(f"{repo}: not a folder")
    files = bundle_files(repo)
    if not files:
        raise BundleError(f"{repo}: nothing to package (every file is ignored)")
    out_dir = Path(out_dir) if out_dir else deployment_dir(plan.name) / "artifacts"
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".bundle.", suffix=".tar.gz", dir=out_dir)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as raw:
            hashing = _HashingWriter(raw, digest)
            with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, mtime=0, compresslevel=6) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for name, path in files:
                        try:
                            with open(path, "rb") as handle:
                                tar.addfile(_tar_info(name, path), handle)
                        except OSError as exc:
                            raise BundleError(f"{name}: cannot read ({exc.strerror})") from None
        sha = digest.hexdigest()
        final = out_dir / f"{sha}.tar.gz"
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Bundle(name=plan.name, path=final, sha256=sha, size=final.stat().st_size,
                  files=tuple(name for name, _ in files))


class _HashingWriter(io.RawIOBase):
    """Hash bytes on their way to disk so the archive is read once, not twice."""

    def __init__(self, raw, digest):
        self._raw, self._digest = raw, digest

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._digest.update(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()
