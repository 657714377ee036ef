"""Root-cause selection from CloudFormation stack events shaped exactly like real CloudFormation's.

moto gap covered here: moto 5.2.5 emits only stack-level events, never a resource CREATE_FAILED, never the
"Resource creation cancelled" cascade or a rollback, and records no ClientRequestToken (see
/work/shared/AWS-OFFLINE-NOTES.md). So these sequences are built by hand in describe_stack_events' shape
(newest first, all ten fields), following real event dumps from aws-cdk and copilot-cli issue threads.
"""
from __future__ import annotations

from hivemind.medic import diagnose_events
from hivemind.medic.events import select_root_cause

T_OLD = "Console-CreateStack-6f0a3c51-7e8e-4d7b-9d5c-0c6a2b5e0e11"  # an earlier, failed attempt
T_NOW = "hivemind-deploy-0b5c8a1e-57d1-4b69-9f0e-3f1f8a6c2d44"     # the operation being diagnosed
T_OTHER = "hivemind-update-9a1d44f2-cc1e-4d3b-8f5e-91a2bd3e7c05"   # another machine, same minutes

STACK = "AWS::CloudFormation::Stack"
ASG = "AWS::AutoScaling::AutoScalingGroup"
UNSUPPORTED = ('Resource handler returned message: "Your requested instance type (t3.micro) is not supported in your '
               "requested Availability Zone (us-east-1e). Please retry your request by not specifying an Availability "
               "Zone or choosing us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f. (Service: AutoScaling, "
               'Status Code: 400, Request ID: 5c1f2a9e-0d4e-4a57-8f1e-2b6a3c9d8e70)" (RequestToken: '
               "3e8a5d2c-1b7f-4c9e-a6d0-8f2e1c4b7a93, HandlerErrorCode: InvalidRequest)")


