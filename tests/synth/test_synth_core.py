"""synthesize(): cache, missing-context guard, output directory safety, assembly reading."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from hivemind.errors import HivemindError, PlanError
from hivemind.plan import DeploymentPlan
from hivemind.synth import MissingContextError, OutdirError, load_plan_arg, read_assembly, synthesize
from hivemind.synth.assembly import AssemblyError, stacks_in_order

WORKER_PLAN = {"name": "jobs", "services": [{"name": "worker", "kind": "worker", "runtime": "python",
                                              "start_command": "python worker.py"}]}


def test_cache_hit_reuses_the_assembly_without_cdk(tmp_path):
    plan = DeploymentPlan.model_validate(WORKER_PLAN)
    first = synthesize(plan, outdir=tmp_path / "a", checks=False)
    assert not first.cached
    again = synthesize(plan, outdir=tmp_path / "b", checks=False)
    assert again.cached
    assert [s.name for s in again.stacks] == [s.name for s in first.stacks]
    assert [s.template for s in again.stacks] == [s.template for s in first.stacks]
    assert again.cost.to_dict() == first.cost.to_dict()

    # A fresh process with the same HIVEMIND_HOME answers from the cache and never loads jsii.
    code = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from hivemind.plan import DeploymentPlan
        from hivemind.synth import synthesize
        r = synthesize(DeploymentPlan.model_validate({json.dumps(WORKER_PLAN)}), outdir=Path(sys.argv[1]), checks=False)
        print(json.dumps({{"cached": r.cached, "cdk": "aws_cdk" in sys.modules, "jsii": "jsii" in sys.modules}}))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "c")], capture_output=True, text=True,
                         env=os.environ.copy(), check=True).stdout
    assert json.loads(out) == {"cached": True, "cdk": False, "jsii": False}


def test_cache_misses_when_plan_or_options_change(tmp_path):
    from hivemind.render import RenderOptions

    plan = DeploymentPlan.model_validate(WORKER_PLAN)
    synthesize(plan, outdir=tmp_path / "a", checks=False)
    bigger = plan.model_copy(update={"services": [plan.services[0].model_copy(update={"instance_type": "t3.small"})]})
    changed = synthesize(bigger, outdir=tmp_path / "b", checks=False)
    assert not changed.cached
    lt = next(r for s in changed.stacks for r in s.template["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate")
    assert lt["Properties"]["LaunchTemplateData"]["InstanceType"] == "t3.small"
    two = synthesize(plan, options=RenderOptions(colors=("blue", "green")), outdir=tmp_path / "c", checks=False)
    assert not two.cached and {s.name for s in two.stacks} >= {"jobs-app-blue", "jobs-app-green"}
    assert not synthesize(plan, outdir=tmp_path / "d", checks=False, use_cache=False).cached


def test_outdir_with_foreign_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutdirError, match="not a cloud assembly"):
        synthesize(DeploymentPlan.model_validate(WORKER_PLAN), outdir=tmp_path, checks=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    # Even beside an old assembly, a user's file is never deleted.
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(OutdirError, match="notes.txt"):
        synthesize(DeploymentPlan.model_validate(WORKER_PLAN), outdir=tmp_path, checks=False)
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "manifest.json").exists()


def test_previous_assembly_is_replaced_not_merged(tmp_path):
    from hivemind.render import RenderOptions

    plan = DeploymentPlan.model_validate(WORKER_PLAN)
    synthesize(plan, options=RenderOptions(colors=("blue", "green")), outdir=tmp_path, checks=False)
    assert (tmp_path / "jobs-app-green.template.json").exists()
    synthesize(plan, outdir=tmp_path, checks=False)
    assert not (tmp_path / "jobs-app-green.template.json").exists()


def test_missing_context_lookup_fails_synth(tmp_path, monkeypatch):
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2

    from hivemind.render import builder

    original = builder.add_stacks

    def with_lookup(scope, plan, options):
        stacks = original(scope, plan, options)
        stack = cdk.Stack(scope, "lookup", env=cdk.Environment(account="111111111111", region="us-east-1"))
        ec2.Vpc.from_lookup(stack, "Existing", vpc_id="vpc-12345")
        return stacks

    monkeypatch.setattr(builder, "add_stacks", with_lookup)
    with pytest.raises(MissingContextError, match="vpc-provider"):
        synthesize(DeploymentPlan.model_validate(WORKER_PLAN), outdir=tmp_path, checks=False, use_cache=False)


def test_manifest_missing_and_cycles(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"missing": [{"key": "ami:account=1:region=x"}]}))
    with pytest.raises(MissingContextError, match="ami:account=1"):
        read_assembly(tmp_path)
    manifest = {"artifacts": {
        "a": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "a.json"}, "dependencies": ["b"]},
        "b": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "b.json"}, "dependencies": ["a"]},
    }}
    with pytest.raises(AssemblyError, match="cycle"):
        stacks_in_order(tmp_path, manifest)
    manifest["artifacts"]["b"]["dependencies"] = ["b.assets"]
    manifest["artifacts"]["b.assets"] = {"type": "cdk:asset-manifest"}
    assert [s.name for s in stacks_in_order(tmp_path, manifest)] == ["b", "a"]


def test_load_plan_arg(tmp_path):
    with pytest.raises(PlanError, match="no such file"):
        load_plan_arg(tmp_path / "nope.yaml")
    (tmp_path / "hivemind.yaml").write_text("name: svc\nservices: [{name: web, runtime: go, port: 8080}]\n")
    assert load_plan_arg(tmp_path).services[0].runtime == "go"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: svc\nservices: [{name: web, runtime: cobol}]\n")
    with pytest.raises(HivemindError, match="runtime"):
        load_plan_arg(bad)
