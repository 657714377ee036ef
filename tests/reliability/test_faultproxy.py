"""The fault proxy itself: it forwards to moto, and its faults are the ones AWS clients meet."""
from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from hivemind.aws import AwsError, aws_errors, client

NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def test_calls_pass_through_to_moto(fault_proxy):
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/probe", Value="v", Type="String")
    assert ssm.get_parameter(Name="/probe")["Parameter"]["Value"] == "v"
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="probe-bucket")
    s3.put_object(Bucket="probe-bucket", Key="k", Body=b"x" * 70_000)
    assert len(s3.get_object(Bucket="probe-bucket", Key="k")["Body"].read()) == 70_000
    assert s3.head_object(Bucket="probe-bucket", Key="k")["ContentLength"] == 70_000
    actions = [(r.call.service, r.call.action) for r in fault_proxy.calls()]
    assert ("ssm", "PutParameter") in actions and ("ssm", "GetParameter") in actions
    assert ("s3", "PUT /probe-bucket/k") in actions
    assert fault_proxy.stats() == {"calls": len(actions), "pass": len(actions)}


@pytest.mark.parametrize("service", ["ssm", "cloudformation", "s3"])
def test_throttling_is_shaped_as_aws_throttles(fault_proxy, service):
    fault_proxy.configure(throttle=1.0)
    api = boto3.client(service, region_name="us-east-1", config=NO_RETRY)
    call = {"ssm": lambda: api.describe_parameters(), "cloudformation": lambda: api.describe_stacks(),
            "s3": lambda: api.list_buckets()}[service]
    with pytest.raises(ClientError) as err:
        call()
    code = err.value.response["Error"]["Code"]
    status = err.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert (code, status) == {"ssm": ("ThrottlingException", 400), "cloudformation": ("Throttling", 400),
                              "s3": ("SlowDown", 503)}[service]


def test_a_throttled_share_is_absorbed_by_botocore_retries(fault_proxy):
    fault_proxy.configure(throttle=0.3, seed=3)
    ssm = client("ssm", "us-east-1")  # HiveMind's client: adaptive retries
    for i in range(6):
        ssm.put_parameter(Name=f"/p/{i}", Value=str(i), Type="String")
    stats = fault_proxy.stats()
    assert stats["throttle"] > 0 and stats["pass"] == 6  # every call landed in the end
    assert len(boto3.client("ssm", region_name="us-east-1").get_parameters_by_path(Path="/p")["Parameters"]) == 6


def test_faults_are_deterministic_and_bounded(fault_proxy):
    def run() -> list[str]:
        fault_proxy.configure(throttle=0.5, server_error=0.2, seed=11, max_faults=4)
        ssm = boto3.client("ssm", region_name="us-east-1",
                           config=Config(retries={"max_attempts": 10, "mode": "standard"}))
        for _ in range(8):
            ssm.describe_parameters()
        return [r.fault for r in fault_proxy.calls()]

    first = run()
    assert first == run()                      # same seed, same order: same faults
    assert sum(f != "pass" for f in first) == 4  # never more than max_faults
    assert first.count("pass") == 8


@pytest.mark.parametrize("outage", ["reset", "503"])
def test_an_outage_is_one_line_for_hivemind(fault_proxy, outage):
    fault_proxy.configure(outage=outage)
    # Two attempts, not HiveMind's ten (bench/faults.py measures how long those take to give up).
    api = boto3.client("ssm", region_name="us-east-1", config=Config(retries={"max_attempts": 2, "mode": "standard"}))
    with pytest.raises(AwsError) as err:
        with aws_errors("reading state"):
            api.describe_parameters()
    assert "\n" not in str(err.value)
    assert all(r.fault == "outage" for r in fault_proxy.calls())


def test_only_selected_calls_are_faulted(fault_proxy):
    fault_proxy.configure(outage="503", only=lambda call: call.service == "ssm" and call.action == "PutParameter")
    ssm = boto3.client("ssm", region_name="us-east-1", config=NO_RETRY)
    assert ssm.describe_parameters()["Parameters"] == []
    with pytest.raises(ClientError):
        ssm.put_parameter(Name="/x", Value="1", Type="String")
