"""Ctrl-C while the change sets are being made: every change set already made is deleted (no
pending change set, no empty REVIEW_IN_PROGRESS stack is left behind) and the interrupt goes on."""
from __future__ import annotations

import pytest

from hivemind.deploy import engine as engine_module

from .conftest import app_template, live_stacks, network_template, three_stacks


def pending_change_sets(cfn, stack: str) -> list[str]:
    # moto lists every stack's change sets and keeps executed ones: keep this stack's open ones.
    return [s["ChangeSetName"] for s in cfn.list_change_sets(StackName=stack)["Summaries"]
            if s["StackName"] == stack and s.get("ExecutionStatus") != "EXECUTE_COMPLETE"]


def test_ctrl_c_during_preview_deletes_the_change_sets_already_made(make_engine, cfn, monkeypatch):
    specs = three_stacks()
    engine = make_engine(specs)
    assert engine.execute(engine.preview(specs)).ok

    real = engine_module.create_change_set

    def interrupted_at_app(api, spec, ctx, **kwargs):
        if spec.name == "t-app":
            raise KeyboardInterrupt  # what the main thread sees when the user presses Ctrl-C
        return real(api, spec, ctx, **kwargs)

    monkeypatch.setattr(engine_module, "create_change_set", interrupted_at_app)
    changed = three_stacks(network=network_template("10.9.0.0/16"), app=app_template("v2"),
                           data={"Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {
                               "BucketName": "t-data-bucket", "Tags": [{"Key": "k", "Value": "v"}]}}}})
    engine = make_engine(changed, max_parallel=1)  # network, then data (both made), then app
    with pytest.raises(KeyboardInterrupt):
        engine.preview(changed)
    assert pending_change_sets(cfn, "t-network") == [] and pending_change_sets(cfn, "t-data") == []
    assert set(live_stacks(cfn).values()) == {"CREATE_COMPLETE"}
    assert engine.cancel.is_set()  # change sets still being waited for stop waiting
