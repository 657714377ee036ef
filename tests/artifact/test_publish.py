"""Publishing: bundles and CDK file assets reach the artifact bucket, unchanged content only once."""
from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from hivemind.artifact import (
    AssetError, artifact_key, bundle_app, ensure_bootstrap, publish_artifact, publish_assembly_assets,
    publish_bundle,
)
from hivemind.aws import AwsError


def test_bundle_uploaded_once_per_content(aws, app_repo, plan, tmp_path, s3_calls):
    bundle = bundle_app(app_repo, plan, out_dir=tmp_path)
    ref = publish_artifact(bundle, "us-east-1")
    assert ref.key == f"artifacts/shop-api/{bundle.sha256}.tar.gz" == artifact_key("shop-api", bundle.sha256)
    assert ref.sha256 == bundle.sha256 and ref.bucket == ensure_bootstrap("us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    obj = s3.get_object(Bucket=ref.bucket, Key=ref.key)
    assert obj["Body"].read() == bundle.path.read_bytes()
    assert obj["Metadata"] == {"sha256": bundle.sha256}
    assert s3_calls.get("PutObject") == 1

    again = publish_bundle(bundle_app(app_repo, plan, out_dir=tmp_path / "rebuilt"), "us-east-1")
    assert again.ref == ref and again.uploaded is False
    assert s3_calls.get("PutObject") == 1  # same bytes: HeadObject only

    (app_repo / "src" / "server.js").write_text("// v2\n")
    changed = publish_bundle(bundle_app(app_repo, plan, out_dir=tmp_path), "us-east-1")
    assert changed.uploaded and changed.ref.key != ref.key
    assert s3_calls.get("PutObject") == 2


def _assembly(tmp_path, bucket: str, *, docker: bool = False):
    """A hand-made cloud assembly with a `file` asset and a `zip` (folder) asset."""
    out = tmp_path / "cdk.out"
    (out / "asset.aaa111").mkdir(parents=True)
    (out / "asset.aaa111" / "index.py").write_text("def handler(e, c):\n    return 'ok'\n")
    (out / "asset.aaa111" / "lib").mkdir()
    (out / "asset.aaa111" / "lib" / "util.py").write_text("X = 1\n")
    (out / "asset.bbb222.json").write_text('{"rules": []}\n')
    dest = {"bucketName": bucket, "region": "us-east-1",
            "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-file-publishing-role"}
    manifest = {
        "version": "48.0.0",
        "files": {
            "aaa111": {"source": {"path": "asset.aaa111", "packaging": "zip"},
                       "destinations": {"current": {**dest, "objectKey": "aaa111.zip"}}},
            "bbb222": {"source": {"path": "asset.bbb222.json", "packaging": "file"},
                       "destinations": {"current": {**dest, "objectKey": "bbb222.json"},
                                        "elsewhere": {**dest, "region": "eu-west-1", "objectKey": "bbb222.json"}}},
        },
        "dockerImages": {"img": {"source": {"directory": "asset.img"}, "destinations": {}}} if docker else {},
    }
    (out / "shop-api-app-blue.assets.json").write_text(json.dumps(manifest))
    return out


def test_file_assets_uploaded_to_their_destination_once(aws, tmp_path, s3_calls):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="assets-123456789012-us-east-1")
    account = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    s3.create_bucket(Bucket=f"assets-{account}-us-east-1")
    out = _assembly(tmp_path, "assets-${AWS::AccountId}-${AWS::Region}")

    published = publish_assembly_assets(out, "us-east-1")
    bucket = f"assets-{account}-us-east-1"
    assert [(p.asset_id, p.bucket, p.key, p.uploaded) for p in published] == [
        ("aaa111", bucket, "aaa111.zip", True), ("bbb222", bucket, "bbb222.json", True)]
    archive = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key="aaa111.zip")["Body"].read()))
    assert sorted(archive.namelist()) == ["index.py", "lib/util.py"]
    assert archive.read("lib/util.py") == b"X = 1\n"
    assert s3.get_object(Bucket=bucket, Key="bbb222.json")["Body"].read() == b'{"rules": []}\n'
    puts = s3_calls.get("PutObject")
    assert puts == 2  # the eu-west-1 destination is not this region's job

    assert [p.uploaded for p in publish_assembly_assets(out, "us-east-1")] == [False, False]
    assert s3_calls.get("PutObject") == puts


def test_assets_into_the_hivemind_bucket(aws, tmp_path):
    bucket = ensure_bootstrap("us-east-1")
    published = publish_assembly_assets(_assembly(tmp_path, bucket), "us-east-1")
    assert {p.bucket for p in published} == {bucket}


def test_no_manifest_means_nothing_to_do(aws, tmp_path):
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "shop-api-network.template.json").write_text("{}")
    assert publish_assembly_assets(tmp_path / "cdk.out", "us-east-1") == []


def test_asset_errors_are_one_clear_line(aws, tmp_path):
    with pytest.raises(AssetError, match="container image assets are not supported"):
        publish_assembly_assets(_assembly(tmp_path / "d", "b", docker=True), "us-east-1")
    with pytest.raises(AwsError, match="targets bucket no-such-bucket, which does not exist"):
        publish_assembly_assets(_assembly(tmp_path / "n", "no-such-bucket"), "us-east-1")
    out = _assembly(tmp_path / "m", "b")
    (out / "asset.bbb222.json").unlink()
    with pytest.raises(AssetError, match="source asset.bbb222.json is missing"):
        publish_assembly_assets(out, "us-east-1")
    (out / "asset.bbb222.json").write_text("{}")
    (out / "x.assets.json").write_text("{not json")
    with pytest.raises(AssetError, match="x.assets.json: unreadable asset manifest"):
        publish_assembly_assets(out, "us-east-1")


def test_bad_sources_fail_before_anything_is_uploaded(aws, tmp_path, s3_calls):
    bucket = ensure_bootstrap("us-east-1")
    out = _assembly(tmp_path, bucket)
    (out / "asset.bbb222.json").unlink()   # the second asset is broken; the first must not go up
    with pytest.raises(AssetError, match="is missing"):
        publish_assembly_assets(out, "us-east-1")
    assert s3_calls.get("PutObject") is None
