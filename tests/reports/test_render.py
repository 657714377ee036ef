"""Reports rendered from a state built here (no AWS): the eight sections in order, phase durations,
cost figures, HTML escaping, and no secret value anywhere, even when the state holds one raw."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from hivemind.paths import deployment_dir
from hivemind.plan.models import DeploymentPlan, Evidence
from hivemind.reports import SECTIONS, build_report, latest_report, render_report, save_after_success, save_report
from hivemind.state.models import (
    ArtifactInfo, DeploymentState, DeploymentStatus, FailureInfo, HistoryEvent, OperationRecord, PhaseRecord, Release,
    StackState, Verification, VerificationCheck,
)
from hivemind.workflows.ui import QuietUI

STRIPE = "sk_live_51HxTESTsecretVALUE00000000"
REASON_SECRET = "hunter2-planted-in-a-reason"
OUTPUT_SECRET = "tok3n-planted-in-an-output"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _plan() -> DeploymentPlan:
    return DeploymentPlan(
        name="shop", description="orders <b>API</b>", services=[{
            "name": "web", "runtime": "node", "framework": "express", "port": 3000, "health_check_path": "/health",
            "env": {"PORT": "3000"}, "secrets": {"STRIPE_KEY": "arn:aws:secretsmanager:us-east-1:1:secret:stripe"},
        }],
        database={"engine": "postgres", "version": "16"},
        evidence=[Evidence(field="services[0].port", value="3000", source="src/server.js:29",
                           reason="PORT default: process.env.PORT || 3000")],
    )


def _phases(*rows) -> list[PhaseRecord]:
    return [PhaseRecord(name=n, seconds=s, outcome=o, started_at=T0, detail=d) for n, s, o, d in rows]


def built_state() -> DeploymentState:
    state = DeploymentState.new(_plan())
    state.status = DeploymentStatus.COMPLETED
    artifact = ArtifactInfo(bucket="b", key="artifacts/shop/abc.tar.gz", sha256="abc")
    state.releases = [Release(version=1, artifact=artifact, color="blue", plan_hash="h", outcome="live")]
    state.active_color, state.artifact = "blue", artifact
    state.url = "http://shop-alb.example.com"
    state.dashboard_url = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=hivemind-shop"
    state.stacks = {
        "shop-network": StackState(status="CREATE_COMPLETE"),
        "shop-app-blue": StackState(status="CREATE_COMPLETE"),
        "shop-edge": StackState(status="CREATE_COMPLETE", outputs={
            "ApiUrl": f"https://shop.example.com/?token={OUTPUT_SECRET}"}),
    }
    state.operations = [
        OperationRecord(id="hm-deploy-1", action="deploy", status="failed", started_at=T0, seconds=40.5, release=1,
                        phases=_phases(("bundle", 1.25, "ok", ""), ("synth", 6.75, "ok", ""),
                                       ("execute", 30.0, "failed", "<script>alert(1)</script>"))),
        OperationRecord(id="hm-deploy-2", action="deploy", status="succeeded", started_at=T0 + timedelta(hours=1),
                        seconds=95.25, release=1,
                        phases=_phases(("bundle", 0.5, "ok", ""), ("synth", 7.0, "ok", ""),
                                       ("change sets", 2.5, "ok", ""), ("confirm", 0.0, "ok", ""),
                                       ("execute", 81.5, "ok", "3 stack(s) with changes"), ("verify", 3.75, "ok", ""))),
    ]
    state.verification = Verification(passed=False, url=state.url, color="blue", checks=[
        VerificationCheck(name="http", passed=True, detail="200 in 41 ms", seconds=0.04),
        VerificationCheck(name="tls", passed=False, detail="no certificate", seconds=0.01),
    ])
    # Planted secrets, set so that the state's own validators do not see them: only the report's
    # redaction stands between them and the page.
    state.plan.services[0].env["STRIPE_SECRET_KEY"] = STRIPE
    state.plan.services[0].env["DATABASE_URL"] = f"postgres://app:{REASON_SECRET}@db:5432/app"
    state.failure = FailureInfo.model_construct(
        operation_id="hm-deploy-1", action="deploy", phase="execute", stack="shop-app-blue", logical_id="WebGroup",
        resource_type="AWS::AutoScaling::AutoScalingGroup", status="CREATE_FAILED",
        reason=f"user data exited 1: STRIPE_SECRET_KEY={STRIPE} password={REASON_SECRET}", time=T0)
    state.diagnosis = {"category": "health_timeout", "root_cause": f"the app crashed (password={REASON_SECRET})",
                       "fix": "set PORT", "rule": "boot-crash", "retry_alone_fixes": False,
                       "commands": [f"hivemind logs shop --grep api_key={STRIPE}"]}
    state.history.append(HistoryEvent(time=T0, action="diagnose", detail="health_timeout: the app crashed"))
    return state


def write_assembly(deployment_id: str, templates: dict[str, dict]) -> None:
    """A cloud assembly as the last synth leaves it in $HIVEMIND_HOME/deployments/<id>/cdk.out."""
    out = deployment_dir(deployment_id) / "cdk.out"
    out.mkdir(parents=True)
    artifacts = {}
    for name, template in templates.items():
        (out / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{name}.template.json"}}
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))


APP_TEMPLATE = {"Resources": {
    "WebLaunchTemplate": {"Type": "AWS::EC2::LaunchTemplate",
                          "Properties": {"LaunchTemplateData": {"InstanceType": "t3.micro"}}},
    "WebGroup": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
        "MinSize": "1", "DesiredCapacity": "1", "LaunchTemplate": {"LaunchTemplateId": {"Ref": "WebLaunchTemplate"}}}},
}}
EDGE_TEMPLATE = {"Resources": {"Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                                       "Properties": {"Subnets": ["a", "b"]}}}}


@pytest.fixture
def state():
    s = built_state()
    write_assembly(s.id, {"shop-app-blue": APP_TEMPLATE, "shop-edge": EDGE_TEMPLATE})
    return s


def test_markdown_has_the_eight_sections_in_order_with_durations_and_costs(state):
    text = render_report(build_report(state, read_aws=False), "md")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == list(SECTIONS)
    # Every phase of every operation, with its duration and outcome.
    assert "| synth | 6.8 s | ok |" in text and "| execute | 30.0 s | failed |" in text
    assert "| execute | 81.5 s | ok | 3 stack(s) with changes |" in text
    assert "### deploy · succeeded · 2026-12-01 11:00:00 UTC · v1 · 95.2 s" in text
    # Costs priced from the local assembly (AWS not asked), per stack and per line.
    total = float(re.search(r"Estimated \*\*\$([\d,.]+)/month", text).group(1).replace(",", ""))
    assert total > 0
    assert re.search(r"\| shop-app-blue \| \$\d+\.\d\d \|", text)
    assert re.search(r"\| shop-edge \| Alb \| Application Load Balancer \(hours\) \| \$\d+\.\d\d \|", text)
    assert "last synthesized assembly" in text
    assert "Resources: not read (offline report)" in text
    # Configuration with evidence; pipes in a value stay inside their cell.
    assert "| services[0].port | 3000 | src/server.js:29 | PORT default: process.env.PORT \\|\\| 3000 |" in text
    # Verification, access, next steps and troubleshooting from the state.
    assert "| tls | failed | 0.0 s | no certificate |" in text
    assert "dashboards:name=hivemind-shop" in text and "`hivemind logs shop`" in text and "/hivemind/shop/web" in text
    assert "`hivemind upgrade shop --to-production`" in text
    assert "set observability.alarm_email in hivemind.yaml" in text
    assert "A retry alone fixes it: no" in text
    assert "**health_timeout**: the app crashed" in text and "health_timeout: the app crashed" in text
    for command in ("hivemind diagnose shop", "hivemind retry shop", "hivemind rollback shop", "hivemind janitor shop"):
        assert command in text


def test_html_escapes_values_and_has_the_sections(state):
    html = render_report(build_report(state, read_aws=False), "html")
    assert re.findall(r"<h2>(.+?)</h2>", html) == list(SECTIONS)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "orders <b>API</b>" not in html and "orders &lt;b&gt;API&lt;/b&gt;" in html


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_planted_secrets_never_reach_a_report(state, fmt):
    # The state really holds them (the test would prove nothing otherwise).
    assert STRIPE in state.failure.reason and STRIPE in state.plan.services[0].env["STRIPE_SECRET_KEY"]
    state.stacks["shop-edge"].outputs["DbUrl"] = f"https://admin:{OUTPUT_SECRET}@shop.example.com/"
    text = render_report(build_report(state, read_aws=False), fmt)
    for secret in (STRIPE, REASON_SECRET, OUTPUT_SECRET):
        assert secret not in text
    assert "STRIPE_SECRET_KEY" in text and "***" in text  # the name is shown, its value masked
    assert "arn:aws:secretsmanager:us-east-1:1:secret:stripe" in text  # a reference is not a secret


def test_unreachable_aws_is_said_and_the_report_still_renders(state, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    report = build_report(state)
    assert report.resources == [] and report.resources_note.startswith("not read (")
    assert "cannot reach AWS endpoint" in report.resources_note
    assert report.cost is not None and report.cost.total_usd > 0  # the assembly stands in
    assert "Resources: not read (" in render_report(report, "md")


def test_no_assembly_and_no_aws_says_why_there_is_no_cost():
    report = build_report(built_state(), read_aws=False)
    assert report.cost is None and "not estimated" in report.cost_note
    assert "Cost: not estimated" in render_report(report, "md")


def test_saved_report_is_timestamped_and_latest_follows(state):
    first = save_report(build_report(state, action="deploy", read_aws=False), now=T0)
    second = save_report(build_report(state, action="update", read_aws=False), now=T0)
    assert first.name == "20261201T100000Z-deploy.md" and second.name == "20261201T100000Z-update.md"
    latest = latest_report(state.id)
    assert latest.name == "latest.md" and latest.read_text() == second.read_text()
    third = save_report(build_report(state, action="update", read_aws=False), now=T0)
    assert third.name == "20261201T100000Z-update-2.md" and first.exists() and second.exists()


def test_saving_never_fails_the_command(state, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # AWS down: the report still saves
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ui = QuietUI()
    path = save_after_success(state, "deploy", ui)
    assert path is not None and path.exists()
    assert len(ui.notes) == 2 and "release v1" in ui.notes[0] and "95.2 s" in ui.notes[0] and "/month" in ui.notes[0]
    assert str(path) in ui.notes[1]

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("hivemind.reports.store.atomic_write_text", broken)
    ui = QuietUI()
    assert save_after_success(state, "update", ui) is None
    assert ui.notes == ["report not saved: disk full"]


def test_a_destroyed_deployment_is_not_priced_from_an_old_assembly(state):
    for stack in state.stacks.values():
        stack.status = "MISSING"
    report = build_report(state, read_aws=False)
    assert report.cost is None and "not estimated" in report.cost_note


def test_old_reports_are_pruned_to_the_newest_kept(state):
    from datetime import timedelta

    from hivemind.reports.store import REPORTS_KEPT, reports_dir

    report = build_report(state, action="update", read_aws=False)
    paths = [save_report(report, now=T0 + timedelta(minutes=i)) for i in range(REPORTS_KEPT + 3)]
    kept = sorted(p for p in reports_dir(state.id).glob("*.md") if p.name != "latest.md")
    assert kept == paths[3:]
    assert latest_report(state.id).read_text() == paths[-1].read_text()
