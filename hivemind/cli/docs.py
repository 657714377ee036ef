"""docs/cli.md, generated from the typer app itself so the reference cannot drift from the code.

    python -m hivemind.cli.docs            # print the markdown
    python -m hivemind.cli.docs --write    # write docs/cli.md (tests/docs fails when it is stale)

Commands and parameters come in the app's own order (registration order, as `--help` lists
them); nothing here depends on the machine, the clock or the environment, so two runs agree.
"""
from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import typer
from typer import _click as click  # typer vendors its own click; these are its classes

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
REGENERATE = "python -m hivemind.cli.docs --write"

# One or more example lines per command path ("plan", or "group sub" for a subcommand).
# Every command of the app needs an entry: tests/docs fails on a command without one, and parses
# each line with the real command, so a renamed flag breaks the test too. Entries for commands
# that are not (yet) in the app are simply not rendered.
EXAMPLES: dict[str, list[str]] = {
    "schema": ["hivemind schema > hivemind.schema.json"],
    "plan": [
        "hivemind plan examples/express-postgres --no-llm",
        'hivemind plan ./orders-api "orders REST API" --production --json',
    ],
    "synth": [
        "hivemind synth examples/express-postgres --stage-1",
        "hivemind synth ./orders-api/hivemind.yaml --production -o build/cdk.out --json",
    ],
    "deploy": [
        "hivemind deploy ./orders-api --what-if",
        "hivemind deploy ./orders-api --yes --max-parallel 2",
    ],
    "update": [
        "hivemind update orders-api ./orders-api --canary 10 --bake 300 --yes",
        "hivemind update orders-api --rolling --yes",
    ],
    "rollback": ["hivemind rollback orders-api --to v3 --yes"],
    "history": ["hivemind history orders-api --json"],
    "cancel": ["hivemind cancel orders-api"],
    "retry": ["hivemind retry orders-api ./orders-api --yes"],
    "upgrade": [
        "hivemind upgrade orders-api --to-production --certificate-arn "
        "arn:aws:acm:us-east-1:123456789012:certificate/abcd --what-if",
    ],
    "destroy": ["hivemind destroy orders-api --keep-data --yes"],
    "janitor": ["hivemind janitor orders-api --json"],
    "status": ["hivemind status orders-api", "hivemind status orders-api --show-logs --since 1h --grep ERROR"],
    "list": ["hivemind list --all --json"],
    "diagnose": ["hivemind diagnose orders-api", 'hivemind diagnose --message "DB instance class not supported"'],
    "unlock": ["hivemind unlock orders-api --force --yes"],
    "verify": ["hivemind verify orders-api", "hivemind verify orders-api --url https://orders.example.com --timeout 20"],
    "dashboard": ["hivemind dashboard orders-api --open"],
    "logs": ["hivemind logs orders-api web --since 30m --grep ERROR", "hivemind logs orders-api --follow"],
    "report": ["hivemind report orders-api --format html -o orders-api-report.html"],
    "iam-policy": ["hivemind iam-policy orders-api --json",
                   "hivemind iam-policy --account 123456789012 --region eu-west-1 > hivemind-iam.json"],
}


