"""Deploy-engine fixtures: small real templates moto can create, and an engine wired to moto."""
from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from rich.console import Console

from hivemind.deploy import ChangeSetContext, DeployEngine, StackSpec
from hivemind.deploy.cfn import thread_local_factory
from hivemind.cli.progress import DeployProgress

REGION = "us-east-1"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "express-postgres"
NAME = "express-postgres"


def network_template(cidr: str = "10.0.0.0/16") -> dict:
    return {"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
        "VpcIdParam": {"Type": "AWS::SSM::Parameter",
                       "Properties": {"Name": "/t/vpc", "Type": "String", "Value": {"Ref": "Vpc"}}},
    }}


def app_template(description: str = "app") -> dict:
    # Reads the network stack's value through SSM, like the real colour stacks do.
    return {
        "Parameters": {"VpcId": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/t/vpc"}},
        "Resources": {"AppSg": {"Type": "AWS::EC2::SecurityGroup",
                                "Properties": {"GroupDescription": description, "VpcId": {"Ref": "VpcId"}}}},
    }


def bucket_template(name: str = "t-data-bucket") -> dict:
    return {"Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}}}


def database_template(db_name: str = "app") -> dict:
    return {"Resources": {"Database": {"Type": "AWS::RDS::DBInstance", "Properties": {
        "DBInstanceIdentifier": "t-db", "DBName": db_name, "Engine": "postgres", "EngineVersion": "16.4",
        "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20", "MasterUsername": "hivemind",
        "MasterUserPassword": "not-a-real-password-1",
    }}}}


def three_stacks(**overrides) -> list[StackSpec]:
    """network <- data, network <- app: data and app are independent of each other."""
    return [
        StackSpec("t-network", overrides.get("network", network_template())),
        StackSpec("t-data", overrides.get("data", bucket_template()), ("t-network",)),
        StackSpec("t-app", overrides.get("app", app_template()), ("t-network",)),
    ]


@pytest.fixture
def make_engine(aws):
    """Build an engine against the test's moto account (tiny waiter delays: moto is synchronous)."""

    def build(specs=None, *, max_parallel: int = 4, allow_replacement: bool = False, upload=None):
        names = [s.name for s in specs] if specs else []
        progress = DeployProgress(names, Console(file=open("/dev/null", "w")))
        return DeployEngine(
            thread_local_factory(REGION, waiter_delays=(0.01, 0.01)),
            ChangeSetContext("t", "stage-1", upload_template=upload),
            region=REGION, max_parallel=max_parallel, allow_replacement=allow_replacement,
            progress=progress, poll_interval=0.01,
        )

    return build


@pytest.fixture
def cfn(aws):
    return boto3.client("cloudformation", region_name=REGION)


def live_stacks(cfn) -> dict[str, str]:
    """Stack name -> status for every stack that exists (deleted ones excluded)."""
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}

