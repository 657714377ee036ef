"""Fixtures for recon tests: tiny repositories written into tmp_path from a dict."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


@pytest.fixture
def make_repo(tmp_path):
    """make_repo({"package.json": "...", ...}, name="shop") -> the repository folder."""
    def make(files: dict[str, str | bytes], name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        return write_tree(root, files)
    return make


@pytest.fixture
def example_copy(tmp_path):
    """A private copy of an example, so commands that write hivemind.yaml leave examples/ clean."""
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("hivemind.yaml", "__pycache__"))
        return target
    return copy
