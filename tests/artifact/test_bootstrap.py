"""The `hivemind-bootstrap` stack: one artifact bucket per region, secure, created once."""
from __future__ import annotations

import json

import boto3
import pytest

from hivemind.artifact import BOOTSTRAP_STACK, bootstrap_template, ensure_bootstrap
from hivemind.artifact.bootstrap import VERSION_TAG, template_version


@pytest.fixture
def cfn_calls():
    from hivemind import aws

    calls: list[str] = []

    def record(model, **_):
        calls.append(model.name)

    aws._session.cache_clear()
    session = aws._session("us-east-1")
    session.events.register("before-call.cloudformation", record)
    yield calls
    session.events.unregister("before-call.cloudformation", record)
    aws._session.cache_clear()


def _bucket_resource():
    template = json.loads(bootstrap_template())
    [bucket] = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    [policy] = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
    return template, bucket["Properties"], policy["Properties"]["PolicyDocument"]


def test_template_declares_a_secure_bucket():
    # moto's CloudFormation applies only BucketEncryption (it ignores versioning, the public
    # access block and AWS::S3::BucketPolicy), so those are asserted on the template itself.
    template, props, policy = _bucket_resource()
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    [deny] = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert "BucketName" not in props  # CloudFormation names it: unique per account and region
    assert "BootstrapVersion" not in template.get("Parameters", {})  # no CDK bootstrap needed


def test_template_passes_cfn_lint():
    from cfnlint.api import lint_all

    findings = [m for m in lint_all(bootstrap_template()) if m.rule.id[0] in "EW"]
    assert findings == []


def test_creates_stack_and_encrypted_bucket_then_is_a_no_op(aws, cfn_calls):
    bucket = ensure_bootstrap("us-east-1")
    assert "CreateStack" in cfn_calls
    s3 = boto3.client("s3", region_name="us-east-1")
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [stack] = boto3.client("cloudformation", region_name="us-east-1").describe_stacks(
        StackName=BOOTSTRAP_STACK)["Stacks"]
    assert {t["Key"]: t["Value"] for t in stack["Tags"]}[VERSION_TAG] == template_version()

    cfn_calls.clear()
    assert ensure_bootstrap("us-east-1") == bucket
    assert cfn_calls == ["DescribeStacks"]  # second call: a read, nothing created or updated


def test_an_outdated_bootstrap_stack_is_updated(aws, cfn_calls):
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName=BOOTSTRAP_STACK, TemplateBody=bootstrap_template(),
                     Tags=[{"Key": VERSION_TAG, "Value": "0-old"}])
    bucket = ensure_bootstrap("us-east-1")
    assert "UpdateStack" in cfn_calls
    [stack] = cfn.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"]
    assert {t["Key"]: t["Value"] for t in stack["Tags"]}[VERSION_TAG] == template_version()
    assert bucket in [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]]


def test_one_bucket_per_region(aws):
    assert ensure_bootstrap("us-east-1") != ensure_bootstrap("eu-west-1")


def test_find_bootstrap_bucket_is_read_only(aws, cfn_calls):
    from hivemind.artifact import find_bootstrap_bucket

    assert find_bootstrap_bucket("us-east-1") is None
    assert cfn_calls == ["DescribeStacks"]  # looked, created nothing
    bucket = ensure_bootstrap("us-east-1")
    cfn_calls.clear()
    assert find_bootstrap_bucket("us-east-1") == bucket
    assert "CreateStack" not in cfn_calls and "UpdateStack" not in cfn_calls
