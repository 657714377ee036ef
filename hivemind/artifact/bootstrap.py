"""The artifact bucket HiveMind owns in each region, created by a tiny `hivemind-bootstrap` stack.

Built with the CDK S3 L2 construct (secure defaults: SSE, versioning, public access blocked,
TLS-only bucket policy, old versions expired) and deployed with plain create/update_stack: it is
the one stack that must exist before any HiveMind deploy can publish anything.
"""
from __future__ import annotations

import functools
import hashlib
import json

from botocore.exceptions import ClientError, WaiterError

from ..aws import AwsError, aws_errors, client

BOOTSTRAP_STACK = "hivemind-bootstrap"
BUCKET_OUTPUT = "ArtifactBucketName"
# Bump when the template changes meaningfully; stored as a stack tag so old stacks get updated.
VERSION_TAG = "hivemind:bootstrap-version"
# Each waiter poll is one DescribeStacks: 5 s x 120 = 10 minutes, far above a bucket's create time.
_WAIT = {"Delay": 5, "MaxAttempts": 120}


@functools.lru_cache(maxsize=1)
def bootstrap_template() -> str:
    """The bootstrap stack's CloudFormation template (JSON), synthesized in-process."""
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    app = cdk.App(analytics_reporting=False, context={"aws:cdk:enable-path-metadata": False})
    stack = cdk.Stack(
        app, "HivemindBootstrap", stack_name=BOOTSTRAP_STACK,
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        description="HiveMind artifact bucket (app bundles and CDK file assets)",
    )
    bucket = s3.Bucket(
        stack, "ArtifactBucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        # Artifacts are content-addressed: an overwritten version is never read again.
        lifecycle_rules=[s3.LifecycleRule(
            noncurrent_version_expiration=cdk.Duration.days(30),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
        )],
        # Deleting the bootstrap stack must not take deployed apps' artifacts with it.
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    cdk.CfnOutput(stack, BUCKET_OUTPUT, value=bucket.bucket_name)
    template = app.synth().get_stack_by_name(BOOTSTRAP_STACK).template
    return json.dumps(template, sort_keys=True)


def template_version() -> str:
    return hashlib.sha256(bootstrap_template().encode()).hexdigest()[:16]


def _describe(cfn) -> dict | None:
    try:
        return cfn.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
            return None
        raise


def _bucket_of(cfn, stack: dict) -> str:
    for output in stack.get("Outputs") or []:
        if output["OutputKey"] == BUCKET_OUTPUT:
            return output["OutputValue"]
    # Outputs can be absent (moto after an update): the bucket's physical id is its name.
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=BOOTSTRAP_STACK):
        for res in page["StackResourceSummaries"]:
            if res["ResourceType"] == "AWS::S3::Bucket" and res.get("PhysicalResourceId"):
                return res["PhysicalResourceId"]
    raise AwsError(f"stack {BOOTSTRAP_STACK} has no artifact bucket; delete the stack and retry")


def _wait(cfn, waiter: str) -> dict:
    try:
        cfn.get_waiter(waiter).wait(StackName=BOOTSTRAP_STACK, WaiterConfig=_WAIT)
    except WaiterError as exc:
        stack = ((exc.last_response or {}).get("Stacks") or [{}])[0]
        detail = ": ".join(x.strip() for x in (stack.get("StackStatus"), stack.get("StackStatusReason")) if x)
        raise AwsError(f"stack {BOOTSTRAP_STACK} did not finish ({detail or exc})") from None
    return _describe(cfn)


def _tags() -> list[dict[str, str]]:
    return [{"Key": VERSION_TAG, "Value": template_version()}, {"Key": "hivemind:managed", "Value": "true"}]


def ensure_bootstrap(region: str) -> str:
    """Create or update the bootstrap stack if needed; return the artifact bucket's name.

    Idempotent: when the stack exists at the current template version nothing is called but
    DescribeStacks.
    """
    cfn = client("cloudformation", region)
    with aws_errors(f"bootstrapping HiveMind in {region}"):
        stack = _describe(cfn)
        if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
            # A failed first create leaves a stack that can only be deleted.
            cfn.delete_stack(StackName=BOOTSTRAP_STACK)
            cfn.get_waiter("stack_delete_complete").wait(StackName=BOOTSTRAP_STACK, WaiterConfig=_WAIT)
            stack = None
        if stack is None:
            try:
                cfn.create_stack(StackName=BOOTSTRAP_STACK, TemplateBody=bootstrap_template(), Tags=_tags(),
                                 OnFailure="ROLLBACK")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                    raise  # another hivemind process is creating it: wait for that one
            stack = _wait(cfn, "stack_create_complete")
        elif stack["StackStatus"].endswith("_IN_PROGRESS"):
            waiter = "stack_create_complete" if stack["StackStatus"].startswith("CREATE") else "stack_update_complete"
            stack = _wait(cfn, waiter)
        else:
            tags = {t["Key"]: t["Value"] for t in stack.get("Tags") or []}
            if tags.get(VERSION_TAG) != template_version():
                try:
                    cfn.update_stack(StackName=BOOTSTRAP_STACK, TemplateBody=bootstrap_template(), Tags=_tags())
                    stack = _wait(cfn, "stack_update_complete")
                except ClientError as exc:
                    if "No updates are to be performed" not in exc.response.get("Error", {}).get("Message", ""):
                        raise
        return _bucket_of(cfn, stack)


def find_bootstrap_bucket(region: str) -> str | None:
    """The artifact bucket if the bootstrap stack exists and is usable, else None. Read-only
    (for --what-if and status): never creates or updates anything."""
    cfn = client("cloudformation", region)
    with aws_errors(f"looking up the HiveMind bootstrap stack in {region}"):
        stack = _describe(cfn)
        if stack is None or stack["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_IN_PROGRESS", "CREATE_FAILED",
                                                     "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED"):
            return None
        return _bucket_of(cfn, stack)
