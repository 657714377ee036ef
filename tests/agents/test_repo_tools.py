"""The agents' repository tools and digest: confined, walker-filtered, byte-capped."""
from __future__ import annotations

import pytest

from hivemind.agents import LLMConfig, LLMConfigError, RepoSandbox, ToolError, load_llm_config, repo_toolset
from hivemind.agents.config import NO_LLM_NOTICE, PLACEHOLDER_KEY
from hivemind.agents.digest import MAX_DIGEST_BYTES, TREE_BYTES, repo_digest
from hivemind.agents.repo_tools import READ_CAP_BYTES

from .conftest import write_repo


def test_sandbox_sees_what_the_walker_sees(node_repo):
    sandbox = RepoSandbox(node_repo)
    assert "src/server.js" in sandbox.fileset and "package.json" in sandbox.fileset
    assert "secret-notes.txt" not in sandbox.fileset  # .gitignore'd
    assert not any(f.startswith("node_modules/") for f in sandbox.files)
    listing = sandbox.list_dir(".")
    assert "src/ (2 files)" in listing and "node_modules" not in listing and "secret-notes" not in listing


@pytest.mark.parametrize("path, message", [
    ("../payments/package.json", "'..' is not allowed"),
    ("src/../../x", "'..' is not allowed"),
    ("/etc/passwd", "absolute paths are not allowed"),
    ("~/.ssh/id_rsa", "absolute paths are not allowed"),
    ("C:/Windows/win.ini", "absolute paths are not allowed"),
    ("node_modules/express/index.js", "no such file in the repository (or ignored/vendored)"),
    ("secret-notes.txt", "no such file"),
    ("src", "is a directory"),
    (".env", "may hold secrets"),
])
def test_read_file_refusals(node_repo, path, message):
    with pytest.raises(ToolError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RepoSandbox(node_repo).read_file(path)


def test_symlinks_cannot_escape(node_repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "data.txt").write_text("outside\n")
    (node_repo / "linked-dir").symlink_to(outside, target_is_directory=True)
    (node_repo / "linked-file.txt").symlink_to(outside / "data.txt")
    (node_repo / "loop").symlink_to(node_repo, target_is_directory=True)
    sandbox = RepoSandbox(node_repo)
    with pytest.raises(ToolError, match="resolves outside the repository"):
        sandbox.read_file("linked-file.txt")
    with pytest.raises(ToolError):
        sandbox.read_file("linked-dir/data.txt")
    with pytest.raises(ToolError):
        sandbox.list_dir("loop")


def test_read_file_is_capped_and_pages_by_offset(tmp_path):
    repo = write_repo(tmp_path / "r", {"big.py": "".join(f"line_{i} = {i}\n" for i in range(5000))})
    sandbox = RepoSandbox(repo)
    first = sandbox.read_file("big.py")
    assert first.startswith(f"big.py bytes 0-{READ_CAP_BYTES} of") and "(more: call again with offset)" in first
    assert "    1| line_0 = 0" in first
    second = sandbox.read_file("big.py", offset=READ_CAP_BYTES)
    last_line_first = first.strip().splitlines()[-1].split("|")[0].strip()
    assert second.splitlines()[1].split("|")[0].strip() == last_line_first  # numbering continues at the cut
    tools = repo_toolset(sandbox)
    too_big = tools.call("read_file", '{"path": "big.py", "max_bytes": 99999}')
    assert not too_big.ok and "max_bytes" in too_big.text
    with pytest.raises(ToolError, match="past the end"):
        sandbox.read_file("big.py", offset=10**7)


def test_grep_finds_lines_and_skips_hidden_files(node_repo):
    sandbox = RepoSandbox(node_repo)
    out = sandbox.grep(r"process\.env\.PORT")
    assert out == "src/server.js:8: const port = process.env.PORT || 4000;"
    assert "STRIPE" in sandbox.grep("STRIPE") and ".env.example:2" in sandbox.grep("STRIPE")
    assert ".env:" not in sandbox.grep("STRIPE").replace(".env.example", "")
    assert sandbox.grep("module.exports") == "no match for 'module.exports' in *"  # node_modules is invisible
    assert sandbox.grep("require", glob="*.js", max_matches=1).endswith("[first 1 matches]")
    with pytest.raises(ToolError, match="invalid regular expression"):
        sandbox.grep("(unclosed")


def test_tool_registry_turns_bad_calls_into_error_results(node_repo):
    tools = repo_toolset(RepoSandbox(node_repo))
    assert tools.call("rm_rf", "{}").text.startswith("error: unknown tool 'rm_rf'")
    assert tools.call("read_file", "{not json").text.startswith("error: arguments are not valid JSON")
    assert tools.call("read_file", "[1]").text == "error: arguments must be a JSON object"
    assert tools.call("read_file", "{}").text == "error: path: Field required"
    spec = {s["function"]["name"]: s["function"]["parameters"] for s in tools.specs()}
    assert spec["read_file"]["properties"]["max_bytes"]["maximum"] == READ_CAP_BYTES
    assert "why" in spec["grep"]["properties"]


def test_digest_is_bounded_and_cites_lines(node_repo):
    digest = repo_digest(RepoSandbox(node_repo))
    assert "--- package.json\n1| {" in digest and "8| const port = process.env.PORT || 4000;" in digest
    assert "--- .env.example" in digest and "sk_live_should_never_leave" not in digest
    assert "node_modules" not in digest and "do not read me" not in digest


def test_digest_size_does_not_grow_with_the_repository(node_repo):
    small = len(repo_digest(RepoSandbox(node_repo)).encode())
    # Enough folders and files to overflow every section if nothing were capped (bench/ goes to 50,000).
    noise = {f"src/components/c{i // 10}/part{i}.js": f"export const p{i} = {i};\n" for i in range(800)}
    noise.update({f"lib{i}/mod.js": "x\n" for i in range(150)})
    noise.update({f"node_modules/pkg{i // 100}/f{i}.js": "x\n" for i in range(300)})
    write_repo(node_repo, noise)
    big = len(repo_digest(RepoSandbox(node_repo)).encode())
    # Only the tree section grows with the repository, and it has its own cap.
    assert big <= MAX_DIGEST_BYTES and big - small <= TREE_BYTES


def test_config_from_environment():
    assert load_llm_config({}) is None
    local = load_llm_config({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"})
    assert local.api_key == PLACEHOLDER_KEY and local.secrets() == () and local.model == "gpt-4o-mini"
    full = load_llm_config({"OPENAI_API_KEY": "sk-abc", "HIVEMIND_MODEL": "llama3", "HIVEMIND_LLM_TIMEOUT": "5",
                            "HIVEMIND_LLM_MAX_RETRIES": "0", "HIVEMIND_LLM_BUDGET": "20000"})
    assert (full.model, full.timeout, full.max_retries, full.budget_tokens, full.base_url) == ("llama3", 5.0, 0,
                                                                                              20000, None)
    assert "sk-abc" not in repr(full) and full.secrets() == ("sk-abc",)
    with pytest.raises(LLMConfigError, match="HIVEMIND_LLM_TIMEOUT='soon' is not a number"):
        load_llm_config({"OPENAI_API_KEY": "k", "HIVEMIND_LLM_TIMEOUT": "soon"})
    with pytest.raises(LLMConfigError, match="HIVEMIND_LLM_BUDGET=10 is out of range"):
        load_llm_config({"OPENAI_API_KEY": "k", "HIVEMIND_LLM_BUDGET": "10"})
    assert NO_LLM_NOTICE == "no OPENAI_API_KEY: using the deterministic plan"
    assert isinstance(local, LLMConfig)


def test_grep_scans_shallow_files_first_within_its_cap(node_repo, monkeypatch):
    import hivemind.agents.repo_tools as repo_tools

    write_repo(node_repo, {f"src/aaa/deep{i}.js": "nothing here\n" for i in range(30)})
    monkeypatch.setattr(repo_tools, "GREP_MAX_FILES", 10)
    out = RepoSandbox(node_repo).grep(r"process\.env\.PORT", glob="*.js")
    assert out.startswith("src/server.js:8: const port = process.env.PORT || 4000;")
