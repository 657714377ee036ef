"""What-if on a fresh account (no artifact bucket yet) with a template over CloudFormation's
51,200-byte inline limit: previewed from the template, nothing created; a deploy without a
bucket to upload to says why in one line."""
from __future__ import annotations

import pytest
from rich.console import Console

from hivemind.deploy import DeployError, StackSpec
from hivemind.deploy.changeset import TEMPLATE_BODY_LIMIT
from hivemind.cli.what_if import print_what_if

from .conftest import live_stacks, network_template


def big_template(parameters: int = 120) -> dict:
    # Plenty of small SSM parameters, as a many-service app's stack would have resources.
    return {"Resources": {f"Param{i}": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Name": f"/t/big/{i}", "Type": "String", "Value": "v", "Description": "x" * 400}}
        for i in range(parameters)}}


def test_what_if_previews_an_oversized_template_locally_without_a_bucket(make_engine, cfn):
    specs = [StackSpec("t-network", network_template()), StackSpec("t-big", big_template())]
    assert specs[1].needs_upload and not specs[0].needs_upload
    engine = make_engine(specs)  # no uploader: the bootstrap bucket does not exist yet
    previews = {p.name: p for p in engine.preview(specs, what_if=True)}
    big = previews["t-big"]
    assert big.change_set_type == "CREATE" and big.change_set_id is None
    assert str(TEMPLATE_BODY_LIMIT) in big.note
    assert len(big.changes) == 120 and {c.action for c in big.changes} == {"Add"}
    console = Console(record=True, width=200)
    print_what_if(console, list(previews.values()), [])
    assert "t-big: will be created, previewed from the template" in console.export_text()
    engine.discard(list(previews.values()))
    assert live_stacks(cfn) == {}  # the small stack's preview was a real change set, now removed


def test_deploying_an_oversized_template_without_a_bucket_is_one_clear_error(make_engine, cfn):
    specs = [StackSpec("t-big", big_template())]
    with pytest.raises(DeployError, match=r"^t-big: template is \d+ bytes \(over CloudFormation's 51200\) "
                                          r"and no artifact bucket"):
        make_engine(specs).preview(specs)
    assert live_stacks(cfn) == {}
