"""(a) `cdk synth` through the real aws-cdk CLI, from the repository root with the virtualenv off
PATH (the npx problem), renders the templates `hivemind synth` renders for the same plan."""
from __future__ import annotations

from .conftest import cli_env, run_cdk
from .templates import stack_tags, templates, without_cdk_metadata


def test_cdk_synth_matches_hivemind_synth(cdk_cli, cli, repo, tmp_path):
    code, _, err = cli("synth", str(repo), "-o", str(tmp_path / "hivemind.out"), "--no-cache")
    assert code == 0, err
    done = run_cdk("synth", "-c", f"plan={repo}", "-o", str(tmp_path / "cdk.out"), "-q")
    assert done.returncode == 0, done.stderr
    assert "No module named" not in done.stderr
    assert "express-postgres: no deployment in the state; rendering like `hivemind synth`" in done.stderr

    ours, stock = templates(tmp_path / "hivemind.out"), templates(tmp_path / "cdk.out")
    assert sorted(stock) == sorted(ours) == sorted(
        f"express-postgres-{kind}" for kind in ("network", "data", "edge", "app-blue", "observability"))
    for name in ours:
        assert without_cdk_metadata(stock[name]) == without_cdk_metadata(ours[name]), name
        # Stronger than the issue asks: not even CDK metadata differs (the app turns path metadata
        # off, so a `cdk deploy` would not touch every resource of a hivemind-deployed stack).
        assert stock[name] == ours[name], f"{name}: CDK metadata differs"
    app = stock["express-postgres-app-blue"]
    assert any(r["Type"] == "AWS::EC2::LaunchTemplate" for r in app["Resources"].values())
    # Same stack tags (what `cdk deploy` puts on the stacks): deployment, stack kind, stage.
    assert stack_tags(tmp_path / "cdk.out") == stack_tags(tmp_path / "hivemind.out")
    assert stack_tags(tmp_path / "cdk.out")["express-postgres-edge"]


def test_bad_context_is_one_line_without_traceback(cdk_cli, tmp_path):
    done = run_cdk("synth", "-c", "plan=no/such/plan.yaml", "-o", str(tmp_path / "out"), "-q",
                   env=cli_env())
    assert done.returncode != 0
    assert "error: no/such/plan.yaml: no such file or directory" in done.stderr
    assert "Traceback" not in done.stderr and "jsii" not in done.stderr
