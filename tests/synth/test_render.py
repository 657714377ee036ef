"""Rendering choices beyond the examples: colours and weights, HTTPS, several web services, X-Ray, user data."""
from __future__ import annotations

import json

import pytest

from hivemind.plan import DeploymentPlan, apply_stage
from hivemind.render import ArtifactRef, RenderOptions
from synth_support import all_resources, resources

SHA = "a" * 64


def make_plan(**overrides) -> DeploymentPlan:
    data = {
        "name": "shop",
        "region": "eu-west-1",
        "services": [
            {"name": "web", "runtime": "node", "port": 3000, "health_check_path": "/healthz",
             "env": {"NODE_ENV": "production", "GREETING": "hello world"},
             "secrets": {"API_KEY": "shop/api-key", "TOKEN": "/shop/token"}},
            {"name": "admin", "runtime": "python", "port": 8000, "start_command": "gunicorn app:app"},
            {"name": "jobs", "kind": "worker", "runtime": "python", "start_command": "celery -A tasks worker"},
        ],
        "database": {"engine": "postgres", "version": "16"},
        "cache": {},
    }
    data.update(overrides)
    return DeploymentPlan.model_validate(data)


@pytest.fixture(scope="module")
def blue_green(synths):
    """Both colours, traffic shifting 25/75, artifacts per colour, X-Ray on, HTTPS."""
    plan = make_plan(
        certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/abc",
        observability={"xray": True, "alarm_email": "ops@example.com"},
    )
    options = RenderOptions(
        colors=("blue", "green"), weights={"blue": 25, "green": 75},
        artifacts={"blue": ArtifactRef("artifacts-bkt", "shop/blue.tgz", SHA),
                   "green": ArtifactRef("artifacts-bkt", "shop/green.tgz", "b" * 64)},
    )
    return synths.get("render-blue-green", apply_stage(plan, "production"), options=options, checks=False)


@pytest.fixture(scope="module")
def plain(synths):
    return synths.get("render-plain", make_plan(), checks=False)


def _edge(result):
    return result.stack("shop-edge").template


def _forward_weights(action: dict, groups: dict[str, dict]) -> dict[str, int]:
    """{colour: weight} of a forward action, colour read from the target group's logical id.

    A plain forward (one target group) counts as weight 100 for that colour.
    """
    assert action["Type"] == "forward"
    if "TargetGroupArn" in action:
        assert "ForwardConfig" not in action
        logical_id = action["TargetGroupArn"]["Ref"]
        assert logical_id in groups
        return {"green" if "Green" in logical_id else "blue": 100}
    out = {}
    for entry in action["ForwardConfig"]["TargetGroups"]:
        logical_id = entry["TargetGroupArn"]["Ref"]
        assert logical_id in groups
        colour = "green" if "Green" in logical_id else "blue"
        out[colour] = entry["Weight"]
    return out


