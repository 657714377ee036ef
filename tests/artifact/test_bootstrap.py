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


# moto never leaves a stack in ROLLBACK_COMPLETE (a failed create raises instead), so these two
# feed ensure_bootstrap DescribeStacks answers shaped exactly like real CloudFormation's.

def _stubbed_cfn(monkeypatch):
    from botocore.stub import Stubber

    from hivemind.artifact import bootstrap

    cfn = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(cfn)
    monkeypatch.setattr(bootstrap, "client", lambda service, region: cfn)
    return stub


def _stack(status: str, **extra) -> dict:
    return {"Stacks": [{"StackName": BOOTSTRAP_STACK, "StackStatus": status,
                        "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{BOOTSTRAP_STACK}/1",
                        "CreationTime": "2026-11-24T12:00:00Z", **extra}]}


def test_a_failed_first_bootstrap_is_deleted_and_recreated(monkeypatch):
    stub = _stubbed_cfn(monkeypatch)
    gone = {"service_error_code": "ValidationError", "service_message": f"Stack with id {BOOTSTRAP_STACK} does not exist"}
    stub.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"))
    stub.add_response("delete_stack", {}, {"StackName": BOOTSTRAP_STACK})
    stub.add_client_error("describe_stacks", **gone)                 # delete waiter: gone = done
    stub.add_response("create_stack", {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/x/2"})
    stub.add_response("describe_stacks", _stack("CREATE_COMPLETE"))  # create waiter
    stub.add_response("describe_stacks", _stack(
        "CREATE_COMPLETE", Outputs=[{"OutputKey": "ArtifactBucketName", "OutputValue": "fresh-bucket"}]))
    with stub:
        assert ensure_bootstrap("us-east-1") == "fresh-bucket"
        stub.assert_no_pending_responses()


def test_a_bootstrap_that_rolls_back_is_one_clear_error(monkeypatch):
    from hivemind.aws import AwsError

    stub = _stubbed_cfn(monkeypatch)
    stub.add_client_error("describe_stacks", service_error_code="ValidationError",
                          service_message=f"Stack with id {BOOTSTRAP_STACK} does not exist")
    stub.add_response("create_stack", {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/x/3"})
    stub.add_response("describe_stacks", _stack(
        "ROLLBACK_COMPLETE", StackStatusReason="The following resource(s) failed to create: [ArtifactBucket7410C9EF]. "))
    with stub, pytest.raises(AwsError) as err:
        ensure_bootstrap("us-east-1")
    assert str(err.value) == ("stack hivemind-bootstrap did not finish "
                              "(ROLLBACK_COMPLETE: The following resource(s) failed to create: [ArtifactBucket7410C9EF].)")
