"""`hivemind synth` end to end (in-process CLI), and app.py under the stock CDK CLI's protocol."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hivemind.cli import main
from synth_support import EXAMPLES, REPO, example_plan

GOOD_PLAN = "name: svc\nservices: [{name: web, runtime: go, port: 8080}]\n"


def run_cli(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)  # returns 0 on success, sys.exit()s otherwise
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_bad_plan_file_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "hivemind.yaml"
    bad.write_text("name: svc\nservices: [{name: web, runtime: node, port: 99999}]\n")
    code, out, err = run_cli(["synth", str(bad), "-o", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and err.startswith("error:") and "port" in err
    assert "Traceback" not in err + out
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    code, _, err = run_cli(["synth", str(broken)], capsys)
    assert code == 2 and "not valid YAML" in err and err.count("\n") == 1


def test_missing_path_and_conflicting_stages(tmp_path, capsys):
    code, _, err = run_cli(["synth", str(tmp_path / "nope")], capsys)
    assert code == 2 and "no such file or directory" in err
    plan = tmp_path / "hivemind.yaml"
    plan.write_text(GOOD_PLAN)
    code, _, err = run_cli(["synth", str(plan), "--stage-1", "--production"], capsys)
    assert code == 2 and "--stage-1" in err


def test_json_document(tmp_path, capsys):
    code, out, err = run_cli(
        ["synth", str(EXAMPLES / "express-postgres"), "--stage-1", "--json", "-o", str(tmp_path / "o")], capsys)
    assert code == 0, err
    doc = json.loads(out)  # stdout is the JSON document and nothing else
    assert doc["plan"] == {"name": "express-postgres", "stage": "stage-1", "region": "us-east-1"}
    assert [s["name"] for s in doc["stacks"]][0] == "express-postgres-network"
    assert all(s["resource_count"] == len(s["resources"]) for s in doc["stacks"])
    assert doc["ok"] is True
    acknowledged = [f for f in doc["findings"] if f["acknowledged"]]
    assert acknowledged and all(f["reason"] for f in acknowledged)
    assert doc["cost"]["total_monthly_usd"] == pytest.approx(sum(l["monthly_usd"] for l in doc["cost"]["lines"]), abs=0.01)
    assert (tmp_path / "o" / "express-postgres-edge.template.json").is_file()


CERT = "certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc\n"


def test_human_report_and_default_outdir(tmp_path, capsys, monkeypatch):
    (tmp_path / "hivemind.yaml").write_text(GOOD_PLAN + CERT)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["synth", ".", "--production", "--xray"], capsys)
    assert code == 0
    assert "svc-edge" in out and "Findings" in out and "Estimated monthly cost" in out
    assert "Acknowledged findings" in out and "Session Manager, which replaces SSH" in out  # with its reason
    assert (tmp_path / "cdk.out" / "svc-network.template.json").is_file()
    observability = json.loads((tmp_path / "cdk.out" / "svc-observability.template.json").read_text())
    assert any(r["Type"] == "AWS::XRay::Group" for r in observability["Resources"].values())
    code, out, _ = run_cli(["synth", ".", "--production", "--xray"], capsys)
    assert code == 0 and "(cached)" in out


def test_production_without_tls_is_one_blocking_line_naming_certificate_arn(tmp_path, capsys):
    plan = tmp_path / "hivemind.yaml"
    plan.write_text(GOOD_PLAN)
    code, out, err = run_cli(["synth", str(plan), "--production", "-o", str(tmp_path / "o")], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "certificate_arn" in lines[0], err
    # Stage 1 over HTTP is fine; production with an acknowledgement (and its reason) is too.
    code, _, err = run_cli(["synth", str(plan), "--stage-1", "-o", str(tmp_path / "o")], capsys)
    assert code == 0, err
    plan.write_text(GOOD_PLAN + "http_only_reason: internal tool behind the corporate VPN\n")
    code, out, err = run_cli(["synth", str(plan), "--production", "--json", "-o", str(tmp_path / "o")], capsys)
    assert code == 0, err
    tls = [f for f in json.loads(out)["findings"] if f["rule_id"] == "HM-TLS"]
    assert tls and tls[0]["acknowledged"] and tls[0]["reason"] == "internal tool behind the corporate VPN"


def test_blocking_finding_exits_1(tmp_path, capsys):
    plan = tmp_path / "hivemind.yaml"
    plan.write_text(GOOD_PLAN + "database: {engine: postgres, version: '16', instance_class: db.t3.bogus}\n")
    code, out, err = run_cli(["synth", str(plan), "--json", "-o", str(tmp_path / "o")], capsys)
    assert code == 1
    doc = json.loads(out)
    blocking = [f for f in doc["findings"] if f["blocking"]]
    assert "E3025" in {f["rule_id"] for f in blocking}  # invalid instance class
    assert {f["source"] for f in blocking} == {"cfn-lint"}
    assert doc["ok"] is False


def test_app_py_matches_hivemind_synth(tmp_path):
    """Run app.py the way `npx cdk synth -c plan=... -c stage=...` does: CDK_OUTDIR + CDK_CONTEXT_JSON."""
    from hivemind.synth import synthesize

    env = os.environ | {
        "CDK_OUTDIR": str(tmp_path / "cli"),
        "CDK_CONTEXT_JSON": json.dumps({"plan": str(EXAMPLES / "express-postgres"), "stage": "production"}),
    }
    proc = subprocess.run([sys.executable, str(REPO / "app.py")], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ours = synthesize(example_plan("express-postgres", "production", production_ready=False), outdir=tmp_path / "hm",
                      checks=False)
    assert sorted(p.name for p in (tmp_path / "cli").glob("*.template.json")) == sorted(
        s.template_path.name for s in ours.stacks)
    for stack in ours.stacks:
        assert json.loads((tmp_path / "cli" / stack.template_path.name).read_text()) == stack.template, stack.name


def test_app_py_without_plan_context_fails_cleanly(tmp_path):
    env = os.environ | {"CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": "{}"}
    proc = subprocess.run([sys.executable, str(REPO / "app.py")], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "error: pass the plan with -c plan=PATH (a hivemind.yaml or a repository directory) "
        "or a deployment with -c deployment=ID"]
