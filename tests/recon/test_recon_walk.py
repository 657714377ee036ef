"""The walker and the bounded reader on awkward repositories."""
from __future__ import annotations

import os

import pytest

from hivemind.errors import ReconError
from hivemind.recon import analyse_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from hivemind.recon.walk import IgnoreRules, iter_repo_files, iter_repo_relpaths, read_text_bounded


def rels(root):
    return sorted(p.relative_to(root).as_posix() for p in iter_repo_files(root))


def test_gitignore_at_every_level_with_negation_and_dir_rules(make_repo):
    root = make_repo({
        ".gitignore": "*.log\n!keep.log\nsecrets/\n/only-top.txt\n",
        "app.js": "x", "debug.log": "x", "keep.log": "x", "only-top.txt": "x",
        "secrets/key.pem": "x", "sub/only-top.txt": "x", "sub/deep.log": "x",
        "sub/.gitignore": "generated/\n*.tmp\n", "sub/generated/a.js": "x", "sub/b.tmp": "x", "b.tmp": "x",
    })
    assert rels(root) == [".gitignore", "app.js", "b.tmp", "keep.log", "sub/.gitignore", "sub/only-top.txt"]


def test_vendored_and_build_folders_are_pruned(make_repo):
    root = make_repo({
        "src/index.js": "x", "node_modules/express/package.json": "{}", ".git/HEAD": "ref",
        "vendor/lib.rb": "x", "dist/bundle.js": "x", "build/out.js": "x", "target/app.jar": "x",
        ".venv/lib/site.py": "x", "venv/lib/site.py": "x", "pkg/__pycache__/m.pyc": "x",
    })
    assert rels(root) == ["src/index.js"]


def test_symlink_loops_and_dangling_links_are_survived(make_repo):
    root = make_repo({"a/file.txt": "x", "b/other.txt": "y"})
    os.symlink(root, root / "a" / "loop")  # a/loop -> repo root: a cycle if followed
    os.symlink("../b", root / "a" / "to-b")
    os.symlink("missing-target", root / "dangling")
    os.symlink("b/other.txt", root / "link.txt")  # a file symlink is an ordinary file
    assert rels(root) == ["a/file.txt", "b/other.txt", "link.txt"]


def test_symlinked_files_pointing_outside_the_repo_are_skipped(tmp_path, make_repo):
    outside = tmp_path / "credentials"
    outside.write_text("aws_secret_access_key = not-for-recon\n")
    root = make_repo({"app.js": "x", "real.txt": "y"})
    os.symlink(outside, root / "creds.txt")
    os.symlink(root / "real.txt", root / "alias.txt")
    assert rels(root) == ["alias.txt", "app.js", "real.txt"]


def test_max_files_bounds_the_walk(make_repo):
    root = make_repo({f"d{i}/f{j}.txt": "x" for i in range(5) for j in range(10)})
    assert len(list(iter_repo_relpaths(root, max_files=7))) == 7
    assert len(list(iter_repo_relpaths(root))) == 50


def test_walk_order_is_stable_and_files_before_subfolders(make_repo):
    root = make_repo({"z.txt": "x", "a/b.txt": "x", "m.txt": "x"})
    assert list(iter_repo_relpaths(root)) == ["m.txt", "z.txt", "a/b.txt"]


def test_missing_and_empty_roots_yield_nothing(tmp_path):
    assert list(iter_repo_files(tmp_path / "nope")) == []
    assert list(iter_repo_files(tmp_path)) == []


def test_read_text_bounded(tmp_path):
    binary = tmp_path / "logo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    latin1 = tmp_path / "legacy.py"
    latin1.write_bytes("caf\xe9 = 1  # listen(8080)\n".encode("latin-1"))
    huge = tmp_path / "huge.js"
    huge.write_text("a" * 1_000_000 + "\napp.listen(9999)\n")
    assert read_text_bounded(binary) is None
    text = read_text_bounded(latin1)
    assert text is not None and "listen(8080)" in text and "\ufffd" in text
    assert len(read_text_bounded(huge, max_bytes=4096)) == 4096
    assert read_text_bounded(tmp_path / "absent.txt") is None


def test_recon_survives_binary_non_utf8_and_huge_files(make_repo):
    root = make_repo({
        "package.json": '{"dependencies": {"express": "4"}, "scripts": {"start": "node server.js"}}',
        "server.js": b"const app = require('express')();\n// caf\xe9\napp.listen(4100);\n",
        "image.js": b"\x00\x01\x02binary pretending to be js",
        "big.js": "x".encode() * 2_000_000 + b"\napp.listen(5555)\n",
    })
    plan = analyse_repo(root)
    assert plan.services[0].port == 4100


def test_empty_repo_and_missing_path_are_clear_errors(tmp_path):
    with pytest.raises(ReconError, match=r"^no deployable application found in .*empty$"):
        (tmp_path / "empty").mkdir()
        analyse_repo(tmp_path / "empty")
    with pytest.raises(ReconError, match=r"^no such directory: .*missing$"):
        analyse_repo(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ReconError, match="no such directory"):
        analyse_repo(tmp_path / "file.txt")


def test_only_ignored_code_is_nothing_deployable(make_repo):
    root = make_repo({".gitignore": "app/\n", "app/package.json": '{"dependencies": {"express": "4"}}'})
    with pytest.raises(ReconError, match="no deployable application"):
        analyse_repo(root)


def test_repo_view_cache_is_bounded_but_reads_stay_correct(make_repo, monkeypatch):
    from hivemind.recon import repo as repo_module

    monkeypatch.setattr(repo_module, "MAX_CACHED_CHARS", 10)
    root = make_repo({"a.txt": "first file\nline two\n", "b.txt": "second\n"})
    view = repo_module.RepoView.scan(root)
    assert view.lines("a.txt") == ["first file", "line two"]
    assert view.read("b.txt") == "second\n"
    assert view.read("b.txt") == "second\n"  # not cached (budget spent), read again from disk
    assert "b.txt" not in view._cache and view._cached_chars <= 10 + len("first file\nline two\n")
    assert view.read("../outside.txt") is None  # only indexed files are ever opened


def test_invalid_gitignore_lines_are_skipped_like_git_does(make_repo):
    root = make_repo({".gitignore": "\\\n*.log\n", "a.log": "x", "app.js": "x"})
    assert rels(root) == [".gitignore", "app.js"]


_GLOB_LINES = st.lists(st.text(st.sampled_from(list("ab*?/!.-[]\\")), min_size=1, max_size=8), max_size=6)
# Shaped like the walker's paths: relative segments, a trailing "/" marking a folder.
_SEGMENTS = st.text(st.sampled_from(list("ab.-")), min_size=1, max_size=4).filter(lambda s: s not in (".", ".."))
_PATHS = st.tuples(st.lists(_SEGMENTS, min_size=1, max_size=3), st.booleans()).map(
    lambda t: "/".join(t[0]) + ("/" if t[1] else ""))


@settings(max_examples=300, deadline=None)
@given(lines=_GLOB_LINES, path=_PATHS)
def test_fast_ignore_matcher_agrees_with_pathspec(lines, path):
    """IgnoreRules answers like pathspec's own GitIgnoreSpec.check_file, and never raises."""
    import warnings

    import pathspec

    rules = IgnoreRules(lines)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception:
            return  # an invalid file: IgnoreRules skipped the bad lines (checked above: no raise)
    assert rules.verdict(path) == spec.check_file(path).include
