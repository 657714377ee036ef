"""The local cache: $HIVEMIND_HOME/deployments/<id>/state.json, written atomically."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from ..errors import HivemindError
from ..fsutil import atomic_write_text
from ..paths import deployment_dir, hivemind_home
from ..plan.models import NAME_PATTERN
from .models import DeploymentState

STATE_FILENAME = "state.json"


class StateError(HivemindError):
    """A stored state cannot be read or is not a HiveMind state."""


def check_deployment_id(deployment_id: str) -> str:
    """Ids become paths and parameter names: refuse anything that is not a plan name."""
    if not NAME_PATTERN.fullmatch(deployment_id or ""):
        raise StateError(
            f"invalid deployment id {deployment_id!r} (2-40 lower-case letters, digits and '-')"
        )
    return deployment_id


def state_path(deployment_id: str) -> Path:
    return deployment_dir(check_deployment_id(deployment_id)) / STATE_FILENAME


def parse_state(text: str, source: str) -> DeploymentState:
    try:
        return DeploymentState.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise StateError(f"{source}: state is not valid JSON (line {exc.lineno})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(state)"
        raise StateError(f"{source}: invalid state: {where}: {first['msg']}") from None


def read_local(deployment_id: str) -> DeploymentState | None:
    path = state_path(deployment_id)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"{path}: cannot read state ({exc.strerror})") from None
    return parse_state(text, str(path))


def write_local(state_json: str, deployment_id: str) -> Path:
    path = state_path(deployment_id)
    atomic_write_text(path, state_json)
    return path


def local_deployment_ids() -> list[str]:
    root = hivemind_home() / "deployments"
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{STATE_FILENAME}") if NAME_PATTERN.fullmatch(p.parent.name))
