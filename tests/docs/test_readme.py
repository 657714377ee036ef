"""The README's diagram, its commands and every docs link stay true to the code and the files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from hivemind.cli import docs

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


# A node or subgraph with a label: id["label"], id[("label")] (cylinder), id("label").
NODE = re.compile(r'([A-Za-z_][\w-]*)\s*[\[(]+"([^"]*)"[\])]+')
# An edge once labels are gone: a --> b, a -.-> b, a -->|text| b.
EDGE = re.compile(r"([A-Za-z_][\w-]*)\s*(?:-->|-\.->|==>)(?:\|[^|]*\|)?\s*([A-Za-z_][\w-]*)")


def diagram() -> tuple[dict[str, str], list[tuple[str, str]]]:
    blocks = mermaid_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) == 1, "README.md needs one ```mermaid architecture diagram"
    lines = blocks[0].splitlines()
    assert lines[0].strip() in ("flowchart LR", "flowchart TD", "flowchart TB", "graph LR", "graph TD")
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in lines[1:]:
        line = line.strip()
        if not line or line == "end":
            continue
        line = line.removeprefix("subgraph ")
        for node_id, label in NODE.findall(line):
            nodes[node_id] = label
        edges += EDGE.findall(NODE.sub(r"\1", line))
    return nodes, edges


def test_readme_has_the_architecture_diagram():
    nodes, edges = diagram()
    labels = " | ".join(nodes.values())
    for name in ("repository", "Recon", "agents", "hivemind.yaml", "CDK", "cdk-nag", "cfn-lint", "checkov",
                 "cost", "change sets", "CloudFormation stacks", "network", "data", "app-blue", "app-green",
                 "edge", "QA verify", "Medic", "Ops", "Reports", "local", "SSM", "lease in S3"):
        assert name in labels, f"the README diagram has no node naming {name!r}"
    # Every edge joins declared nodes (a typo would draw a stray, unlabelled box).
    assert len(edges) >= 10
    for source, target in edges:
        assert source in nodes and target in nodes, (source, target)
    # The flow is connected in order: repo -> ... -> change sets -> stacks -> QA.
    path = {source: target for source, target in edges if source not in ("edge", "stacks", "medic", "changesets")}
    assert [path["repo"], path["recon"], path["plan"], path["render"], path["checks"]] == \
        ["recon", "plan", "render", "checks", "changesets"]
    assert ("changesets", "stacks") in edges and ("stacks", "qa") in edges


def readme_commands(text: str) -> list[list[str]]:
    """Every `hivemind ...` invocation in code spans and code blocks, as words (flags included)."""
    snippets = re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    # Shell lines without their comments ("# after hivemind deploy: ..." is prose), split at && ; |.
    lines = [re.sub(r"(^|\s)#.*$", "", line) for block in snippets for line in block.splitlines()]
    snippets = [piece for line in lines for piece in re.split(r"&&|;|\s\|\s", line)]
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)
    snippets += [span.replace("\\|", " ") for span in re.findall(r"`([^`\n]+)`", prose)]
    found = []
    for snippet in snippets:
        # Lower case or a flag: `hivemind COMMAND --help` names a placeholder, not a command.
        match = re.search(r"(?:^|\s)hivemind\s+([a-z-].*)$", snippet.strip())
        if match:
            found.append(match.group(1).split())
    return found


def test_every_readme_command_exists_with_its_flags():
    entries = {entry.name: entry for entry in docs.commands()}
    root_flags = {opt for p in docs.root_command().params for opt in [*p.opts, *p.secondary_opts]}
    commands = readme_commands(README.read_text(encoding="utf-8"))
    named = {words[0] for words in commands if not words[0].startswith("-")}
    assert {"plan", "synth", "deploy", "update", "rollback", "destroy", "status", "unlock"} <= named
    for words in commands:
        if words[0].startswith("-"):
            assert set(w for w in words if w.startswith("--")) <= root_flags, words
            continue
        name = words[0]
        assert name in entries, f"README names `hivemind {name}`, which the CLI does not have"
        entry = entries[name]
        if len(words) > 1 and f"{name} {words[1]}" in entries:  # a group's subcommand
            entry = entries[f"{name} {words[1]}"]
        flags = {opt for p in entry.command.params for opt in [*p.opts, *p.secondary_opts]}
        for word in words:
            for flag in re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", word):
                assert flag in flags, f"README: `hivemind {entry.name}` has no {flag}"


def test_the_readme_keeps_its_ci_commands_first():
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", README.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    assert blocks[0] == ("bash", "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' && "
                                 "hivemind synth examples/express-postgres --stage-1\n")
    assert blocks[1] == ("bash", "pytest\n")


def github_anchor(heading: str) -> str:
    """GitHub's heading id: lower case, punctuation dropped (not - or _), spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```$", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return {github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_links_point_at_files_and_headings_that_exist(page):
    text = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s) and mailto links are not checked offline
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        assert linked.exists(), f"{page.name}: link to {target} points nowhere"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page.name}: {target}: no such heading"


def test_readme_links_every_doc():
    text = README.read_text(encoding="utf-8")
    for page in ("docs/cli.md", "docs/examples.md", "docs/security.md"):
        assert f"]({page}" in text, f"README does not link {page}"
