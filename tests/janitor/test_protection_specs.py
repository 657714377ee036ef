"""Offline: in production, destroy's last update renders the data and edge stacks with deletion
protection off and passes the checks (only cdk-nag's "no deletion protection" finding, which is
the point of that update, is accepted). moto 5.2.5 cannot deploy the production data stack, so
this is checked on the synthesized templates."""
from __future__ import annotations

import shutil
from pathlib import Path

from hivemind.render.names import stack_name
from hivemind.render.options import RenderOptions
from hivemind.workflows.destroy import protection_off_specs
from hivemind.workflows.plan import build_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "express-postgres"
NAME = "express-postgres"


def test_production_protection_off_specs(tmp_path):
    repo = tmp_path / NAME
    shutil.copytree(EXAMPLE, repo)
    plan = build_plan(repo, stage="production", use_llm=False, write=False).plan
    plan = plan.model_copy(update={"http_only_reason": "test: no certificate offline"})
    assert plan.database.deletion_protection is True
    wanted = {stack_name(NAME, "data"), stack_name(NAME, "edge")}
    specs = protection_off_specs(plan, RenderOptions(), wanted)
    assert {s.name for s in specs} == wanted
    by_name = {s.name: s.template["Resources"] for s in specs}
    databases = [r for r in by_name[stack_name(NAME, "data")].values() if r["Type"] == "AWS::RDS::DBInstance"]
    assert databases and all(r["Properties"].get("DeletionProtection") is False for r in databases)
    balancer = next(r for r in by_name[stack_name(NAME, "edge")].values()
                    if r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in balancer["Properties"]["LoadBalancerAttributes"]}
    assert attributes["deletion_protection.enabled"] == "false"
    # The database keeps everything else of production (Multi-AZ, backups): only protection moves.
    primary = next(r for r in databases if "SourceDBInstanceIdentifier" not in r["Properties"])
    assert str(primary["Properties"].get("MultiAZ")).lower() == "true"
