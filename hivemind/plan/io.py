"""Load and save plans as YAML or JSON, turning validation errors into one-line messages."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import PlanError
from ..fsutil import atomic_write_text
from .models import DeploymentPlan

PLAN_FILENAME = "hivemind.yaml"
_HEADER = (
    "# HiveMind deployment plan. Edit freely: `hivemind plan` keeps your edits unless --force.\n"
    "# Schema: `hivemind schema`. Evidence lists why each inferred value was chosen.\n"
)


def _location(loc: tuple) -> str:
    """('services', 0, 'port') -> 'services[0].port'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # A key typed with a newline or control character must not break the one-line message.
            part = str(part) if str(part).isprintable() else json.dumps(str(part))
            out += f".{part}" if out else part
    return out or "(plan)"


def format_validation_error(error: ValidationError, source: str) -> str:
    """One line naming the file, the field and what is wrong (plus a count of further problems)."""
    problems = error.errors()
    # A typo'd key also makes the real key "missing": name the typo first, it explains both.
    first = sorted(problems, key=lambda p: p["type"] != "extra_forbidden")[0]
    loc = _location(tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "is required"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{source}: {loc}: {message}{more}"


def plan_from_data(data: object, source: str) -> DeploymentPlan:
    if not isinstance(data, dict):
        raise PlanError(f"{source}: expected a mapping of plan fields at the top level")
    try:
        return DeploymentPlan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(format_validation_error(exc, source)) from None


def load_plan(path: str | Path) -> DeploymentPlan:
    """Read a plan file (YAML or JSON). A directory means `<dir>/hivemind.yaml`."""
    path = Path(path)
    if path.is_dir():
        path = path / PLAN_FILENAME
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file (run `hivemind plan` first)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read plan: {exc.__class__.__name__}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PlanError(f"{source}:{where} not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {problem}") from None
    except ValueError as exc:  # PyYAML's own constructors: an impossible date such as 2001-02-30
        raise PlanError(f"{source}: not valid YAML: {str(exc).splitlines()[0] if str(exc) else 'bad value'}") from None
    return plan_from_data(data, source)


def dump_plan_yaml(plan: DeploymentPlan) -> str:
    data = plan.model_dump(mode="json")
    return _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def dump_plan_json(plan: DeploymentPlan) -> str:
    return plan.model_dump_json(indent=2)


def save_plan(plan: DeploymentPlan, path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / PLAN_FILENAME
    text = dump_plan_json(plan) + "\n" if path.suffix == ".json" else dump_plan_yaml(plan)
    atomic_write_text(path, text)
    return path
