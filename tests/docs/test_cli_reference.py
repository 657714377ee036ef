"""docs/cli.md is generated from the typer app and cannot drift from it."""
from __future__ import annotations

import re
import shlex

import pytest

from hivemind.cli import docs

STALE = f"docs/cli.md is out of date with the CLI: run `{docs.REGENERATE}` and commit docs/cli.md"


def test_cli_md_matches_the_app():
    assert docs.CLI_MD.exists(), STALE
    if docs.CLI_MD.read_text(encoding="utf-8") != docs.render():
        pytest.fail(STALE, pytrace=False)


def help_commands(help_text: str) -> list[str]:
    """Command names in the Commands panel of rich `--help` output."""
    panel = help_text.split("Commands", 1)[1]
    return re.findall(r"^│ ([a-z][a-z0-9-]*)\s", panel, flags=re.MULTILINE)


def test_every_command_in_help_is_documented(cli):
    code, out, _ = cli("--help")
    assert code == 0
    names = help_commands(out)
    assert {"plan", "synth", "deploy", "destroy"} <= set(names)  # the parse found the panel
    text = docs.CLI_MD.read_text(encoding="utf-8")
    missing = [name for name in names if f"\n## hivemind {name}\n" not in text]
    assert not missing, f"{STALE} (missing: {', '.join(missing)})"


def section(text: str, name: str) -> str:
    return text.split(f"\n## hivemind {name}\n", 1)[1].split("\n## hivemind ", 1)[0]


def test_every_flag_of_every_command_is_in_its_section():
    text = docs.render()
    for entry in docs.commands():
        body = section(text, entry.name)
        for param in docs.visible_params(entry.command):
            if param.param_type_name == "option":
                for opt in [*param.opts, *param.secondary_opts]:
                    assert f"`{opt}`" in body, (entry.name, opt)
            else:
                assert f"`{docs.argument_name(param)}`" in body, (entry.name, param.name)
        assert docs.summary(entry.command).split()[0] in body


def test_every_command_has_an_example_that_parses():
    for entry in docs.commands():
        examples = docs.EXAMPLES.get(entry.name)
        assert examples, f"`hivemind {entry.name}` has no example: add one to EXAMPLES in hivemind/cli/docs.py"
        for line in examples:
            argv = shlex.split(line.split(">")[0])
            assert argv[: 1 + len(entry.path)] == ["hivemind", *entry.path], line
            # The real command parses it: a renamed flag or a missing argument raises here.
            entry.command.make_context(entry.name, argv[1 + len(entry.path):], parent=entry.context.parent)


def test_defaults_and_types_come_from_the_app():
    text = docs.render()
    deploy = section(text, "deploy")
    assert "| `--max-parallel` | int (1..16) | `4` |" in deploy
    assert "| `--yes`, `-y` | flag |" in deploy
    update = section(text, "update")
    assert "| `REPO` | path | no | `.` |" in update and "| `ID` | str | yes |" in update
    assert "| `--skip-resource` | str, repeatable |" in section(text, "rollback")
    assert "hivemind destroy [OPTIONS] ID" in section(text, "destroy")
    assert "| `--version` | flag |" in text.split("## Commands")[0]


def test_generator_command_line(capsys):
    assert docs.main(["--bogus"]) == 2
    assert "usage: python -m hivemind.cli.docs [--write]" in capsys.readouterr().err
    assert docs.main([]) == 0
    assert capsys.readouterr().out == docs.render()


def test_groups_are_walked_with_their_subcommands():
    # No group in the app today; a `hivemind cdk diff`-style subcommand must still be documented.
    import typer

    app = typer.Typer()
    sub = typer.Typer(help="Stock CDK CLI helpers.")

    @app.command()
    def first(name: str = typer.Argument(..., help="A name.")) -> None:
        """First command."""

    @sub.command()
    def diff(plan: str = typer.Option("hivemind.yaml", "--plan", help="Plan file.")) -> None:
        """Diff the stacks."""

    app.add_typer(sub, name="cdk")
    entries = docs.commands(typer.main.get_command(app))
    assert [e.path for e in entries] == [("first",), ("cdk",), ("cdk", "diff")]
    diff_entry = entries[2]
    assert docs.usage(diff_entry) == "hivemind cdk diff [OPTIONS]"
    assert docs.usage(entries[1]).endswith("COMMAND [ARGS]...")
    table = "\n".join(docs.params_table(diff_entry))
    assert "| `--plan` | str | `hivemind.yaml` | Plan file. |" in table


# Names that are not settings: a marker the instance's probe prints, and the colour HiveMind sets
# in the app's own environment.
NOT_SETTINGS = {"HIVEMIND_PROBE", "HIVEMIND_COLOR"}


def test_every_hivemind_variable_the_code_reads_is_documented():
    package = docs.CLI_MD.parents[1] / "hivemind"
    read = set()
    for source in package.rglob("*.py"):
        read |= set(re.findall(r"[\"'](HIVEMIND_[A-Z0-9_]+)[\"']", source.read_text(encoding="utf-8")))
    assert {"HIVEMIND_HOME", "HIVEMIND_LEASE_TTL", "HIVEMIND_CFN_ROLE_ARN"} <= read  # the scan works
    documented = {name.strip() for names, _, _ in docs.environment() for name in names.split(",")}
    missing = sorted(read - NOT_SETTINGS - documented)
    assert not missing, f"add {', '.join(missing)} to environment() in hivemind/cli/docs.py, then run {docs.REGENERATE}"
    environment = docs.render().split("## Environment", 1)[1].split("## Commands", 1)[0]
    from hivemind.state.lease import DEFAULT_TTL

    assert f"| `HIVEMIND_LEASE_TTL` | `{DEFAULT_TTL:g}` |" in environment  # the default lease.py uses