def test_listener_forwards_with_the_given_weights(blue_green):
    edge = _edge(blue_green)
    groups = resources(edge, "AWS::ElasticLoadBalancingV2::TargetGroup")
    listeners = resources(edge, "AWS::ElasticLoadBalancingV2::Listener")
    https = next(l for l in listeners.values() if l["Properties"]["Port"] == 443)
    assert _forward_weights(https["Properties"]["DefaultActions"][0], groups) == {"blue": 25, "green": 75}
    rules = resources(edge, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert len(rules) == 2  # the second web service, routed by path on the main and the test listener
    by_listener = {json.dumps(r["Properties"]["ListenerArn"]): r["Properties"] for r in rules.values()}
    main_rule = by_listener[json.dumps({"Ref": next(k for k, l in listeners.items() if l["Properties"]["Port"] == 443)})]
    assert main_rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/admin", "/admin/*"]
    assert _forward_weights(main_rule["Actions"][0], groups) == {"blue": 25, "green": 75}
    # The test listener serves the colour with the least traffic, so its targets are health-checked.
    test = next(l for l in listeners.values() if l["Properties"]["Port"] == 9000)
    assert _forward_weights(test["Properties"]["DefaultActions"][0], groups) == {"blue": 100}


def test_https_listener_and_http_redirect(blue_green, plain):
    listeners = resources(_edge(blue_green), "AWS::ElasticLoadBalancingV2::Listener")
    http = next(l for l in listeners.values() if l["Properties"]["Port"] == 80)
    assert http["Properties"]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    https = next(l for l in listeners.values() if l["Properties"]["Port"] == 443)
    assert https["Properties"]["Certificates"][0]["CertificateArn"].endswith("certificate/abc")
    plain_listeners = resources(_edge(plain), "AWS::ElasticLoadBalancingV2::Listener")
    assert sorted(l["Properties"]["Port"] for l in plain_listeners.values()) == [80, 9000]
    # Without weights in the options blue takes all traffic (a plain forward) and green sits on the test port.
    groups = resources(_edge(plain), "AWS::ElasticLoadBalancingV2::TargetGroup")
    ports = {l["Properties"]["Port"]: l for l in plain_listeners.values()}
    assert _forward_weights(ports[80]["Properties"]["DefaultActions"][0], groups) == {"blue": 100}
    assert _forward_weights(ports[9000]["Properties"]["DefaultActions"][0], groups) == {"green": 100}


def test_each_colour_stack_reads_its_own_target_group_by_ssm(blue_green):
    for colour in ("blue", "green"):
        template = blue_green.stack(f"shop-app-{colour}").template
        params = template["Parameters"]
        wanted = f"/hivemind/shop/edge/web/{colour}/target-group-arn"
        assert any(p.get("Default") == wanted and p["Type"] == "AWS::SSM::Parameter::Value<String>" for p in params.values())
        other = "green" if colour == "blue" else "blue"
        assert f"/edge/web/{other}/" not in json.dumps(params)
        groups = resources(template, "AWS::AutoScaling::AutoScalingGroup")
        assert {g["Properties"]["AutoScalingGroupName"] for g in groups.values()} == {
            f"shop-web-{colour}", f"shop-admin-{colour}", f"shop-jobs-{colour}"}


def test_xray_only_with_the_flag(blue_green, plain):
    def managed(result):
        roles = all_resources(result, "AWS::IAM::Role")
        return json.dumps([r["Properties"].get("ManagedPolicyArns") for r in roles.values()])

    assert "AWSXRayDaemonWriteAccess" in managed(blue_green)
    assert all_resources(blue_green, "AWS::XRay::Group")
    assert "## X-Ray" in json.dumps(all_resources(blue_green, "AWS::CloudWatch::Dashboard"))
    assert "AWSXRayDaemonWriteAccess" not in managed(plain)
    assert not all_resources(plain, "AWS::XRay::Group")
    # The X-Ray section is always there; without tracing it says how to turn it on.
    plain_dashboard = json.dumps(all_resources(plain, "AWS::CloudWatch::Dashboard"))
    assert "## X-Ray" in plain_dashboard and "Tracing is off" in plain_dashboard and "xray: true" in plain_dashboard
    assert "xray" not in json.dumps(plain.stack("shop-app-blue").template).lower().replace("aws_xray", "")


def test_xray_end_to_end_is_scoped_to_this_deployment(blue_green):
    """The daemon runs before the app and is checked; the app knows where it is and which name to trace
    under; the sampling rule and group match exactly this deployment's services."""
    script = _user_data(blue_green.stack("shop-app-blue").template, "web")
    assert "AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000" in script
    assert "AWS_XRAY_TRACING_NAME=shop-web" in script and "OTEL_SERVICE_NAME=shop-web" in script
    assert script.index("no X-Ray daemon on 127.0.0.1:2000") < script.index("systemctl enable --now hivemind-app.service")
    assert script.index("amazon-cloudwatch-agent-ctl") < script.index("# --- X-Ray daemon")
    observability = blue_green.stack("shop-observability").template
    rule = next(iter(resources(observability, "AWS::XRay::SamplingRule").values()))["Properties"]["SamplingRule"]
    assert rule["ServiceName"] == "shop-*" and rule["RuleName"] == "hm-shop"
    group = next(iter(resources(observability, "AWS::XRay::Group").values()))["Properties"]
    assert group["FilterExpression"] == 'service("shop-web") OR service("shop-admin") OR service("shop-jobs")'
    # The launch template lets the daemon (a second hop) reach IMDSv2 for credentials.
    lt = next(iter(resources(blue_green.stack("shop-app-blue").template, "AWS::EC2::LaunchTemplate").values()))
    assert lt["Properties"]["LaunchTemplateData"]["MetadataOptions"]["HttpPutResponseHopLimit"] == 2


def _user_data(template: dict, service: str) -> str:
    lt = next(v for k, v in resources(template, "AWS::EC2::LaunchTemplate").items() if k.lower().startswith(service))
    encoded = lt["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    if isinstance(encoded, str):
        return encoded
    # Fn::Join of text and deploy-time values: the values are shown as ${<their JSON>}.
    return "".join(p if isinstance(p, str) else "${" + json.dumps(p) + "}" for p in encoded["Fn::Join"][1])


def test_user_data_verifies_the_artifact_and_resolves_secrets_at_boot(blue_green):
    script = _user_data(blue_green.stack("shop-app-blue").template, "web")
    assert "s3://artifacts-bkt/shop/blue.tgz" in script
    assert f"{SHA}  /tmp/artifact.tar.gz" in script and "sha256sum --check" in script
    assert "nodejs20" in script and "systemctl enable --now hivemind-app.service" in script
    assert "aws secretsmanager get-secret-value --secret-id shop/api-key" in script
    assert "aws ssm get-parameter --with-decryption --name /shop/token" in script
    # The database secret's name comes from the data stack's SSM parameter, resolved at deploy time.
    assert """DB_SECRET='${{"Ref": "SsmParameterValuehivemindshopdatadatabasesecretname""" in script
    assert '--secret-id "$DB_SECRET"' in script and "DATABASE_URL=" in script
    assert "REDIS_URL=rediss://" in script and "--replication-group-id shop-redis" in script
    assert 'GREETING="hello world"' in script
    assert "amazon-cloudwatch-agent" in script and "/hivemind/shop/web" in script
    assert '"traces_collected"' in script  # the CloudWatch agent is the X-Ray daemon
    green = _user_data(blue_green.stack("shop-app-green").template, "web")
    assert "shop/green.tgz" in green and "b" * 64 in green


def test_instance_role_is_least_privilege(blue_green):
    template = blue_green.stack("shop-app-blue").template
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        statements += policy["Properties"]["PolicyDocument"]["Statement"]
    text = json.dumps(statements)
    assert "arn:aws:s3:::artifacts-bkt/shop/blue.tgz" in text
    assert "shop/green.tgz" not in text
    assert all(s["Resource"] != "*" for s in statements)
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions <= {"s3:GetObject", "s3:PutObject", "secretsmanager:GetSecretValue", "ssm:GetParameter",
                       "elasticache:DescribeReplicationGroups", "cloudformation:SignalResource"}
    # Writes only under this release's shared-build prefix, per service.
    writes = [s for s in statements if "s3:PutObject" in json.dumps(s["Action"])]
    for statement in writes:  # exact objects, no wildcard (cdk-nag IAM5 would block the deploy)
        assert len(statement["Resource"]) == 2 and all("*" not in r for r in statement["Resource"])
        assert {r.rsplit("-", 1)[-1] for r in statement["Resource"]} == {"x86_64.tar.gz", "x86_64.tar.gz.sha256"}
        assert all(r.startswith("arn:aws:s3:::artifacts-bkt/builds/shop/") and SHA in r for r in statement["Resource"])
    assert len(writes) == 3  # web, admin, jobs


def test_boot_result_is_signalled_to_cloudformation(blue_green):
    template = blue_green.stack("shop-app-blue").template
    groups = resources(template, "AWS::AutoScaling::AutoScalingGroup")
    web_group_id = next(k for k, g in groups.items() if g["Properties"]["AutoScalingGroupName"] == "shop-web-blue")
    web = groups[web_group_id]
    assert web["CreationPolicy"]["ResourceSignal"]["Count"] == 2  # production minimum
    assert web["UpdatePolicy"]["AutoScalingRollingUpdate"]["WaitOnResourceSignals"] is True
    script = _user_data(template, "web")
    assert f"cfn-signal --stack shop-app-blue --resource {web_group_id}" in script
    assert script.index("trap exitTrap EXIT") < script.index("set -euo pipefail")
    assert "curl -fsS -o /dev/null http://127.0.0.1:3000/healthz" in script  # ready = health check answers
    worker = _user_data(template, "jobs")
    assert "systemctl is-active --quiet hivemind-app.service" in worker and "curl -fsS -o /dev/null" not in worker


def test_without_artifact_user_data_refuses_to_start(plain):
    script = _user_data(plain.stack("shop-app-blue").template, "web")
    assert "no artifact configured" in script and "aws s3 cp" not in script


def test_alarm_email_and_alarms(blue_green, plain):
    subs = all_resources(blue_green, "AWS::SNS::Subscription")
    assert [s["Properties"]["Endpoint"] for s in subs.values()] == ["ops@example.com"]
    names = {a["Properties"]["AlarmName"] for a in all_resources(plain, "AWS::CloudWatch::Alarm").values()}
    assert {"shop-alb-5xx", "shop-db-storage", "shop-web-blue-unhealthy", "shop-web-blue-cpu"} <= names
    assert not all_resources(plain, "AWS::SNS::Subscription")


def test_security_groups_chain_alb_to_app_to_stores(plain):
    network = plain.stack("shop-network").template
    groups = resources(network, "AWS::EC2::SecurityGroup")
    alb = next(k for k in groups if k.startswith("AlbSecurityGroup"))
    app = next(k for k in groups if k.startswith("AppSecurityGroup"))
    ingress = resources(network, "AWS::EC2::SecurityGroupIngress").values()
    app_rules = [r["Properties"] for r in ingress if r["Properties"]["GroupId"] == {"Fn::GetAtt": [app, "GroupId"]}]
    assert {r["FromPort"] for r in app_rules} == {3000, 8000}
    assert all(r["SourceSecurityGroupId"] == {"Fn::GetAtt": [alb, "GroupId"]} for r in app_rules)
    public = groups[alb]["Properties"]["SecurityGroupIngress"]
    assert [(r["CidrIp"], r["FromPort"]) for r in public] == [("0.0.0.0/0", 80)]


def test_a_deploy_render_with_artifacts_passes_the_checks(synths):
    """What deploy synthesizes (artifacts per colour, checks on) has no blocking finding: e.g. the
    shared-build grant names exact objects (a wildcard would be an unacknowledged cdk-nag IAM5)."""
    from synth_support import example_plan

    ref = ArtifactRef("artifacts-bkt", "express-postgres/app.tgz", SHA)
    result = synths.get("render-deploy-checks", example_plan("express-postgres", "stage-1"),
                        options=RenderOptions(artifacts={"blue": ref}))
    assert result.checks_run and result.ok, [(f.rule_id, f.resource) for f in result.blocking_findings]
    script = _user_data(result.stack("express-postgres-app-blue").template, "web")
    assert f"BUILD_KEY=builds/express-postgres/web/{SHA}-x86_64.tar.gz" in script