def environment() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting HiveMind reads from the environment.

    Defaults come from the modules that read them, so they cannot drift; tests/docs fails when the
    code reads a HIVEMIND_* variable this list does not name.
    """
    from .. import aws
    from ..agents import config as llm
    from ..deploy import cfn, changeset, engine
    from ..state import lease
    from ..workflows import destroy
    from . import fix_prompt

    return [
        ("AWS_PROFILE", "", "Credentials profile (an SSO or assume-role profile); any boto3 credential source works."),
        ("AWS_REGION, AWS_DEFAULT_REGION", f"`{aws.DEFAULT_REGION}`", "Region when the plan or the deployment does not say."),
        ("AWS_ENDPOINT_URL", "", "Another AWS endpoint for every client (a moto server in tests)."),
        ("OPENAI_API_KEY", "", "Turns the LLM agents on (without it the deterministic analyser is used)."),
        ("OPENAI_BASE_URL", "", "Any OpenAI-compatible server."),
        ("HIVEMIND_MODEL", f"`{llm.DEFAULT_MODEL}`", "Model the agents ask."),
        ("HIVEMIND_LLM_TIMEOUT", f"`{llm.DEFAULT_TIMEOUT:g}`", "Seconds per LLM request."),
        ("HIVEMIND_LLM_MAX_RETRIES", f"`{llm.DEFAULT_MAX_RETRIES}`", "Retries of 429/5xx/timeouts per LLM request."),
        ("HIVEMIND_LLM_BUDGET", f"`{llm.DEFAULT_BUDGET_TOKENS}`", "Hard token budget per analysis."),
        ("HIVEMIND_HOME", "`~/.hivemind`", "Local state, reports, agent logs and the synth cache."),
        (changeset.ROLE_ARN_ENV, "", "CloudFormation execution role: every change set runs as it "
                                     "(`hivemind iam-policy` prints its policy)."),
        ("HIVEMIND_LEASE_TTL", f"`{lease.DEFAULT_TTL:g}`", "Seconds a lease outlives its holder's last heartbeat."),
        ("HIVEMIND_AWS_ERROR_BUDGET", f"`{cfn.DEFAULT_ERROR_BUDGET:g}`",
         "Seconds of consecutive AWS errors (throttling, 5xx) a wait tolerates before it stops."),
        ("HIVEMIND_STALL_NOTICE", f"`{engine.DEFAULT_STALL_NOTICE:g}`",
         "Seconds without a new stack event before the progress display says so."),
        (destroy.CONFIRM_ENV, "", "`destroy --skip-final-snapshot --yes`: the id, typed ahead (CI)."),
        (fix_prompt.INTERACTIVE_ENV, "(stdin is a terminal)",
         "`1` or `0`: whether a person can answer prompts such as the fix prompt after a failed deploy."),
        ("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "", "`20` silences the jsii runtime's Node 20 banner."),
    ]


def environment_table() -> list[str]:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, default, meaning in environment():
        names = ", ".join(f"`{n.strip()}`" for n in name.split(","))
        lines.append(f"| {names} | {default} | {cell(meaning)} |")
    return lines + [""]


@dataclass(frozen=True)
class Entry:
    """One command of the app: its words after `hivemind`, its click object and context."""

    path: tuple[str, ...]
    command: click.Command
    context: click.Context

    @property
    def name(self) -> str:
        return " ".join(self.path)


def root_command() -> click.Command:
    # Importing this module ran hivemind/cli/__init__.py, which registers every command on `app`.
    from .app import app

    return typer.main.get_command(app)


def commands(group: click.Command | None = None, context: click.Context | None = None,
             path: tuple[str, ...] = ()) -> list[Entry]:
    """Every visible command, depth first; a group is followed by its subcommands."""
    group = group or root_command()
    context = context or click.Context(group, info_name="hivemind")
    found: list[Entry] = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if command is None or command.hidden:
            continue
        sub_context = click.Context(command, info_name=name, parent=context)
        found.append(Entry(path + (name,), command, sub_context))
        if is_group(command):
            found += commands(command, sub_context, path + (name,))
    return found


def is_group(command: click.Command) -> bool:
    return hasattr(command, "list_commands")


def visible_params(command: click.Command) -> list[click.Parameter]:
    # `.params` leaves out --help: it is on every command, said once at the top instead.
    return [p for p in command.params if not getattr(p, "hidden", False)]


def summary(command: click.Command) -> str:
    """The first paragraph of the help, on one line."""
    text = inspect.cleandoc(command.help or command.short_help or "")
    return " ".join(text.split("\n\n")[0].split())


def details(command: click.Command) -> str:
    """The rest of the help text (after the first paragraph), as written."""
    text = inspect.cleandoc(command.help or "")
    parts = text.split("\n\n", 1)
    return parts[1].strip() if len(parts) > 1 else ""


def argument_name(param: click.Parameter) -> str:
    # A metavar may carry its own brackets ("[ID]"); the usage line adds them for optional ones.
    return (param.metavar or param.name or "").strip("[]").upper()


def usage(entry: Entry) -> str:
    pieces = ["hivemind", *entry.path]
    params = visible_params(entry.command)
    if any(p.param_type_name == "option" for p in params):
        pieces.append("[OPTIONS]")
    for param in params:
        if param.param_type_name == "argument":
            name = argument_name(param) + ("..." if param.nargs != 1 else "")
            pieces.append(name if param.required else f"[{name}]")
    if is_group(entry.command):
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def value_type(param: click.Parameter, context: click.Context) -> str:
    """`flag` for an on/off option, else typer's own type label (`path`, `int`, ...)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return "flag"
    label = param.display_type_rich(context) if hasattr(param, "display_type_rich") else param.metavar
    label = (label or "").strip("<>")
    # typer labels a repeatable option `list[str]`; the table says `str, repeatable`.
    repeatable = getattr(param, "multiple", False) or label.startswith("list[")
    if label.startswith("list[") and label.endswith("]"):
        label = label[len("list["):-1]
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None or high is not None:
        label = label.removesuffix(" range") + f" ({'' if low is None else low}..{'' if high is None else high})"
    return label + (", repeatable" if repeatable else "")


