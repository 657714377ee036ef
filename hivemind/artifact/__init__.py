"""The "Compiler": package the app into a content-hashed bundle and publish it, with any CDK file
assets, to the artifact bucket HiveMind owns (created by the `hivemind-bootstrap` stack)."""
from .bootstrap import BOOTSTRAP_STACK, bootstrap_template, ensure_bootstrap, find_bootstrap_bucket
from .bundle import Bundle, BundleError, bundle_app, bundle_files
from .publish import (
    AssetError, Published, PublishedAsset, artifact_key, publish_artifact, publish_assembly_assets,
    publish_bundle,
)

__all__ = [
    "AssetError", "BOOTSTRAP_STACK", "Bundle", "BundleError", "Published", "PublishedAsset",
    "artifact_key", "bootstrap_template", "bundle_app", "bundle_files", "ensure_bootstrap",
    "find_bootstrap_bucket",
    "publish_artifact", "publish_assembly_assets", "publish_bundle",
]
