"""boto3 call -> IAM action, through botocore's service model.

The IAM action is `<prefix>:<OperationName>` for almost every call: the prefix is the service's
signing name (endpoint prefix when it has none), the name is the API operation's. The two tables
below hold only the exceptions, each with the reason.
"""
from __future__ import annotations

import functools

import botocore.session

from .scan import ApiCall

# Services whose IAM prefix is neither their signing name nor their endpoint prefix.
IAM_PREFIX = {
    "cloudwatch": "cloudwatch",             # endpoint prefix "monitoring"
    "resourcegroupstaggingapi": "tag",      # endpoint prefix "tagging"
}

# (service, operation or boto3 method) -> the IAM actions it needs, where that is not one action
# named like the operation (AWS Service Authorization Reference).
ACTION_EXCEPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # Without s3:ListBucket a missing key answers 403 instead of 404, and HiveMind reads "absent"
    # from that 404 (publish.object_exists, the lease).
    ("s3", "HeadObject"): ("s3:GetObject", "s3:ListBucket"),
    ("s3", "GetObject"): ("s3:GetObject", "s3:ListBucket"),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    # destroy deletes object *versions* (the bucket is versioned): that is DeleteObjectVersion.
    ("s3", "DeleteObjects"): ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    # boto3's transfer manager: multipart parts are authorized as s3:PutObject; a failed upload aborts.
    ("s3", "upload_file"): ("s3:PutObject", "s3:AbortMultipartUpload"),
    ("s3", "upload_fileobj"): ("s3:PutObject", "s3:AbortMultipartUpload"),
    ("s3", "download_file"): ("s3:GetObject",),
    ("s3", "download_fileobj"): ("s3:GetObject",),
    # The final snapshot is created with Tags: tagging on create is authorized separately.
    ("rds", "CreateDBSnapshot"): ("rds:CreateDBSnapshot", "rds:AddTagsToResource"),
    # Who am I: allowed for every principal, no policy can deny it.
    ("sts", "GetCallerIdentity"): (),
}


@functools.lru_cache(maxsize=None)
def iam_prefix(service: str) -> str:
    if service in IAM_PREFIX:
        return IAM_PREFIX[service]
    metadata = botocore.session.get_session().get_service_model(service).metadata
    return metadata.get("signingName") or metadata["endpointPrefix"]


def actions_for(call: ApiCall) -> tuple[str, ...]:
    """The IAM actions one scanned call needs."""
    key = (call.service, call.operation)
    if key in ACTION_EXCEPTIONS:
        return ACTION_EXCEPTIONS[key]
    return (f"{iam_prefix(call.service)}:{call.operation}",)


def is_known_action(action: str, services: set[str]) -> bool:
    """True when `action` names a real operation of one of `services` (boto3 client names) whose
    IAM prefix it carries, or is one of the exception table's actions (IAM-only names such as
    s3:ListBucket)."""
    if action in {a for actions in ACTION_EXCEPTIONS.values() for a in actions}:
        return True
    prefix, _, name = action.partition(":")
    session = botocore.session.get_session()
    return any(iam_prefix(s) == prefix and name in session.get_service_model(s).operation_names for s in services)
