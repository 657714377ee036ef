"""The CloudFormation resource types HiveMind's templates contain, kept in resource_types.json.

Derived by synthesizing every bundled example at both stages with every optional part switched on
(X-Ray, alarm e-mail, a domain with its certificate and record, both colours), plus the bootstrap
stack's template. Synthesizing all of that takes ~15 s, too slow for `hivemind iam-policy`, so the
result is stored; a test synthesizes again and fails when the file is stale.

    python -m hivemind.iam.catalogue     # rewrite resource_types.json
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

CATALOGUE = Path(__file__).with_name("resource_types.json")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load() -> dict[str, list[str]]:
    """{"deployment": [types of the deployment stacks], "bootstrap": [types of hivemind-bootstrap]}."""
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def _with_everything(plan, stage: str):
    from ..plan import DeploymentPlan
    from ..plan.stages import apply_stage

    data = apply_stage(plan, stage).model_dump()
    data["observability"].update(xray=True, alarm_email="ops@example.com")
    if stage == "production":
        data.update(domain="app.example.com", hosted_zone_id="Z0123456789ABCDEFGHIJ")
    return DeploymentPlan.model_validate(data)


def derive() -> dict[str, list[str]]:
    """Synthesize the examples (checks off: only the templates matter) and collect their types."""
    from ..artifact.bootstrap import bootstrap_template
    from ..errors import ReconError
    from ..recon import analyse_repo
    from ..render.builder import build_app
    from ..render.options import RenderOptions

    types: set[str] = set()
    for example in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        try:
            plan = analyse_repo(example)
        except ReconError:  # not an app (examples/ci holds CI workflows)
            continue
        for stage in ("stage-1", "production"):
            with tempfile.TemporaryDirectory(prefix="hivemind-iam-") as out:
                app = build_app(_with_everything(plan, stage), RenderOptions(colors=("blue", "green")), outdir=Path(out))
                for stack in app.synth().stacks:
                    types.update(r["Type"] for r in stack.template.get("Resources", {}).values())
    bootstrap = {r["Type"] for r in json.loads(bootstrap_template()).get("Resources", {}).values()}
    return {"deployment": sorted(types), "bootstrap": sorted(bootstrap)}


if __name__ == "__main__":
    CATALOGUE.write_text(json.dumps(derive(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {CATALOGUE}")
