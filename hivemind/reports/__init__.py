"""Deployment reports (issue 14): gathered from the state and read-only CloudFormation calls,
rendered with jinja2 (markdown, HTML), saved after every successful deploy, update and upgrade."""
from .gather import build_report
from .model import SECTIONS, Report
from .render import FORMATS, render_report
from .store import REPORTED_ACTIONS, latest_report, reports_dir, save_after_success, save_report

__all__ = [
    "FORMATS", "REPORTED_ACTIONS", "Report", "SECTIONS", "build_report", "latest_report", "render_report",
    "reports_dir", "save_after_success", "save_report",
]