def _failed_deploy(log):
    """The old failed attempt, then this operation across two stacks, with another machine's update interleaved."""
    app = "shop-app-blue"
    # An earlier attempt on the same stack name, failed for another reason (throttling) and rolled back.
    log.add(app, app, STACK, "CREATE_IN_PROGRESS", "User Initiated", token=T_OLD)
    log.add(app, "AutoScalingGroup", ASG, "CREATE_FAILED",
            "Rate exceeded (Service: AmazonAutoScaling; Status Code: 400; Error Code: Throttling)", token=T_OLD)
    log.add(app, app, STACK, "ROLLBACK_COMPLETE", token=T_OLD, seconds=40)
    log.add(app, app, STACK, "DELETE_COMPLETE", token=T_OLD, seconds=20)
    # This operation: the network stack completes, the app stack fails.
    log.add("shop-network", "shop-network", STACK, "CREATE_IN_PROGRESS", "User Initiated", token=T_NOW, seconds=600)
    log.add("shop-network", "Vpc8378EB38", "AWS::EC2::VPC", "CREATE_IN_PROGRESS", token=T_NOW)
    log.add("shop-network", "Vpc8378EB38", "AWS::EC2::VPC", "CREATE_IN_PROGRESS", "Resource creation Initiated",
            token=T_NOW, physical_id="vpc-0a1b2c3d4e5f60718")
    log.add("shop-network", "Vpc8378EB38", "AWS::EC2::VPC", "CREATE_COMPLETE", token=T_NOW,
            physical_id="vpc-0a1b2c3d4e5f60718", seconds=12)
    log.add("shop-network", "shop-network", STACK, "CREATE_COMPLETE", token=T_NOW, seconds=30)
    log.add("shop-edge", "shop-edge", STACK, "UPDATE_IN_PROGRESS", "User Initiated", token=T_OTHER)
    log.add(app, app, STACK, "REVIEW_IN_PROGRESS", "User Initiated", token=None, seconds=5)
    log.add(app, app, STACK, "CREATE_IN_PROGRESS", "User Initiated", token=T_NOW)
    log.add(app, "LaunchTemplate04741FB7", "AWS::EC2::LaunchTemplate", "CREATE_IN_PROGRESS", token=T_NOW)
    log.add(app, "LaunchTemplate04741FB7", "AWS::EC2::LaunchTemplate", "CREATE_COMPLETE", token=T_NOW,
            physical_id="lt-0c1d2e3f4a5b6c7d8")
    log.add("shop-edge", "Listener3B2B5C49", "AWS::ElasticLoadBalancingV2::Listener", "UPDATE_FAILED",
            "A listener already exists on this port for this load balancer 'arn:aws:elasticloadbalancing:us-east-1:"
            "123456789012:loadbalancer/app/shop/50dc6c495c0c9188' (Service: ElasticLoadBalancingV2; Status Code: 400;"
            " Error Code: DuplicateListener)", token=T_OTHER)
    log.add(app, "InstanceProfile", "AWS::IAM::InstanceProfile", "CREATE_IN_PROGRESS", token=T_NOW)
    log.add(app, "AutoScalingGroup", ASG, "CREATE_IN_PROGRESS", token=T_NOW)
    # The sibling's cancel carries an earlier timestamp than the real failure (they share a second in real dumps).
    log.add(app, "InstanceProfile", "AWS::IAM::InstanceProfile", "CREATE_FAILED", "Resource creation cancelled",
            token=T_NOW, seconds=0.4)
    log.add(app, "AutoScalingGroup", ASG, "CREATE_FAILED", UNSUPPORTED, token=T_NOW, physical_id="shop-web-blue",
            seconds=0.1)
    log.add(app, "ScalingPolicy", "AWS::AutoScaling::ScalingPolicy", "CREATE_FAILED", "Resource creation cancelled",
            token=T_NOW)
    log.add(app, app, STACK, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [InstanceProfile, "
            "AutoScalingGroup, ScalingPolicy]. Rollback requested by user.", token=T_NOW)
    log.add(app, "LaunchTemplate04741FB7", "AWS::EC2::LaunchTemplate", "DELETE_COMPLETE", token=T_NOW, seconds=8)
    log.add(app, app, STACK, "ROLLBACK_COMPLETE", token=T_NOW, seconds=3)
    return log


def test_token_filter_picks_this_operations_failure_across_stacks(event_log, make_plan):
    log = _failed_deploy(event_log)
    # Pages per stack, newest first, as describe_stack_events returns them.
    events = log.newest_first("shop-app-blue") + log.newest_first("shop-network") + log.newest_first("shop-edge")
    selection = select_root_cause(events, T_NOW)
    assert (selection.root.stack, selection.root.logical_id, selection.root.status) == \
        ("shop-app-blue", "AutoScalingGroup", "CREATE_FAILED")
    assert "is not supported in your requested Availability Zone" in selection.root.reason
    # The chain keeps this operation's failed events only, oldest first, cancels included.
    assert [e.logical_id for e in selection.chain] == ["InstanceProfile", "AutoScalingGroup", "ScalingPolicy"]

    diagnosis = diagnose_events(events, client_request_token=T_NOW, plan=make_plan(), use_agent=False)
    assert diagnosis.category == "capacity" and diagnosis.rule == "capacity.unsupported-type"
    assert diagnosis.retry_alone_fixes is False
    assert diagnosis.evidence.stack == "shop-app-blue" and diagnosis.evidence.resource_type == ASG
    assert diagnosis.evidence.status == "CREATE_FAILED" and "t3.micro" in diagnosis.evidence.reason
    assert any("Resource creation cancelled" in line for line in diagnosis.evidence.chain)
    # The same size in the next x86 family the region offers (cfn-lint's per-region list).
    assert diagnosis.plan_patch == [{"op": "replace", "path": "/services/0/instance_type", "value": "t3a.micro"}]
    assert "us-east-1a" in diagnosis.root_cause


def test_without_the_token_an_older_operations_failure_would_be_blamed(event_log):
    events = _failed_deploy(event_log).newest_first()
    wrong = select_root_cause(events, None)
    assert wrong.root.reason.startswith("Rate exceeded")  # the earlier attempt's failure
    assert diagnose_events(events, use_agent=False).category == "throttling"
    assert diagnose_events(events, client_request_token=T_OTHER, use_agent=False).category == "name_conflict"


def test_only_cancel_echoes_means_no_root_cause_and_unknown(event_log):
    event_log.add("shop-data", "shop-data", STACK, "CREATE_IN_PROGRESS", "User Initiated", token=T_NOW)
    event_log.add("shop-data", "DbSubnetGroup", "AWS::RDS::DBSubnetGroup", "CREATE_FAILED",
                  "Resource creation cancelled", token=T_NOW)
    event_log.add("shop-data", "shop-data", STACK, "ROLLBACK_IN_PROGRESS",
                  "The following resource(s) failed to create: [DbSubnetGroup]. Rollback requested by user.", token=T_NOW)
    diagnosis = diagnose_events(event_log.newest_first(), client_request_token=T_NOW, use_agent=False)
    assert diagnosis.category == "unknown" and diagnosis.rule == "unknown"
    assert diagnosis.evidence.chain and "Resource creation cancelled" in diagnosis.evidence.chain[0]


def test_update_cancel_and_rollback_failure_chain(event_log):
    """An update: the real failure, its sibling's 'Resource update cancelled', then UPDATE_ROLLBACK_FAILED."""
    stack = "shop-data"
    event_log.add(stack, stack, STACK, "UPDATE_IN_PROGRESS", "User Initiated", token=T_NOW)
    event_log.add(stack, "Database", "AWS::RDS::DBInstance", "UPDATE_FAILED",
                  'Resource handler returned message: "Cannot upgrade postgres from 16.4 to 16.2. (Service: Rds, '
                  'Status Code: 400, Request ID: 1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f)" (RequestToken: '
                  '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d, HandlerErrorCode: InvalidRequest)', token=T_NOW,
                  physical_id="shop-db")
    event_log.add(stack, "DatabaseSecretAttachment", "AWS::SecretsManager::SecretTargetAttachment", "UPDATE_FAILED",
                  "Resource update cancelled", token=T_NOW)
    event_log.add(stack, stack, STACK, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: "
                  "[Database, DatabaseSecretAttachment].", token=T_NOW, seconds=300)
    diagnosis = diagnose_events(event_log.newest_first(), client_request_token=T_NOW, use_agent=False)
    assert diagnosis.rule == "config.engine-version" and diagnosis.evidence.logical_id == "Database"
    assert len(diagnosis.evidence.chain) == 3


def test_events_without_any_token_are_all_read(event_log):
    """Older API answers (and moto) carry no ClientRequestToken: nothing can be told apart, so all are read."""
    event_log.add("shop-network", "Nat", "AWS::EC2::NatGateway", "CREATE_FAILED",
                  "The maximum number of addresses has been reached. (Service: AmazonEC2; Status Code: 400; "
                  "Error Code: AddressLimitExceeded)", token=None)
    assert diagnose_events(event_log.newest_first(), client_request_token=T_NOW, use_agent=False).category == "quota"


def test_garbage_events_never_raise():
    assert diagnose_events([{"nonsense": 1}, "not a dict", {}], use_agent=False).category == "unknown"  # type: ignore[list-item]
    assert diagnose_events(None, use_agent=False).category == "unknown"  # type: ignore[arg-type]


def test_a_later_wave_of_the_same_operation_counts_as_its_own(event_log):
    """A blue-green rollout executes change sets in waves whose tokens are `<token>-2`, `<token>-3`."""
    event_log.add("shop-edge", "Listener3B2B5C49", "AWS::ElasticLoadBalancingV2::Listener", "UPDATE_FAILED",
                  "Rate exceeded (Service: ElasticLoadBalancingV2; Status Code: 400; Error Code: Throttling)",
                  token=f"{T_NOW}-2")
    event_log.add("shop-edge", "Listener3B2B5C49", "AWS::ElasticLoadBalancingV2::Listener", "UPDATE_FAILED",
                  "Resource handler returned message: \"A listener already exists on this port\"",
                  token=f"{T_NOW}x-2")  # another operation whose token merely starts alike
    diagnosis = diagnose_events(event_log.newest_first(), client_request_token=T_NOW, use_agent=False)
    assert diagnosis.category == "throttling" and len(diagnosis.evidence.chain) == 1
