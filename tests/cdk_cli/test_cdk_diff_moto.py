"""(b) and (c): right after `hivemind deploy` on the moto server, the real `cdk diff` (JS SDK v3,
AWS_ENDPOINT_URL honoured, get_template only: --no-change-set) reports no differences for every
stack, also after a blue-green update that keeps both colours standing; the README's `npx cdk`
commands work as written. The control: the same diff without the deployment's options
(`-c deployment=none`) flags the app stack's artifact permission and user data."""
from __future__ import annotations

import re
import subprocess

import boto3

from hivemind.workflows.deploy import deploy
from hivemind.workflows.rollout import Tuning
from hivemind.workflows.update import update

from .conftest import ROOT, cli_env, run_cdk
from .templates import templates

NAME = "express-postgres"
REGION = "us-east-1"
FAST = {"waiter_delays": (0.01, 0.01), "poll_interval": 0.01}
FIRST_STACKS = [f"{NAME}-{k}" for k in ("network", "data", "edge", "app-blue", "observability")]


def aws_cli_env() -> dict[str, str]:
    """The moto fixture's endpoint and dummy credentials, plus what the CLI needs to skip lookups."""
    return cli_env(CDK_DEFAULT_ACCOUNT="123456789012", CDK_DEFAULT_REGION=REGION, AWS_REGION=REGION)


def deployed_templates() -> dict[str, dict]:
    """The deployment's stacks as CloudFormation holds them (HiveMind's own bootstrap stack aside)."""
    cfn = boto3.client("cloudformation", region_name=REGION)
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]
             if s["StackStatus"] != "DELETE_COMPLETE" and s["StackName"].startswith(f"{NAME}-")]
    return {n: cfn.get_template(StackName=n)["TemplateBody"] for n in names}


def no_differences(done: subprocess.CompletedProcess, stacks: list[str]) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Number of stacks with differences: 0" in output, output[-3000:]
    for stack in stacks:
        assert re.search(rf"Stack {re.escape(stack)}\b.*?\n\s*There were no differences", output, re.S), stack


def readme_cdk_commands() -> list[str]:
    """The `npx cdk ...` lines of the README's "Stock CDK CLI" section, comments stripped."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Stock CDK CLI", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip().startswith("npx cdk")]


def test_cdk_diff_after_hivemind_deploy_shows_no_differences(cdk_cli, aws, repo, tmp_path):
    first = deploy(repo, stage="stage-1", yes=True, **FAST)
    assert first.lifecycle.status == "succeeded"
    env = aws_cli_env()

    # The control: without the deployment's options the app stack loses the artifact permission
    # and its user data changes (the symptom), so the empty diff above means something.
    control = run_cdk("diff", "--no-change-set", "--fail", "-e", "-c", f"plan={repo}", "-c", "deployment=none",
                      "-o", str(tmp_path / "none.out"), f"{NAME}-app-blue", env=env)
    output = control.stdout + control.stderr
    assert control.returncode == 1, output[-3000:]
    assert "Number of stacks with differences: 1" in output
    assert "UserData" in output and "s3:GetObject" in output

    # (b, c) The README's commands, as written (they read the plan from examples/, the same app), on
    # a machine that never deployed it (a CI runner): the state comes from SSM, and `cdk diff` finds
    # no differences. (One diff serves both: each cdk run costs 10-30 s.)
    commands = readme_cdk_commands()
    assert [c.split()[2] for c in commands] == ["synth", "diff"], commands
    fresh = {**env, "HIVEMIND_HOME": str(tmp_path / "fresh-home")}
    for command in commands:
        ran = subprocess.run(command, shell=True, cwd=ROOT, env=fresh, capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0, (command, ran.stderr[-3000:])
        assert f"{NAME}: reproducing deployment {NAME} (v1; blue 100%)" in ran.stderr
        if " diff" in command:
            no_differences(ran, FIRST_STACKS)
    # What `cdk diff` compared, checked directly: the stock CLI's templates are the deployed ones.
    assert templates(ROOT / "cdk.out") == deployed_templates()

    # A blue-green update keeping the previous colour: two colour stacks, green live.
    (repo / "src" / "server.js").write_text((repo / "src" / "server.js").read_text() + "\n// v2\n")
    second = update(NAME, repo, bake=0, keep_previous=True, yes=True, tuning=Tuning(4, (0.01, 0.01), 0.01),
                    healthy_timeout=2)
    assert second.lifecycle.status == "succeeded" and second.lifecycle.to_json()["active_color"] == "green"
    done = run_cdk("diff", "--no-change-set", "--fail", "-c", f"plan={repo}", "-o", str(tmp_path / "v2.out"), env=env)
    no_differences(done, [*FIRST_STACKS, f"{NAME}-app-green"])
    assert f"{NAME}: reproducing deployment {NAME} (v2; blue 0%, green 100%)" in done.stderr
    assert templates(tmp_path / "v2.out") == deployed_templates()
