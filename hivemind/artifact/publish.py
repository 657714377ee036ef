"""Upload bundles and cloud-assembly file assets to the artifact bucket, each at most once.

Keys are content hashes, so "the key exists" means "this exact content is already there".
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from ..aws import AwsError, aws_errors, client
from ..errors import HivemindError
from ..render.options import ArtifactRef
from .bootstrap import ensure_bootstrap
from .bundle import Bundle

# Above this, upload_file switches to parallel multipart uploads.
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024, max_concurrency=4)
# Fixed timestamp for zip entries (the zip format cannot store anything before 1980).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class AssetError(HivemindError):
    """The cloud assembly's asset manifest is unreadable or asks for something HiveMind cannot do."""


def artifact_key(name: str, sha256: str) -> str:
    return f"artifacts/{name}/{sha256}.tar.gz"


def object_exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def upload_if_absent(s3, bucket: str, key: str, path: Path, metadata: dict[str, str] | None = None) -> bool:
    """Upload `path` to s3://bucket/key unless that key exists; True if it uploaded."""
    if object_exists(s3, bucket, key):
        return False
    try:
        s3.upload_file(str(path), bucket, key, Config=_TRANSFER,
                       ExtraArgs={"Metadata": metadata or {}, "ServerSideEncryption": "AES256"})
    except S3UploadFailedError as exc:
        # s3transfer wraps the API error; unwrap it so callers (and aws_errors) see the real code.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ClientError):
            raise cause from None
        raise AwsError(f"uploading s3://{bucket}/{key} failed: {exc}") from None
    return True


@dataclass(frozen=True)
class Published:
    ref: ArtifactRef
    uploaded: bool  # False: the same content was already in the bucket


def publish_bundle(bundle: Bundle, region: str) -> Published:
    """Like `publish_artifact`, also telling whether bytes were sent."""
    bucket = ensure_bootstrap(region)
    key = artifact_key(bundle.name, bundle.sha256)
    s3 = client("s3", region)
    with aws_errors(f"uploading s3://{bucket}/{key}"):
        uploaded = upload_if_absent(s3, bucket, key, bundle.path, {"sha256": bundle.sha256})
    return Published(ArtifactRef(bucket=bucket, key=key, sha256=bundle.sha256), uploaded)


def publish_artifact(bundle: Bundle, region: str) -> ArtifactRef:
    """Put the bundle at artifacts/<name>/<sha256>.tar.gz in the bootstrap bucket (created on
    first use); unchanged content is not uploaded again."""
    return publish_bundle(bundle, region).ref


# --- CDK file assets -------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedAsset:
    asset_id: str
    bucket: str
    key: str
    uploaded: bool


def _zip_directory(source: Path, target: Path) -> None:
    """A deterministic zip of a folder (sorted entries, fixed times), as CDK packages `zip` assets."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_ZIP_EPOCH)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def _substitute(text: str, account: str, region: str, partition: str) -> str:
    return (text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
                .replace("${AWS::Partition}", partition))


def _manifests(assembly_dir: Path) -> list[Path]:
    return sorted(assembly_dir.glob("*.assets.json"))


def publish_assembly_assets(assembly_dir: Path, region: str) -> list[PublishedAsset]:
    """Upload every file asset listed in the cloud assembly's `*.assets.json` manifests to its
    destination (zipping `zip`-packaged folders). Keys are CDK's content hashes, so an asset
    already present is skipped. Destinations in other regions are left to their own deploy.
    Container image assets are refused: HiveMind ships apps as bundles, not images."""
    assembly_dir = Path(assembly_dir)
    manifests = _manifests(assembly_dir)
    jobs = []
    for manifest in manifests:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AssetError(f"{manifest.name}: unreadable asset manifest ({exc.__class__.__name__})") from None
        if data.get("dockerImages"):
            raise AssetError(f"{manifest.name}: container image assets are not supported "
                             f"({', '.join(sorted(data['dockerImages']))})")
        for asset_id, asset in sorted((data.get("files") or {}).items()):
            source = asset.get("source") or {}
            if "path" not in source:
                raise AssetError(f"{manifest.name}: asset {asset_id} has no source path (executable sources are not supported)")
            # Check every source before the first upload: fail fast, publish nothing half-way.
            path = (assembly_dir / source["path"]).resolve()
            if not path.is_relative_to(assembly_dir.resolve()) or not path.exists():
                raise AssetError(f"{manifest.name}: asset {asset_id} source {source['path']} is missing from the assembly")
            if path.is_dir() and source.get("packaging", "file") != "zip":
                raise AssetError(f"{manifest.name}: asset {asset_id} is a folder but packaging is not 'zip'")
            for _, dest in sorted((asset.get("destinations") or {}).items()):
                jobs.append((asset_id, path, dest))
    if not jobs:
        return []

    with aws_errors("publishing CDK file assets"):
        identity = client("sts", region).get_caller_identity()
        account, partition = identity["Account"], identity["Arn"].split(":")[1]
        s3 = client("s3", region)
        published = []
        with tempfile.TemporaryDirectory(prefix="hivemind-assets-") as scratch:
            for asset_id, path, dest in jobs:
                dest_region = _substitute(dest.get("region") or region, account, region, partition)
                if dest_region != region:
                    continue
                bucket = _substitute(dest["bucketName"], account, region, partition)
                key = _substitute(dest["objectKey"], account, region, partition)
                if path.is_dir():
                    packed = Path(scratch) / f"{asset_id}.zip"
                    if not packed.exists():
                        _zip_directory(path, packed)
                    path = packed
                try:
                    uploaded = upload_if_absent(s3, bucket, key, path)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in ("NoSuchBucket", "404"):
                        raise AwsError(
                            f"asset {asset_id} targets bucket {bucket}, which does not exist; synthesize with "
                            f"the HiveMind artifact bucket as file_assets_bucket_name"
                        ) from None
                    raise
                published.append(PublishedAsset(asset_id, bucket, key, uploaded))
    return published
