"""The real aws-cdk CLI (node_modules/.bin/cdk, from package.json), run as a user would: from the
repository root, with a PATH that does not start with the project's virtualenv (what `npx` may do)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def system_path() -> str:
    """PATH with node and the system directories only: no virtualenv's bin in it."""
    node = shutil.which("node")
    dirs = [str(Path(node).parent)] if node else []
    return os.pathsep.join(dict.fromkeys([*dirs, "/usr/local/bin", "/usr/bin", "/bin"]))


def cli_env(**extra: str) -> dict[str, str]:
    """The test's environment (HIVEMIND_HOME, AWS_* of the moto fixture) with the venv off PATH.

    The launcher then finds ./.venv next to cdk.json; when the tests run from another virtualenv,
    VIRTUAL_ENV names it (the launcher's first choice), PATH still does not."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = system_path()
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        env["VIRTUAL_ENV"] = sys.prefix
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env["CDK_DISABLE_VERSION_CHECK"] = "1"  # no npm registry call from the CLI
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"  # cdk.json says so too; nothing leaves the machine
    env["CI"] = "true"  # no interactive prompts, no colours
    env.update(extra)
    return env


def run_cdk(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(CDK), *args], cwd=ROOT, env=env or cli_env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def cdk_cli() -> Path:
    if not os.access(CDK, os.X_OK):
        pytest.skip("the aws-cdk CLI is not installed (run `npm ci` at the repository root)")
    return CDK
