"""What-if output: each stack's pending changes as a table, with replacements flagged."""
from __future__ import annotations

from typing import Iterable

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..deploy.changeset import StackPreview
from ..deploy.guard import Violation

_ACTION_STYLE = {"Add": "green", "Modify": "yellow", "Remove": "red", "Dynamic": "magenta", "Import": "cyan"}


def _replacement_cell(action: str, replacement: str | None, violation: Violation | None) -> Text:
    if violation is not None and action == "Remove":
        return Text("deleted (stateful!)", style="bold red")
    if violation is not None:
        value = "True" if replacement in (None, "False") else replacement
        return Text(f"{value} (stateful!)", style="bold red")
    if replacement is None:
        return Text("-", style="dim")
    style = {"True": "bold red", "Conditional": "yellow"}.get(replacement, "")
    return Text(replacement, style=style)


def stack_heading(preview: StackPreview) -> str:
    if preview.no_changes:
        return f"{preview.name}: no changes"
    if preview.note:
        verb = "will be created" if preview.change_set_type == "CREATE" else "will be updated"
        return f"{preview.name}: {verb}, {preview.note}"
    if preview.retire:
        return (f"{preview.name}: will be deleted, no longer in the plan "
                f"({len(preview.changes)} resource{'s' if len(preview.changes) != 1 else ''})")
    if preview.recreate:
        return f"{preview.name}: will be deleted ({preview.existing_status}) and created again"
    if preview.deferred and preview.change_set_type == "CREATE":
        return f"{preview.name}: will be created after {', '.join(preview.spec.dependencies)} (template resources)"
    if preview.deferred:
        return f"{preview.name}: will be updated after {', '.join(preview.spec.dependencies)} (template diff)"
    verb = "will be created" if preview.change_set_type == "CREATE" else "will be updated"
    return f"{preview.name}: {verb} ({len(preview.changes)} change{'s' if len(preview.changes) != 1 else ''})"


def change_table(preview: StackPreview, violations: Iterable[Violation] = ()) -> Table:
    flagged = {v.logical_id: v for v in violations if v.stack == preview.name}
    table = Table(title=stack_heading(preview), title_justify="left", expand=False)
    for column in ("Action", "Logical ID", "Type", "Replacement", "Caused by"):
        # Ids and types are what a reviewer greps for: wrap them (CI logs are 80 columns), never cut.
        table.add_column(column, overflow="fold")
    for change in preview.changes:
        table.add_row(
            Text(change.action, style=_ACTION_STYLE.get(change.action, "")),
            change.logical_id,
            change.resource_type,
            _replacement_cell(change.action, change.replacement, flagged.get(change.logical_id)),
            ", ".join(dict.fromkeys(change.causes + (flagged[change.logical_id].properties
                                                     if change.logical_id in flagged else ()))),
        )
    return table


def render_what_if(previews: list[StackPreview], violations: list[Violation]) -> Group:
    parts = []
    for preview in previews:
        if preview.no_changes or not preview.changes:
            parts.append(Text(stack_heading(preview) if preview.no_changes else f"{preview.name}: no resource changes",
                              style="dim"))
        else:
            parts.append(change_table(preview, violations))
    if violations:
        parts.append(Text(f"{len(violations)} stateful resource(s) would be replaced or deleted: deploying needs "
                          "--allow-replacement", style="bold red"))
    return Group(*parts)


def print_what_if(console: Console, previews: list[StackPreview], violations: list[Violation]) -> None:
    console.print(render_what_if(previews, violations))
