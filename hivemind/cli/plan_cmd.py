"""`hivemind schema` (and `hivemind plan`, added by the recon stage)."""
from __future__ import annotations

import json

from ..plan import DeploymentPlan
from .app import app, console


@app.command()
def schema() -> None:
    """Print the JSON Schema of hivemind.yaml (for editors and CI validation)."""
    console.print_json(json.dumps(DeploymentPlan.model_json_schema()))
