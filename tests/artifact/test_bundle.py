"""The app bundle: reproducible bytes, .gitignore honoured, secrets and junk never shipped."""
from __future__ import annotations

import hashlib
import os
import tarfile

import pytest

from hivemind.artifact import BundleError, bundle_app


def _members(bundle):
    with tarfile.open(bundle.path) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_contents_follow_gitignore_and_skip_secrets(app_repo, plan, tmp_path):
    bundle = bundle_app(app_repo, plan, out_dir=tmp_path / "out")
    assert bundle.files == (".env.example", ".gitignore", "bin/start.sh", "package.json", "src/server.js")
    assert set(_members(bundle)) == set(bundle.files)
    assert bundle.path.name == f"{bundle.sha256}.tar.gz"
    assert bundle.sha256 == hashlib.sha256(bundle.path.read_bytes()).hexdigest()
    assert bundle.size == bundle.path.stat().st_size
    assert bundle.name == "shop-api"


def test_same_content_same_hash_whatever_the_timestamps(app_repo, plan, tmp_path):
    first = bundle_app(app_repo, plan, out_dir=tmp_path / "a")
    os.utime(app_repo / "src" / "server.js", (1_000_000, 1_000_000))  # touched, not changed
    (app_repo / "debug.log").write_text("more ignored noise\n")
    second = bundle_app(app_repo, plan, out_dir=tmp_path / "b")
    assert second.sha256 == first.sha256
    assert second.path.read_bytes() == first.path.read_bytes()


def test_a_changed_file_changes_the_hash(app_repo, plan, tmp_path):
    first = bundle_app(app_repo, plan, out_dir=tmp_path)
    (app_repo / "src" / "server.js").write_text("// v2\n")
    assert bundle_app(app_repo, plan, out_dir=tmp_path).sha256 != first.sha256
    (app_repo / "src" / "server.js").write_text(first_content := "require('http')\n")
    (app_repo / "src" / "extra.js").write_text(first_content)
    assert "src/extra.js" in bundle_app(app_repo, plan, out_dir=tmp_path).files


def test_metadata_is_normalised(app_repo, plan, tmp_path):
    members = _members(bundle_app(app_repo, plan, out_dir=tmp_path))
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, 0, "", "")}
    assert members["bin/start.sh"].mode == 0o755
    assert members["package.json"].mode == 0o644


def test_symlink_out_of_the_repo_is_not_followed(app_repo, plan, tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("root password\n")
    (app_repo / "src" / "leak.txt").symlink_to(secret)
    (app_repo / "src" / "alias.js").symlink_to(app_repo / "src" / "server.js")
    files = bundle_app(app_repo, plan, out_dir=tmp_path / "out").files
    assert "src/leak.txt" not in files
    assert "src/alias.js" in files  # in-repo links ship as the file they point to


def test_default_location_is_the_deployment_folder(app_repo, plan):
    from hivemind.paths import deployment_dir

    bundle = bundle_app(app_repo, plan)
    assert bundle.path.parent == deployment_dir("shop-api") / "artifacts"
    assert not [p for p in bundle.path.parent.iterdir() if p.name.startswith(".bundle.")]


def test_nothing_to_package_is_a_clear_error(tmp_path, plan):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".gitignore").write_text("*\n")
    with pytest.raises(BundleError, match="nothing to package"):
        bundle_app(empty, plan, out_dir=tmp_path)
    with pytest.raises(BundleError, match="not a folder"):
        bundle_app(tmp_path / "missing", plan, out_dir=tmp_path)


def test_committed_build_output_ships_but_dependencies_do_not(app_repo, plan, tmp_path):
    # Recon ignores dist/ and vendor/ as analysis noise; a deployment needs them when committed.
    (app_repo / "dist").mkdir()
    (app_repo / "dist" / "index.html").write_text("<h1>built</h1>\n")
    (app_repo / "vendor" / "lib").mkdir(parents=True)
    (app_repo / "vendor" / "lib" / "x.go").write_text("package lib\n")
    assert (app_repo / "node_modules" / "left-pad" / "index.js").exists()  # from the fixture
    files = bundle_app(app_repo, plan, out_dir=tmp_path / "out").files
    assert "dist/index.html" in files and "vendor/lib/x.go" in files
    assert not any(f.startswith(("node_modules/", ".git/")) for f in files)
