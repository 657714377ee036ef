"""CloudFormation is the source of truth: statuses, URL and dashboard come from it, and a command
that stopped half-way is reported as what CloudFormation shows, not as "deploying" forever."""
from __future__ import annotations

import boto3
import pytest

from hivemind.state import (
    DeploymentState, DeploymentStatus, StackState, current_status, dashboard_url, load_state,
    refresh_from_cloudformation, save_state, state_path,
)

from .cfn_templates import dashboard_template, edge_template, tags


@pytest.fixture
def cfn(aws):
    return boto3.client("cloudformation", region_name="us-east-1")


def _alb_dns():
    [lb] = boto3.client("elbv2", region_name="us-east-1").describe_load_balancers()["LoadBalancers"]
    return lb["DNSName"]


def test_url_from_the_load_balancer_when_outputs_are_empty(cfn, make_plan):
    # moto returns no Outputs after a change set; the URL must still be found (ELBv2 lookup).
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template(), Tags=tags("orders-api"))
    state = refresh_from_cloudformation(DeploymentState.new(make_plan()))
    assert state.stacks["orders-api-edge"].status == "CREATE_COMPLETE"
    assert state.stacks["orders-api-edge"].stack_id.startswith("arn:aws:cloudformation:")
    assert state.url == f"http://{_alb_dns()}"
    assert set(state.stacks) == {"orders-api-edge"}  # stacks that were never created are not invented


def test_url_from_outputs_and_https_with_a_certificate(cfn, make_plan):
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template(with_outputs=True))
    state = refresh_from_cloudformation(DeploymentState.new(make_plan()))
    assert state.stacks["orders-api-edge"].outputs["AppUrl"] == f"http://{_alb_dns()}"
    assert state.url == f"http://{_alb_dns()}"

    cfn.delete_stack(StackName="orders-api-edge")
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template())
    secure = make_plan(certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc")
    state = refresh_from_cloudformation(DeploymentState.new(secure))
    assert state.url == f"https://{_alb_dns()}"


def test_dashboard_link_from_the_observability_stack(cfn, make_plan):
    cfn.create_stack(StackName="orders-api-observability", TemplateBody=dashboard_template("orders-api-dash"))
    state = refresh_from_cloudformation(DeploymentState.new(make_plan(region="us-east-1")))
    assert state.dashboard_url == dashboard_url("us-east-1", "orders-api-dash")
    assert state.dashboard_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=orders-api-dash")


def test_a_deleted_stack_is_reported_missing(cfn, make_plan):
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.COMPLETED
    state.stacks["orders-api-data"] = StackState(status="CREATE_COMPLETE")
    refresh_from_cloudformation(state)
    assert state.stacks["orders-api-data"].status == "MISSING"
    assert state.status is DeploymentStatus.COMPLETED


def test_interrupted_deploy_reports_cloudformation_truth(cfn, make_plan):
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template())
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.DEPLOYING   # written just before Ctrl-C killed the deploy
    save_state(state)

    shown = current_status("orders-api")
    assert shown.status is DeploymentStatus.FAILED
    assert shown.failed_stage == "deploying"
    assert shown.last_error == "interrupted while deploying; CloudFormation reports: orders-api-edge CREATE_COMPLETE"
    assert shown.url == f"http://{_alb_dns()}"
    assert load_state("orders-api").status is DeploymentStatus.FAILED  # the truth is saved back


def test_a_running_command_is_not_called_interrupted(cfn, make_plan, lock_holder):
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template())
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.DEPLOYING
    save_state(state)
    lock_holder("orders-api")  # another process is deploying right now

    shown = current_status("orders-api")
    assert shown.status is DeploymentStatus.DEPLOYING
    assert shown.stacks["orders-api-edge"].status == "CREATE_COMPLETE"
    assert load_state("orders-api").stacks == {}  # the lock holder owns the file: status did not write


