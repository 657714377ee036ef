"""Render a Report with the jinja2 templates in templates/ (markdown, or HTML with autoescape on)."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..errors import HivemindError
from .model import Report

FORMATS = ("md", "html")


def _cell(value) -> str:
    """A markdown table cell: a pipe or a line break would end the cell or the row."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")


def _usd(value) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _secs(value) -> str:
    return "-" if value is None else f"{value:.1f} s"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hivemind.reports", "templates"),
        # HTML escapes every value (a resource id or a reason could hold markup); markdown is text.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(cell=_cell, usd=_usd, secs=_secs)
    return env


def render_report(report: Report, fmt: str = "md") -> str:
    if fmt not in FORMATS:
        raise HivemindError(f"unknown report format '{fmt}' (choose md or html)")
    return _environment().get_template(f"report.{fmt}.j2").render(r=report)
