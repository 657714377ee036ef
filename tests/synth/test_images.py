"""Pinned machine images: resolved once from the public AL2023 parameter (read-only), then fixed in
the launch templates until a release moves them; offline synth without a pin keeps working."""
from __future__ import annotations

import json

import boto3
import pytest

from hivemind.render import RenderOptions
from hivemind.render.images import image_parameter, resolve_image_id
from synth_support import all_resources, example_plan, resources
from test_moto_deploy import _deploy


def test_resolver_reads_the_public_parameter_with_evidence(aws):
    image_id, evidence = resolve_image_id("us-east-1", "arm64")
    assert image_id.startswith("ami-")
    assert evidence.parameter == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    assert evidence.region == "us-east-1" and evidence.arch == "arm64" and evidence.version
    assert image_id in evidence.describe() or evidence.parameter in evidence.describe()
    # The id names a real AL2023 image of that architecture (moto ships the public catalogue).
    image = boto3.client("ec2", region_name="us-east-1").describe_images(ImageIds=[image_id])["Images"][0]
    assert image["Architecture"] == "arm64" and "al2023" in image["Name"]
    with pytest.raises(ValueError):
        image_parameter("sparc")


def test_pinned_image_deploys_and_is_what_instances_launch_from(aws, synths):
    image_id, _ = resolve_image_id("us-east-1", "x86_64")
    plan = example_plan("celery-worker", "stage-1")
    result = synths.get("moto-pinned", plan, options=RenderOptions(image_ids={"blue": image_id}), checks=False)
    app = result.stack("celery-worker-app-blue").template
    assert [lt["Properties"]["LaunchTemplateData"]["ImageId"] for lt in resources(app, "AWS::EC2::LaunchTemplate").values()] \
        == [image_id]
    assert "ami-amazon-linux-latest" not in json.dumps(app["Parameters"])
    assert set(_deploy(result).values()) == {"CREATE_COMPLETE"}
    ec2 = boto3.client("ec2", region_name="us-east-1")
    template = ec2.describe_launch_templates()["LaunchTemplates"][0]
    version = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])["LaunchTemplateVersions"][0]
    assert version["LaunchTemplateData"]["ImageId"] == image_id


def test_without_a_pin_offline_synth_reads_the_latest_parameter_and_production_warns(example_synth):
    for stage in ("stage-1", "production"):
        result = example_synth("express-postgres", stage)
        for lt in all_resources(result, "AWS::EC2::LaunchTemplate").values():
            image = lt["Properties"]["LaunchTemplateData"]["ImageId"]
            assert "Ref" in image and "SsmParameterValueawsserviceamiamazonlinuxlatestal2023" in image["Ref"]
        warnings = [f for f in result.findings if f.rule_id == "HM-IMAGE-PIN"]
        assert [f.severity for f in warnings] == (["warning"] if stage == "production" else [])