def test_interrupted_while_cloudformation_still_works(aws, make_plan, monkeypatch):
    # moto never leaves a stack *_IN_PROGRESS on success, so feed a real-shaped DescribeStacks reply.
    from hivemind.state import refresh

    in_progress = {"StackName": "orders-api-app-blue", "StackStatus": "CREATE_IN_PROGRESS",
                   "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-api-app-blue/1",
                   "CreationTime": "2026-11-24T12:00:00Z"}
    monkeypatch.setattr(refresh, "_describe", lambda cfn, name: in_progress if name == "orders-api-app-blue" else None)
    monkeypatch.setattr(refresh, "_url_from_load_balancer", lambda state, cfn: None)
    monkeypatch.setattr(refresh, "_dashboard", lambda state, cfn: None)
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.DEPLOYING
    refresh.refresh_from_cloudformation(state)
    assert state.status is DeploymentStatus.DEPLOYING
    assert "CloudFormation still working: orders-api-app-blue CREATE_IN_PROGRESS" in state.last_error
    assert state.history[-1].action == "refresh"


def test_status_prefers_the_newer_copy(cfn, make_plan):
    import json

    from hivemind.state.local import write_local

    # This machine saved first; a CI runner later updated the deployment and saved it to AWS.
    laptop = DeploymentState.new(make_plan())
    save_state(laptop)
    stale = json.loads(state_path("orders-api").read_text())
    ci = load_state("orders-api")
    ci.status = DeploymentStatus.COMPLETED
    ci.active_color = "green"
    save_state(ci)
    stale["updated_at"] = "2000-01-01T00:00:00Z"
    write_local(json.dumps(stale), "orders-api")   # this machine's cache is now the older copy

    shown = current_status("orders-api")
    assert shown.active_color == "green"
    assert shown.status is DeploymentStatus.COMPLETED
    assert json.loads(state_path("orders-api").read_text())["active_color"] == "green"


def test_refresh_inside_the_running_command_keeps_its_status(cfn, make_plan):
    from hivemind.state import deployment_lock

    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template())
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.VERIFYING
    with deployment_lock("orders-api", remote=False):   # the deploy itself refreshing mid-way
        refresh_from_cloudformation(state)
    assert state.status is DeploymentStatus.VERIFYING and state.last_error is None
    assert state.url == f"http://{_alb_dns()}"


def test_interrupted_between_change_set_and_execute(cfn, make_plan):
    # A change set created for a new stack leaves it in REVIEW_IN_PROGRESS: nothing is running.
    cfn.create_change_set(StackName="orders-api-network", ChangeSetName="hivemind-1", ChangeSetType="CREATE",
                          TemplateBody=edge_template())
    state = DeploymentState.new(make_plan())
    state.status = DeploymentStatus.PROVISIONING
    refresh_from_cloudformation(state)
    assert state.stacks["orders-api-network"].status == "REVIEW_IN_PROGRESS"
    assert state.status is DeploymentStatus.FAILED
    assert state.last_error == (
        "interrupted while provisioning; CloudFormation reports: orders-api-network REVIEW_IN_PROGRESS")


def test_status_works_for_a_principal_that_cannot_write_ssm(cfn, make_plan, monkeypatch):
    from hivemind.aws import AwsError
    from hivemind.state import refresh, store

    save_state(DeploymentState.new(make_plan()))

    def denied(state, text):
        raise AwsError("saving state of 'orders-api' to SSM: AccessDeniedException: not authorized")

    monkeypatch.setattr(store, "write_remote", denied)
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template())
    shown = refresh.current_status("orders-api")
    assert shown.stacks["orders-api-edge"].status == "CREATE_COMPLETE"
    assert "orders-api-edge" in state_path("orders-api").read_text()  # cached locally all the same


def test_no_edge_stack_no_url(cfn, make_plan):
    # The web service left the plan and its edge stack was deleted: the old ALB URL must not linger.
    cfn.create_stack(StackName="orders-api-edge", TemplateBody=edge_template(), Tags=tags("orders-api"))
    state = refresh_from_cloudformation(DeploymentState.new(make_plan()))
    assert state.url == f"http://{_alb_dns()}"
    state.status = DeploymentStatus.COMPLETED
    cfn.delete_stack(StackName="orders-api-edge")
    refresh_from_cloudformation(state)
    assert state.stacks["orders-api-edge"].status == "MISSING" and state.url is None
    del state.stacks["orders-api-edge"]  # a deploy that retired it forgets it altogether
    state.url = "http://stale.example.com"
    refresh_from_cloudformation(state)
    assert state.url is None
