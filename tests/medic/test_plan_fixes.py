"""The catalogue's plan-level fixes: each a JSON Patch that validates against the plan and passes the guard,
or a refusal when it would touch stateful identity; quotas, permissions and boot logs as the issue asks."""
from __future__ import annotations

import json
import time

import boto3

from hivemind.medic import diagnose_events, diagnose_message, preview_patch
from hivemind.medic import knowledge

from .conftest import REGION

TOKEN = "hivemind-deploy-5d2c1b0a-9e8f-4a7b-86c5-d4e3f2a1b0c9"


def _events(log, stack, logical_id, resource_type, reason, physical_id=""):
    log.add(stack, stack, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated", token=TOKEN)
    log.add(stack, logical_id, resource_type, "CREATE_IN_PROGRESS", token=TOKEN)
    log.add(stack, logical_id, resource_type, "CREATE_FAILED", reason, token=TOKEN, physical_id=physical_id)
    log.add(stack, stack, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS",
            f"The following resource(s) failed to create: [{logical_id}]. Rollback requested by user.", token=TOKEN)
    return log.newest_first()


def test_engine_version_not_available_becomes_the_nearest_supported_one(event_log, make_plan):
    plan = make_plan(database={"engine": "postgres", "version": "13.7"})
    events = _events(event_log, "shop-data", "Database", "AWS::RDS::DBInstance",
                     "Cannot find version 13.7 for postgres (Service: AmazonRDS; Status Code: 400; Error Code: "
                     "InvalidParameterCombination; Request ID: 50f4bee7-0dda-44a6-8425-72e2d198e817; Proxy: null)")
    diagnosis = diagnose_events(events, client_request_token=TOKEN, plan=plan, use_agent=False)
    assert diagnosis.rule == "config.engine-version" and diagnosis.retry_alone_fixes is False
    [op] = diagnosis.plan_patch
    assert op["path"] == "/database/version" and op["value"].startswith("13.")
    assert op["value"] in knowledge.usable_versions("postgres")  # from cfn-lint's shipped data, not a list here
    assert f"-  version: '13.7'" in preview_patch(plan, diagnosis.plan_patch)


def test_db_class_without_capacity_moves_to_the_next_family(event_log, make_plan):
    plan = make_plan(database={"engine": "mysql", "version": "8.0", "instance_class": "db.t3.micro"})
    events = _events(event_log, "shop-data", "Database", "AWS::RDS::DBInstance",
                     'Resource handler returned message: "Cannot create a db.t3.micro database instance because there '
                     "are no availability zones with sufficient capacity for non-VPC and storage type : gp3 for "
                     'db.t3.micro. Please try the request again at a later time. (Service: Rds, Status Code: 400)" '
                     "(RequestToken: 0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d, HandlerErrorCode: GeneralServiceException)")
    diagnosis = diagnose_events(events, client_request_token=TOKEN, plan=plan, use_agent=False)
    assert diagnosis.category == "capacity" and diagnosis.retry_alone_fixes == "sometimes"
    assert diagnosis.plan_patch == [{"op": "replace", "path": "/database/instance_class", "value": "db.t4g.micro"}]


def test_name_taken_gives_a_suffixed_name_or_refuses_when_a_database_would_be_renamed(event_log, make_plan):
    reason = ('Resource handler returned message: "Resource of type \'AWS::Logs::LogGroup\' with identifier '
              '\'{"/properties/LogGroupName":"/hivemind/shop/web"}\' already exists." (RequestToken: '
              '34d4fe5b-3fc0-5ef1-a357-48740bb4c641, HandlerErrorCode: AlreadyExists)')
    events = _events(event_log, "shop-app-blue", "WebLogGroup", "AWS::Logs::LogGroup", reason)
    plain = diagnose_events(events, client_request_token=TOKEN, plan=make_plan(), use_agent=False)
    assert plain.category == "name_conflict"
    assert plain.plan_patch == [{"op": "replace", "path": "/name", "value": "shop-2"}]
    assert "aws logs delete-log-group --log-group-name /hivemind/shop/web" in plain.commands

    with_db = make_plan(database={"engine": "postgres", "version": "16"})
    guarded = diagnose_events(events, client_request_token=TOKEN, plan=with_db, use_agent=False)
    assert guarded.category == "name_conflict" and guarded.plan_patch is None
    assert "renames (replaces) the database instance" in guarded.fix
    assert guarded.commands == plain.commands  # deleting the leftover log group is still offered


def test_quota_names_the_quota_its_page_and_the_cheaper_plan(event_log, make_plan):
    message = ("Resource handler returned message: \"The maximum number of addresses has been reached. (Service: Ec2, "
               "Status Code: 400, Request ID: 6b8cf3d3-1afc-40de-91d7-4ac4c55bfc32)\" (RequestToken: "
               "5f2495db-493f-e12b-ebf1-187d26148fde, HandlerErrorCode: GeneralServiceException)")
    events = _events(event_log, "shop-network", "NetworkPublicSubnet1EIP", "AWS::EC2::EIP", message)
    production = diagnose_events(events, client_request_token=TOKEN, plan=make_plan(stage="production"),
                                 use_agent=False)
    assert production.category == "quota" and production.retry_alone_fixes is False
    assert "EC2-VPC Elastic IPs" in production.fix
    assert "https://console.aws.amazon.com/servicequotas/home/services/ec2/quotas/L-0263D0A3" in production.fix
    assert "stage: stage-1" in production.fix  # the plan option without a NAT gateway
    assert any("request-service-quota-increase" in c and "L-0263D0A3" in c for c in production.commands)
    stage1 = diagnose_events(events, client_request_token=TOKEN, plan=make_plan(), use_agent=False)
    assert "stage-1" not in stage1.fix  # already the cheaper plan


def test_permission_names_the_action_and_the_statement_to_add():
    diagnosis = diagnose_message(
        "User: arn:aws:iam::433962424511:user/deployuser is not authorized to perform: ssm:PutParameter on resource: "
        "arn:aws:ssm:us-east-1:433962424511:parameter/hivemind/shop/edge/url because no identity-based policy allows "
        "the ssm:PutParameter action (Service: AmazonSSM; Status Code: 400; Error Code: AccessDeniedException)",
        use_agent=False)
    assert diagnosis.category == "permission" and "ssm:PutParameter" in diagnosis.root_cause
    [command] = diagnosis.commands
    assert command.startswith("aws iam put-user-policy --user-name deployuser")
    policy = json.loads(command.split("--policy-document ", 1)[1].strip("'"))
    assert policy["Statement"] == [{"Effect": "Allow", "Action": "ssm:PutParameter",
                                    "Resource": "arn:aws:ssm:us-east-1:433962424511:parameter/hivemind/shop/edge/url"}]


def test_signal_timeout_reads_the_boot_log_and_names_the_failing_step(aws, event_log, make_plan):
    logs = boto3.client("logs", region_name=REGION)
    group = "/hivemind/shop/web"
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for stream, lines in {
        "i-0a1b2c3d4e5f60718/bootstrap": ["Installed: nodejs20-20.18.0-1.amzn2023.x86_64",
                                          "download: s3://hivemind-artifacts/shop/v1.tar.gz to ../tmp/artifact.tar.gz",
                                          "/tmp/artifact.tar.gz: OK"],
        "i-0a1b2c3d4e5f60718/app": ["> shop@1.0.0 start", "> node dist/server.js",
                                    "Error: Cannot find module '/opt/app/dist/server.js'"],
    }.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)])
    events = _events(event_log, "shop-app-blue", "WebGroup", "AWS::AutoScaling::AutoScalingGroup",
                     "Received 0 SUCCESS signal(s) out of 1. Unable to satisfy 100% MinSuccessfulInstancesPercent "
                     "requirement", physical_id="shop-web-blue")
    diagnosis = diagnose_events(events, client_request_token=TOKEN, plan=make_plan(), region=REGION, use_agent=False)
    assert diagnosis.category == "health_timeout" and diagnosis.rule == "health.signal-timeout"
    assert "app start" in diagnosis.root_cause and "Cannot find module" in diagnosis.root_cause
    assert f"log group {group}" in diagnosis.root_cause
    assert f"aws logs tail {group} --since 1h" in diagnosis.commands


def test_signal_timeout_without_any_log_points_at_the_log_group(aws, event_log, make_plan):
    events = _events(event_log, "shop-app-blue", "WebGroup", "AWS::AutoScaling::AutoScalingGroup",
                     "Failed to receive 1 resource signal(s) within the specified duration", physical_id="shop-web-blue")
    diagnosis = diagnose_events(events, client_request_token=TOKEN, plan=make_plan(), region=REGION, use_agent=False)
    assert diagnosis.category == "health_timeout"
    assert "/hivemind/shop/<service>" in diagnosis.fix and "console output" in diagnosis.fix
