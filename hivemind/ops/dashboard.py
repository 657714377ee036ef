"""The deployment's CloudWatch dashboard: its console URL and the sections its body holds."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from ..render import names
from ..state.models import DeploymentState
from ..state.refresh import dashboard_url
from .util import aws_reason, read_client

# The sections every HiveMind dashboard has (issue 11), each a text widget "## <title>".
SECTIONS = ("Overview", "Infrastructure", "Load balancer", "Database", "Logs", "X-Ray", "Cost", "Alarms")
_HEADER = re.compile(r"^#{1,3}\s+(.+?)\s*$", re.MULTILINE)


@dataclass
class DashboardInfo:
    deployment: str
    name: str
    url: str
    exists: bool | None = None
    sections: list[str] = field(default_factory=list)
    widgets: int = 0
    error: str | None = None

    @property
    def missing_sections(self) -> list[str]:
        return [s for s in SECTIONS if s not in self.sections] if self.exists else []

    def to_dict(self) -> dict:
        return {"deployment": self.deployment, "name": self.name, "url": self.url, "exists": self.exists,
                "sections": self.sections, "missing_sections": self.missing_sections, "widgets": self.widgets,
                "error": self.error}


def dashboard_name(state: DeploymentState) -> str:
    """The name in the state's dashboard URL (what CloudFormation created), else the renderer's."""
    if state.dashboard_url and "dashboards:name=" in state.dashboard_url:
        return state.dashboard_url.rsplit("dashboards:name=", 1)[1]
    return names.dashboard_name(state.id)


def sections_of(body: dict) -> list[str]:
    """The text widgets' headers, in order."""
    found = []
    for widget in body.get("widgets", []):
        if widget.get("type") == "text":
            for title in _HEADER.findall(widget.get("properties", {}).get("markdown", "")):
                found.append(title)
    return found


def dashboard_info(state: DeploymentState, *, inspect: bool = True) -> DashboardInfo:
    """The console URL; with `inspect`, whether the dashboard exists and which sections it has."""
    name = dashboard_name(state)
    info = DashboardInfo(deployment=state.id, name=name, url=state.dashboard_url or dashboard_url(state.region, name))
    if not inspect:
        return info
    try:
        body = json.loads(read_client("cloudwatch", state.region).get_dashboard(DashboardName=name)["DashboardBody"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ResourceNotFoundException"):
            info.exists = False
            return info
        info.error = aws_reason(exc)
        return info
    except (BotoCoreError, ValueError) as exc:
        info.error = aws_reason(exc)
        return info
    info.exists = True
    info.widgets = len(body.get("widgets", []))
    info.sections = sections_of(body)
    return info
