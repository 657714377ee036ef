"""Every Modify row of a what-if says whether the resource is replaced: from the change set when
CloudFormation says so, else from the schema's createOnlyProperties (template-diff previews of
stacks waiting for their dependencies; moto, whose change sets carry no Replacement/Details)."""
from __future__ import annotations

from rich.console import Console

from hivemind.deploy import ResourceChange, StackSpec
from hivemind.deploy.changeset import StackPreview
from hivemind.cli.what_if import print_what_if
from hivemind.deploy.guard import fill_replacement

from .conftest import REGION, bucket_template, network_template, three_stacks


def _by_id(preview: StackPreview) -> dict[str, ResourceChange]:
    return {c.logical_id: c for c in preview.changes}


def test_schema_decides_replacement_when_the_change_does_not_say():
    old = {"Resources": {**network_template()["Resources"], **bucket_template()["Resources"]}}
    new = {"Resources": {**network_template("10.9.0.0/16")["Resources"], "Data": {
        "Type": "AWS::S3::Bucket", "Properties": {"BucketName": "t-data-bucket", "Tags": [{"Key": "k", "Value": "v"}]}}}}
    preview = StackPreview(StackSpec("s", new), "UPDATE", old_template=old, deferred=True, changes=[
        ResourceChange("Modify", "Vpc", "AWS::EC2::VPC"),
        ResourceChange("Modify", "Data", "AWS::S3::Bucket"),
        ResourceChange("Modify", "VpcIdParam", "AWS::SSM::Parameter", "Conditional", ("Value",)),
        ResourceChange("Add", "New", "AWS::SNS::Topic"),
    ])
    fill_replacement(preview, REGION)
    changes = _by_id(preview)
    assert (changes["Vpc"].replacement, changes["Vpc"].causes) == ("True", ("CidrBlock",))
    assert (changes["Data"].replacement, changes["Data"].causes) == ("False", ("Tags",))
    # What CloudFormation said is kept as it said it; additions have no replacement to speak of.
    assert (changes["VpcIdParam"].replacement, changes["VpcIdParam"].causes) == ("Conditional", ("Value",))
    assert changes["New"].replacement is None


def test_what_if_against_moto_flags_a_create_only_change_as_replacement(make_engine):
    specs = three_stacks()
    engine = make_engine(specs)
    assert engine.execute(engine.preview(specs)).ok

    tagged = {"Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": "t-data-bucket", "Tags": [{"Key": "k", "Value": "v"}]}}}}
    changed = three_stacks(network=network_template("10.9.0.0/16"), data=tagged)
    engine = make_engine(changed)
    previews = {p.name: p for p in engine.preview(changed)}
    try:
        vpc = _by_id(previews["t-network"])["Vpc"]
        bucket = _by_id(previews["t-data"])["Data"]
        assert (vpc.action, vpc.replacement, vpc.causes) == ("Modify", "True", ("CidrBlock",))
        assert (bucket.action, bucket.replacement, bucket.causes) == ("Modify", "False", ("Tags",))
        console = Console(record=True, width=160)
        print_what_if(console, list(previews.values()), [])
        rows = [line for line in console.export_text().splitlines() if "Modify" in line]
        assert any("Vpc " in r and "True" in r and "CidrBlock" in r for r in rows)
        assert any("Data " in r and "False" in r and "Tags" in r for r in rows)
    finally:
        engine.discard(list(previews.values()))
