"""The agent path for signatures the catalogue does not know, against the scripted OpenAI-compatible server on
127.0.0.1 (the real `openai` client): a good answer, malformed ones, 500s, and a patch the guard refuses."""
from __future__ import annotations

import json
import os
from pathlib import Path

from agents.fake_openai import answer, status, tool_calls
from hivemind.medic import diagnose_events, diagnose_message

TOKEN = "hivemind-deploy-2b3c4d5e-6f70-4819-a2b3-c4d5e6f70819"
ODD = ("Received response status [FAILED] from custom resource. Message returned: bootstrap hook exited with code 3 "
       "(RequestId: 4b1c9e2a-7d3f-4e8a-9b0c-1d2e3f4a5b6c)")
SECRET = "sk-test-medic-secret-0123456789"


def _events(log):
    log.add("shop-app-blue", "shop-app-blue", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated",
            token=TOKEN)
    log.add("shop-app-blue", "WarmupHook", "AWS::CloudFormation::CustomResource", "CREATE_FAILED", ODD, token=TOKEN,
            physical_id="2026/11/30/[$LATEST]5f1e0c2b")
    log.add("shop-app-blue", "WebGroup", "AWS::AutoScaling::AutoScalingGroup", "CREATE_FAILED",
            "Resource creation cancelled", token=TOKEN)
    return log.newest_first()


def _agent_answer(**overrides):
    data = {"category": "invalid_config", "root_cause": "the warm-up hook's script exits 3: its URL path is wrong",
            "fix": "Point health_check_path at /healthz.", "retry_alone_fixes": False, "rule": "whatever",
            "evidence": {"reason": "made up by the model"}, "plan_patch": None, "commands": []}
    data.update(overrides)
    return data


def test_a_good_answer_uses_the_tools_and_keeps_the_real_evidence(llm_env, event_log, make_plan, tmp_path):
    patch = [{"op": "replace", "path": "/services/0/health_check_path", "value": "/healthz"}]
    llm_env.push(tool_calls(("stack_events", {}), ("plan", {}), ("app_logs", {"service": "nope"})),
                 answer(_agent_answer(plan_patch=patch)))
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=make_plan())
    assert diagnosis.rule == "agent" and diagnosis.category == "invalid_config"
    assert diagnosis.plan_patch == patch  # valid against the schema and not stateful: kept
    assert diagnosis.evidence.logical_id == "WarmupHook" and "exited with code 3" in diagnosis.evidence.reason
    events_result, plan_result, logs_result = llm_env.tool_results(1)
    assert "WarmupHook" in events_result and "Resource creation cancelled" in events_result
    assert "health_check_path: /" in plan_result and logs_result.startswith("error: unknown service")
    first = llm_env.requests[0]
    assert {t["function"]["name"] for t in first["tools"]} == {"stack_events", "resource_template", "plan", "app_logs"}
    assert first["response_format"]["json_schema"]["name"] == "Diagnosis"
    assert SECRET not in json.dumps(llm_env.requests) and SECRET not in diagnosis.model_dump_json()
    [step_log] = (Path(os.environ["HIVEMIND_HOME"]) / "deployments" / "shop" / "agent-logs").glob("medic-*.jsonl")
    kinds = [json.loads(line)["kind"] for line in step_log.read_text().splitlines()]
    assert kinds.count("tool") == 3 and kinds[-1] == "answer" and SECRET not in step_log.read_text()


def test_a_patch_touching_stateful_identity_is_refused_before_it_is_shown(llm_env, event_log, make_plan):
    plan = make_plan(database={"engine": "postgres", "version": "16"})
    llm_env.push(answer(_agent_answer(plan_patch=[{"op": "replace", "path": "/database/engine", "value": "mysql"}])))
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=plan)
    assert diagnosis.rule == "agent" and diagnosis.plan_patch is None
    assert "refused" in diagnosis.fix and "changes the database engine" in diagnosis.fix


