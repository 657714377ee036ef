"""Issue 12 "done means": a Postgres app in production with a certificate and an alarm email, as
a careful AWS team would ship it; plus the rules that keep production from shipping without TLS."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from hivemind.plan import DeploymentPlan, apply_stage
from hivemind.render import RenderOptions
from hivemind.render.names import colour_alarm_names
from synth_support import ALARM_EMAIL, EXAMPLE_CERTIFICATE, all_resources, example_plan, resources

PINNED = {"blue": "ami-0aaaaaaaaaaaaaaa1", "green": "ami-0bbbbbbbbbbbbbbb2"}
VERIFIER = "203.0.113.7/32"


@pytest.fixture(scope="module")
def done(synths):
    plan = example_plan("express-postgres", "production")
    plan = plan.model_copy(update={"observability": plan.observability.model_copy(update={"xray": True})})
    options = RenderOptions(colors=("blue", "green"), weights={"blue": 50, "green": 50}, image_ids=PINNED,
                            test_listener_cidrs=(VERIFIER,))
    return synths.get("production-done", plan, options=options)


def _one(result, rtype: str) -> dict:
    found = all_resources(result, rtype)
    assert len(found) == 1, (rtype, list(found))
    return next(iter(found.values()))


def test_https_with_tls13_policy_and_redirect(done):
    listeners = {l["Properties"]["Port"]: l["Properties"] for l in
                 all_resources(done, "AWS::ElasticLoadBalancingV2::Listener").values()}
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[443]["Certificates"] == [{"CertificateArn": EXAMPLE_CERTIFICATE}]
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["Port"] == "443" and redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    # The test listener is HTTPS too, with the same policy and certificate.
    assert listeners[9000]["Protocol"] == "HTTPS" and listeners[9000]["SslPolicy"] == listeners[443]["SslPolicy"]


def test_load_balancer_protected_logged_and_sticky_during_a_shift(done):
    attributes = {a["Key"]: a["Value"] for a in
                  _one(done, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]["LoadBalancerAttributes"]}
    assert attributes["deletion_protection.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    bucket = _one(done, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90
    assert bucket["DeletionPolicy"] == "Retain"
    policy = json.dumps(_one(done, "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"])
    assert '"aws:SecureTransport": "false"' in policy  # TLS-only
    https = next(l for l in all_resources(done, "AWS::ElasticLoadBalancingV2::Listener").values()
                 if l["Properties"]["Port"] == 443)
    forward = https["Properties"]["DefaultActions"][0]["ForwardConfig"]
    assert [g["Weight"] for g in forward["TargetGroups"]] == [50, 50]
    assert forward["TargetGroupStickinessConfig"] == {"Enabled": True, "DurationSeconds": 3600}


def test_alarms_reach_someone(done):
    subscription = _one(done, "AWS::SNS::Subscription")["Properties"]
    assert subscription["Protocol"] == "email" and subscription["Endpoint"] == ALARM_EMAIL
    assert not [f for f in done.findings if f.rule_id == "HM-ALARM-RECIPIENT"]


def test_nat_gateway_per_az_and_private_instances(done):
    nats = all_resources(done, "AWS::EC2::NatGateway")
    assert len(nats) == 2
    subnets = {json.dumps(n["Properties"]["SubnetId"]) for n in nats.values()}
    assert len(subnets) == 2  # one in each public subnet, not both in one AZ
    network = done.stack("express-postgres-network").template
    private_defaults = [r["Properties"] for r in resources(network, "AWS::EC2::Route").values()
                        if "NatGatewayId" in r["Properties"]]
    assert len({json.dumps(r["NatGatewayId"]) for r in private_defaults}) == 2  # each AZ routes through its own


def test_pinned_image_in_every_launch_template(done):
    for colour, image in PINNED.items():
        for lt in resources(done.stack(f"express-postgres-app-{colour}").template, "AWS::EC2::LaunchTemplate").values():
            assert lt["Properties"]["LaunchTemplateData"]["ImageId"] == image
        assert "ami-amazon-linux-latest" not in json.dumps(done.stack(f"express-postgres-app-{colour}").template)
    assert not [f for f in done.findings if f.rule_id == "HM-IMAGE-PIN"]


def test_database_production_settings(done):
    data = done.stack("express-postgres-data").template
    instances = resources(data, "AWS::RDS::DBInstance")
    primary = next(d["Properties"] for d in instances.values() if "SourceDBInstanceIdentifier" not in d["Properties"])
    assert primary["EnablePerformanceInsights"] is True
    assert primary["MonitoringInterval"] == 60 and "MonitoringRoleArn" in primary
    group_id = primary["DBParameterGroupName"]["Ref"]
    group = data["Resources"][group_id]
    assert group["Type"] == "AWS::RDS::DBParameterGroup" and group["Properties"]["Parameters"] == {"rds.force_ssl": "1"}
    assert group["Properties"]["Family"] == "postgres16"
    replica = next(d["Properties"] for d in instances.values() if "SourceDBInstanceIdentifier" in d["Properties"])
    assert replica["DBParameterGroupName"] == {"Ref": group_id} and replica["MonitoringInterval"] == 60
    secret = next(iter(resources(data, "AWS::SecretsManager::Secret").values()))
    assert secret["DeletionPolicy"] == "Retain"  # the snapshot stays; so do its credentials
    # The app connects with TLS verified against the RDS CA, and gets the replica for reads.
    from test_render import _user_data

    script = _user_data(done.stack("express-postgres-app-blue").template, "web")
    assert "?sslmode=verify-full&sslrootcert=/etc/hivemind/rds-ca.pem" in script
    assert "DATABASE_READ_URL=" in script and "PGSSLMODE=verify-full" in script
    assert "SsmParameterValuehivemindexpresspostgresdatadatabasereadhost" in script
    published = [p["Properties"] for p in resources(data, "AWS::SSM::Parameter").values()]
    assert any(p["Name"] == "/hivemind/express-postgres/data/database-read-host" for p in published)


def test_scoped_xray_sampling_rule(done):
    rule = _one(done, "AWS::XRay::SamplingRule")["Properties"]["SamplingRule"]
    assert rule["ServiceName"] == "express-postgres-*" and rule["FixedRate"] == 0.05


def test_at_least_ten_alarms_including_latency_connections_and_colour_rollback_triggers(done):
    alarms = {a["Properties"]["AlarmName"]: a["Properties"] for a in all_resources(done, "AWS::CloudWatch::Alarm").values()}
    assert len(alarms) >= 10
    assert {"express-postgres-latency-p95", "express-postgres-db-connections", "express-postgres-db-cpu",
            "express-postgres-db-storage", "express-postgres-db-replica-1-lag", "express-postgres-web-healthy-hosts",
            "express-postgres-web-restarts", "express-postgres-web-blue-disk", "express-postgres-alb-5xx"} <= set(alarms)
    for colour in ("blue", "green"):
        unhealthy, five_xx = colour_alarm_names("express-postgres", "web", colour)
        assert alarms[unhealthy]["MetricName"] == "UnHealthyHostCount"
        assert alarms[five_xx]["MetricName"] == "HTTPCode_Target_5XX_Count"
        dims = {d["Name"] for d in alarms[five_xx]["Dimensions"]}
        assert dims == {"TargetGroup", "LoadBalancer"}  # this colour's targets, not the whole ALB
    assert all(a["TreatMissingData"] == "notBreaching" for a in alarms.values())
    assert alarms["express-postgres-latency-p95"]["ExtendedStatistic"] == "p95"
    # db.t3.small Postgres allows ~225 connections: alarm at 80%.
    assert alarms["express-postgres-db-connections"]["Threshold"] == 180
    # Every alarm notifies the topic that has the email subscription.
    assert all(len(a["AlarmActions"]) == 1 for a in alarms.values())
    # Restarts are counted from the start marker the systemd unit writes.
    metric_filter = next(iter(all_resources(done, "AWS::Logs::MetricFilter").values()))["Properties"]
    assert metric_filter["FilterPattern"] == '"hivemind-service-start web"'
    assert metric_filter["LogGroupName"] == "/hivemind/express-postgres/web"


def test_test_listener_open_only_to_the_verifier(done, example_synth):
    edge = done.stack("express-postgres-edge").template
    ingress = [r["Properties"] for r in resources(edge, "AWS::EC2::SecurityGroupIngress").values()]
    assert [(r["CidrIp"], r["FromPort"], r["ToPort"]) for r in ingress] == [(VERIFIER, 9000, 9000)]
    # By default nobody: no rule anywhere opens 9000.
    default = example_synth("express-postgres", "production")
    for stack in default.stacks:
        rules = resources(stack.template, "AWS::EC2::SecurityGroupIngress").values()
        assert all(r["Properties"].get("FromPort") != 9000 for r in rules), stack.name
        for group in resources(stack.template, "AWS::EC2::SecurityGroup").values():
            assert all(r.get("FromPort") != 9000 for r in group["Properties"].get("SecurityGroupIngress", []))


def test_no_blocking_findings_and_cost_is_priced(done):
    assert done.ok, [f for f in done.blocking_findings]
    kinds = {line.resource_type for line in done.cost.lines}
    assert sum(1 for line in done.cost.lines if line.description.startswith("NAT gateway (hours")) == 2
    assert "AWS::CloudWatch::Alarm" in kinds


def test_production_without_tls_is_blocked_naming_certificate_arn(synths):
    plan = example_plan("express-postgres", "production", production_ready=False)
    result = synths.get("production-no-tls", plan, checks=False)
    blocking = result.blocking_findings
    assert len(blocking) == 1 and blocking[0].rule_id == "HM-TLS" and "certificate_arn" in blocking[0].message
    # And no alarm recipient is a warning, not a block.
    assert [f.severity for f in result.findings if f.rule_id == "HM-ALARM-RECIPIENT"] == ["warning"]
    listeners = all_resources(result, "AWS::ElasticLoadBalancingV2::Listener")
    assert sorted(l["Properties"]["Port"] for l in listeners.values()) == [80, 9000]


def test_domain_and_zone_make_a_dns_validated_certificate_and_alias(synths):
    plan = example_plan("express-postgres", "production", production_ready=False).model_copy(
        update={"domain": "shop.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"})
    result = synths.get("production-domain", plan, checks=False)
    assert not result.blocking_findings
    edge = result.stack("express-postgres-edge").template
    certificate_id, certificate = next(iter(resources(edge, "AWS::CertificateManager::Certificate").items()))
    assert certificate["Properties"]["DomainName"] == "shop.example.com"
    assert certificate["Properties"]["ValidationMethod"] == "DNS"
    assert certificate["Properties"]["DomainValidationOptions"][0]["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"
    https = next(l for l in resources(edge, "AWS::ElasticLoadBalancingV2::Listener").values() if l["Properties"]["Port"] == 443)
    assert https["Properties"]["Certificates"] == [{"CertificateArn": {"Ref": certificate_id}}]
    record = next(iter(resources(edge, "AWS::Route53::RecordSet").values()))["Properties"]
    assert record["Name"] == "shop.example.com." and record["Type"] == "A" and "AliasTarget" in record
    assert record["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"
    url = next(p["Properties"]["Value"] for p in resources(edge, "AWS::SSM::Parameter").values()
               if p["Properties"]["Name"].endswith("/edge/url"))
    assert url == "https://shop.example.com"


def test_zone_without_domain_is_refused():
    with pytest.raises(ValueError, match="hosted_zone_id needs domain"):
        DeploymentPlan.model_validate({"name": "x1", "services": [{"name": "web", "runtime": "go", "port": 80}],
                                       "hosted_zone_id": "Z1"})


def test_static_site_is_served_by_nginx_with_compression_and_cache_headers(example_synth):
    from test_render import _user_data

    for stage in ("stage-1", "production"):
        script = _user_data(example_synth("static-site", stage).stack("static-site-app-blue").template, "web")
        assert "http.server" not in script.split("HIVEMIND_START", 1)[1]  # the plan's dev server is not run
        assert "exec nginx -c /etc/hivemind/nginx.conf" in script
        assert "gzip on;" in script and 'Cache-Control "no-cache"' in script and "expires 7d;" in script
        assert "dir=public" in script  # the directory the plan's command served


def test_static_nginx_config_is_valid(tmp_path):
    """The generated nginx.conf passes `nginx -t` (when nginx is installed here)."""
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("nginx is not installed on this machine")
    from hivemind.render.userdata import render_user_data

    plan = DeploymentPlan.model_validate({"name": "site", "services": [
        {"name": "web", "runtime": "static", "port": 8080, "start_command": "python3 -m http.server 8080 --directory public"}]})
    script = render_user_data(plan, plan.services[0], "blue", None)
    start = script.split("<<'HIVEMIND_START'\n", 1)[1].split("\nHIVEMIND_START", 1)[0]
    config_script = (start.split("exec nginx", 1)[0].replace("/etc/hivemind/nginx.conf", str(tmp_path / "nginx.conf"))
                     .replace("cd /opt/app/.", "true"))
    (tmp_path / "public").mkdir()
    subprocess.run(["bash", "-c", config_script.replace("/var/log/hivemind/", str(tmp_path) + "/")], cwd=tmp_path, check=True)
    proc = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-g", f"pid {tmp_path}/n.pid; error_log {tmp_path}/e.log;"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
