"""destroy after `upgrade --to-production`: the data and network stacks carry termination protection
(a stack setting upgrade turns on); the confirmed destroy lifts it on the stacks it deletes, a kept
stack keeps it.

moto gaps covered: moto 5.2 has no UpdateTerminationProtection ("has not been implemented", a 500) and
deletes a protected stack anyway ("The functionality behind EnableTerminationProtection is not yet
implemented"). The fixture gives the in-process moto server both, shaped like real CloudFormation's:
the call answers the StackId, a protected stack's deletion is a ValidationError."""
from __future__ import annotations

import json

import boto3
import pytest
from moto.cloudformation import models as cfn_models
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult

from hivemind.render.names import stack_name
from hivemind.state import load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.upgrade import protect_production_stacks

from .test_destroy_moto import FAST, NAME, REGION, our_stacks, run_cli


@pytest.fixture
def moto_honours_termination_protection(monkeypatch):
    original = cfn_models.CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):
        for stack in self.stacks.values():
            if name_or_stack_id in (stack.name, stack.stack_id) and stack.enable_termination_protection:
                raise ValidationError(message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection "
                                              f"is enabled")
        return original(self, name_or_stack_id)

    def update_termination_protection(self):
        name = self._get_param("StackName")
        stack = self.cloudformation_backend.get_stack(name)
        stack.enable_termination_protection = self._get_param("EnableTerminationProtection") in (True, "true")
        return ActionResult({"StackId": stack.stack_id})

    monkeypatch.setattr(cfn_models.CloudFormationBackend, "delete_stack", delete_stack)
    monkeypatch.setattr(cfn_responses.CloudFormationResponse, "update_termination_protection",
                        update_termination_protection, raising=False)


def protection() -> dict[str, bool]:
    cfn = boto3.client("cloudformation", region_name=REGION)
    return {name: bool(cfn.describe_stacks(StackName=name)["Stacks"][0].get("EnableTerminationProtection"))
            for name in our_stacks()}


def test_destroy_lifts_termination_protection_on_what_it_deletes(aws, repo, capsys,
                                                                 moto_honours_termination_protection):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    protect_production_stacks(load_state(NAME).plan)
    protected = {stack_name(NAME, "data"), stack_name(NAME, "network")}
    assert {n for n, on in protection().items() if on} == protected
    # The refusal is real here: deleting a protected stack straight away fails.
    with pytest.raises(Exception, match="TerminationProtection"):
        boto3.client("cloudformation", region_name=REGION).delete_stack(StackName=stack_name(NAME, "network"))

    code, out, err = run_cli(capsys, "destroy", NAME, "--yes", "--json")
    outcome = json.loads(out)
    assert outcome["status"] == "succeeded", err
    phases = {p["name"]: p["outcome"] for p in outcome["phases"]}
    assert phases["termination protection"] == "ok"
    assert our_stacks() == {}
    assert load_state(NAME).status.value == "destroyed"


def test_keep_data_keeps_the_protection_of_the_kept_stacks(aws, repo, capsys, moto_honours_termination_protection):
    deploy(repo, stage="stage-1", yes=True, **FAST)
    protect_production_stacks(load_state(NAME).plan)

    code, out, err = run_cli(capsys, "destroy", NAME, "--yes", "--keep-data", "--json")
    outcome = json.loads(out)
    assert outcome["status"] == "succeeded", err
    phases = {p["name"]: p["outcome"] for p in outcome["phases"]}
    assert phases["termination protection"] == "skipped"  # nothing it deletes is protected
    assert protection() == {stack_name(NAME, "data"): True, stack_name(NAME, "network"): True}
