"""Reading a cloud assembly's templates, and what CDK metadata two renderings may differ by."""
from __future__ import annotations

import json
from pathlib import Path

# What the stock CLI may add that says nothing about the deployed resources.
METADATA_ONLY_RESOURCES = ("CDKMetadata",)
METADATA_ONLY_KEYS = ("aws:cdk:path",)


def templates(assembly: Path) -> dict[str, dict]:
    """Stack name -> template, for every stack in the assembly's manifest."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {
        artifact["properties"].get("stackName", name): json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in manifest["artifacts"].items() if artifact["type"] == "aws:cloudformation:stack"
    }


def stack_tags(assembly: Path) -> dict[str, dict]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {a["properties"].get("stackName", n): a["properties"].get("tags", {})
            for n, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}


def without_cdk_metadata(template: dict) -> dict:
    """The template minus CDK's own bookkeeping (path metadata, the CDKMetadata resource and its
    condition, the BootstrapVersion parameter and rule)."""
    template = json.loads(json.dumps(template))
    for name in METADATA_ONLY_RESOURCES:
        template.get("Resources", {}).pop(name, None)
    template.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    template.get("Parameters", {}).pop("BootstrapVersion", None)
    template.get("Rules", {}).pop("CheckBootstrapVersion", None)
    for section in ("Conditions", "Parameters", "Rules"):
        if section in template and not template[section]:
            del template[section]
    for resource in template.get("Resources", {}).values():
        metadata = resource.get("Metadata") or {}
        for key in METADATA_ONLY_KEYS:
            metadata.pop(key, None)
        if "Metadata" in resource and not metadata:
            del resource["Metadata"]
    return template
