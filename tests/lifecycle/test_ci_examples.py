"""The CI workflows in examples/ci call commands and flags that exist (parsed by the real CLI)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"


def hivemind_commands(workflow: dict) -> list[list[str]]:
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            run = step.get("run", "")
            if run.startswith("hivemind "):
                # GitHub expressions become plain values for parsing.
                text = re.sub(r"\$\{\{[^}]*format\('--certificate-arn \{0\}'[^}]*\}\}", "--certificate-arn arn:x", run)
                text = re.sub(r"\$\{\{[^}]*\}\}", "orders-api", text)
                commands.append(shlex.split(text)[1:])
    return commands


@pytest.mark.parametrize("name", ["hivemind-upgrade.yml", "hivemind-update.yml"])
def test_workflow_commands_parse(name):
    from hivemind.cli import app

    workflow = yaml.safe_load((CI / name).read_text())
    assert workflow["permissions"]["id-token"] == "write"
    assert "hivemind-" in workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    commands = hivemind_commands(workflow)
    assert commands
    group = typer.main.get_command(app)
    for argv in commands:
        command = group.get_command(None, argv[0])
        assert command is not None, argv
        command.make_context(argv[0], argv[1:])  # raises on an unknown flag or a missing argument


def test_the_update_workflow_runs_on_every_push_to_main():
    workflow = yaml.safe_load((CI / "hivemind-update.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as True
    assert any(c[:1] == ["update"] and "--yes" in c for c in hivemind_commands(workflow))