def default_text(param: click.Parameter, context: click.Context) -> str:
    """The default as a user would type it; empty when there is none worth saying."""
    value = param.get_default(context, call=False)
    if callable(value):
        return "(computed)"
    if value is None or value == "" or value == [] or value == ():
        return ""
    if isinstance(value, bool):
        # A plain flag defaults to off; a --x/--no-x pair names the side it takes.
        if getattr(param, "secondary_opts", None):
            return param.opts[0] if value else param.secondary_opts[0]
        return "on" if value else ""
    if isinstance(value, Enum):
        value = value.value
    return f"`{value}`"


def option_names(param: click.Parameter) -> str:
    # Long names first: `--yes, -y` reads better than `-y, --yes` in a table sorted by meaning.
    names = sorted(param.opts, key=lambda opt: (not opt.startswith("--"), opt)) + list(param.secondary_opts)
    return ", ".join(f"`{name}`" for name in names)


def prose(text: str) -> str:
    """Help text as markdown: outside code spans `<id>` is escaped (a browser would take it for a
    tag) and so is `*` (`--show-*` would start emphasis)."""
    pieces = (text or "").split("`")
    for i in range(0, len(pieces), 2):  # even pieces are outside backticks
        pieces[i] = (pieces[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                     .replace("*", "\\*"))
    return "`".join(pieces)


def cell(text: str) -> str:
    """Markdown table cells hold one line and no bare pipes."""
    return " ".join(prose(text).split()).replace("|", "\\|")


def params_table(entry: Entry) -> list[str]:
    params = visible_params(entry.command)
    arguments = [p for p in params if p.param_type_name == "argument"]
    options = [p for p in params if p.param_type_name == "option"]
    lines: list[str] = []
    if arguments:
        lines += ["| argument | type | required | default | description |", "|---|---|---|---|---|"]
        for p in arguments:
            lines.append(f"| `{argument_name(p)}` | {cell(value_type(p, entry.context))} | "
                         f"{'yes' if p.required else 'no'} | {cell(default_text(p, entry.context))} | "
                         f"{cell(getattr(p, 'help', '') or '')} |")
        lines.append("")
    if options:
        lines += ["| option | value | default | description |", "|---|---|---|---|"]
        for p in options:
            description = getattr(p, "help", "") or ""
            if p.required:
                description += " (required)"
            if p.envvar:
                envvars = [p.envvar] if isinstance(p.envvar, str) else list(p.envvar)
                description += f" (env: {', '.join(envvars)})"
            lines.append(f"| {option_names(p)} | {cell(value_type(p, entry.context))} | "
                         f"{cell(default_text(p, entry.context))} | {cell(description)} |")
        lines.append("")
    return lines


def anchor(entry: Entry) -> str:
    """GitHub's heading anchor for `## hivemind <path>`."""
    return "hivemind-" + "-".join(entry.path)


def render() -> str:
    """docs/cli.md, whole."""
    root = root_command()
    context = click.Context(root, info_name="hivemind")
    entries = commands(root, context)
    lines = [
        "# `hivemind` command reference",
        "",
        f"<!-- Generated from the typer app by `{REGENERATE}`: do not edit by hand; "
        "tests/docs fails when this file and the app differ. -->",
        "",
        summary(root),
        "",
        "```",
        "hivemind [OPTIONS] COMMAND [ARGS]...",
        "```",
        "",
        "Every command also takes `--help`. Commands that change a deployment take the lock described in",
        "[security.md](security.md#the-lease-in-s3); bad input exits non-zero with one line on stderr.",
        "",
        "## Global options",
        "",
    ]
    lines += params_table(Entry((), root, context))
    lines += ["## Environment", ""] + environment_table()
    lines += ["## Commands", "", "| command | what it does |", "|---|---|"]
    for entry in entries:
        lines.append(f"| [`hivemind {entry.name}`](#{anchor(entry)}) | {cell(summary(entry.command))} |")
    lines.append("")
    for entry in entries:
        lines += [f"## hivemind {entry.name}", "", prose(summary(entry.command)), ""]
        more = details(entry.command)
        if more:
            lines += [prose(more), ""]
        lines += ["```", usage(entry), "```", ""]
        lines += params_table(entry)
        examples = EXAMPLES.get(entry.name)
        if examples:
            lines += ["Example:" if len(examples) == 1 else "Examples:", "", "```bash", *examples, "```", ""]
        else:
            lines += [f"(no example: add one to EXAMPLES in hivemind/cli/docs.py, then run `{REGENERATE}`)", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--write"]):
        print(f"usage: python -m hivemind.cli.docs [--write]   (--write: {CLI_MD})", file=sys.stderr)
        return 2
    text = render()
    if args == ["--write"]:
        CLI_MD.parent.mkdir(parents=True, exist_ok=True)
        CLI_MD.write_text(text, encoding="utf-8")
        print(f"wrote {CLI_MD}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