def test_a_patch_that_does_not_validate_is_dropped(llm_env, event_log, make_plan):
    llm_env.push(answer(_agent_answer(plan_patch=[{"op": "replace", "path": "/services/0/port", "value": 99999}])))
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=make_plan())
    assert diagnosis.plan_patch is None and "not valid" in diagnosis.fix


def _without_agent():
    """What the Medic answers for ODD with no agent: no rule matches it; the text classifier's low-confidence
    guess, else unknown."""
    diagnosis = diagnose_message(ODD, use_agent=False)
    assert diagnosis.rule == "unknown" or diagnosis.rule.startswith("classifier:")
    return diagnosis.category, diagnosis.rule


def test_malformed_answers_fall_back_to_the_catalogues_answer_with_the_raw_event(llm_env, event_log, make_plan):
    llm_env.push(answer("{category: capacity"), answer({"category": "gremlins", "root_cause": "x"}),
                 answer("I think it is DNS."))
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=make_plan())
    assert (diagnosis.category, diagnosis.rule) == _without_agent()
    assert diagnosis.evidence.reason == ODD and "invalid structured answer" in diagnosis.fix
    assert len(llm_env.requests) == 3  # the answer and two repairs
    assert "gremlins" not in diagnosis.model_dump_json()  # never a made-up category


def test_server_errors_fall_back_and_never_raise(llm_env, event_log, make_plan):
    llm_env.push(status(500), status(500))
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=make_plan())
    assert (diagnosis.category, diagnosis.rule) == _without_agent() and "server error 500" in diagnosis.fix
    assert diagnosis.evidence.reason == ODD
    assert (diagnose_message(ODD).category, diagnose_message(ODD).rule) == _without_agent()  # the second 500


def test_a_known_signature_never_asks_the_model(llm_env):
    assert diagnose_message("Throttling: Rate exceeded").rule == "throttling.rate-exceeded"
    assert llm_env.requests == []


def test_no_key_means_no_request_and_the_catalogues_answer(llm_server, event_log, make_plan):
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=make_plan())
    assert (diagnosis.category, diagnosis.rule) == _without_agent() and llm_server.requests == []


def test_the_template_and_log_tools_read_aws_read_only(aws, llm_env, event_log, make_plan):
    import time

    import boto3

    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="shop-app-blue", TemplateBody=json.dumps({"Resources": {"WarmupHook": {
        "Type": "AWS::SNS::Topic", "Properties": {"TopicName": "shop-warmup", "DisplayName": "token=abc123secret"}}}}))
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/hivemind/shop/web")
    logs.create_log_stream(logGroupName="/hivemind/shop/web", logStreamName="i-0abc/app")
    logs.put_log_events(logGroupName="/hivemind/shop/web", logStreamName="i-0abc/app", logEvents=[
        {"timestamp": int(time.time() * 1000), "message": "warmup: GET /ready -> 404 (DB_PASSWORD=hunter2hunter2)"}])
    llm_env.push(tool_calls(("resource_template", {"stack": "shop-app-blue", "logical_id": "WarmupHook"}),
                            ("resource_template", {"stack": "shop-app-blue", "logical_id": "Nope"}),
                            ("app_logs", {"service": "web", "lines": 20})),
                 answer(_agent_answer()))
    diagnosis = diagnose_events(_events(event_log), client_request_token=TOKEN, plan=make_plan(), region="us-east-1")
    assert diagnosis.rule == "agent"
    template, missing, log_lines = llm_env.tool_results(1)
    assert '"AWS::SNS::Topic"' in template and "shop-warmup" in template and "abc123secret" not in template
    assert missing.startswith("error: cannot read the template") and "Nope" in missing
    assert "GET /ready -> 404" in log_lines and "hunter2hunter2" not in log_lines
    assert cfn.describe_stacks(StackName="shop-app-blue")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
