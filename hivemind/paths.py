"""Where HiveMind keeps local files: $HIVEMIND_HOME (default ~/.hivemind)."""
from __future__ import annotations

import os
from pathlib import Path


def hivemind_home() -> Path:
    return Path(os.environ.get("HIVEMIND_HOME") or Path.home() / ".hivemind")


def deployment_dir(deployment_id: str) -> Path:
    """Local cache of one deployment: state.json, reports, history, agent logs."""
    return hivemind_home() / "deployments" / deployment_id
