"""What-if only looks the artifact bucket up: an out-of-date bootstrap stack (an older HiveMind
made it) is left exactly as it is; the next real deploy brings it up to date."""
from __future__ import annotations

import boto3

from hivemind.artifact.bootstrap import BOOTSTRAP_STACK, VERSION_TAG, bootstrap_template
from hivemind.workflows.deploy import deploy

from .conftest import NAME, REGION

FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}


def bootstrap_stack(cfn) -> dict:
    return cfn.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"][0]


def test_what_if_leaves_an_old_bootstrap_stack_alone(aws, repo):
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName=BOOTSTRAP_STACK, TemplateBody=bootstrap_template(),
                     Tags=[{"Key": VERSION_TAG, "Value": "older-version"}])
    before = bootstrap_stack(cfn)

    preview = deploy(repo, stage="stage-1", what_if=True, **FAST)
    assert preview.what_if and preview.previews
    after = bootstrap_stack(cfn)
    assert {t["Key"]: t["Value"] for t in after["Tags"]}[VERSION_TAG] == "older-version"
    assert after["StackStatus"] == before["StackStatus"] == "CREATE_COMPLETE"
    assert after.get("LastUpdatedTime") == before.get("LastUpdatedTime")
    assert not [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"].startswith(NAME)]

    deploy(repo, stage="stage-1", yes=True, **FAST)  # a real deploy updates it
    assert {t["Key"]: t["Value"] for t in bootstrap_stack(cfn)["Tags"]}[VERSION_TAG] != "older-version"
