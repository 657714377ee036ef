"""After a deploy on a moto server: a report is saved with the eight sections, the phases' durations,
the live stacks' resources and a non-zero monthly cost; `hivemind report` and `status --report`
print it; an update saves another; a --what-if and a failed deploy save nothing; the retry that
completes a failed deploy saves one, with the Medic's diagnosis."""
from __future__ import annotations

import re

import boto3
import pytest

from hivemind.errors import HivemindError
from hivemind.reports import SECTIONS, reports_dir
from hivemind.workflows.deploy import deploy
from hivemind.workflows.retry import retry
from hivemind.workflows.rollout import Tuning
from hivemind.workflows.ui import QuietUI

NAME = "express-postgres"  # the `repo` fixture's plan name


def headings(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, re.MULTILINE)


def monthly_total(text: str) -> float:
    return float(re.search(r"Estimated \*\*\$([\d,.]+)/month", text).group(1).replace(",", ""))


def saved(deployment_id: str) -> list:
    return sorted(p for p in reports_dir(deployment_id).glob("*.md") if p.name != "latest.md")


def test_deploy_saves_a_report_that_report_and_status_print(aws, repo, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, err = cli("deploy", str(repo), "--stage-1", "--yes")
    assert code == 0, err
    files = saved(NAME)
    assert len(files) == 1 and files[0].name.endswith("-deploy.md")
    # The summary: URL, release, duration, monthly cost, where the report is.
    assert re.search(r"http://\S+: release v1, deploy took \d+\.\d s, about \$[\d,.]+/month", out), out
    assert f"report: {files[0]}" in out

    text = files[0].read_text()
    assert headings(text) == list(SECTIONS)
    for phase in ("bundle", "synth", "change sets", "confirm", "execute", "verify"):
        assert re.search(rf"^\| {phase} \| \d+\.\d s \| ok \|", text, re.MULTILINE), phase
    assert monthly_total(text) > 0
    assert "priced from the templates CloudFormation runs now" in text
    # Resources as CloudFormation lists them, with physical ids and each priced resource's cost.
    db = boto3.client("rds", region_name="us-east-1").describe_db_instances()["DBInstances"][0]
    assert re.search(rf"\| {NAME}-data \| DatabaseInstance\w* \| AWS::RDS::DBInstance \| "
                     rf"{db['DBInstanceIdentifier']} \| \$\d+\.\d\d \|", text)
    assert re.search(rf"\| {NAME}-app-blue \| \w+ \| AWS::AutoScaling::AutoScalingGroup \| \S+ \| \$\d+\.\d\d \|", text)
    assert re.search(rf"\| {NAME}-network \| \w+ \| AWS::EC2::VPC \| vpc-\w+ \| - \|", text)
    assert f"hivemind upgrade {NAME} --to-production" in text
    assert (reports_dir(NAME) / "latest.md").read_text() == text

    code, out, err = cli("report", NAME)
    assert code == 0, err
    assert headings(out) == list(SECTIONS)
    assert re.search(r"^\| synth \| \d+\.\d s \| ok \|", out, re.MULTILINE) and monthly_total(out) > 0

    code, out, err = cli("status", NAME, "--report")
    assert code == 0, err
    assert out == text  # the saved one

    page = tmp_path / "report.html"
    code, out, err = cli("report", NAME, "--format", "html", "-o", str(page))
    assert code == 0 and f"report written to {page}" in out
    assert re.findall(r"<h2>(.+?)</h2>", page.read_text()) == list(SECTIONS)

    # A what-if changes nothing and saves nothing.
    code, out, err = cli("deploy", str(repo), "--what-if")
    assert code == 0, err
    assert saved(NAME) == files

    # An update (a code change) is reported too; its timeline holds both operations.
    (repo / "src" / "server.js").write_text((repo / "src" / "server.js").read_text() + "\n// v2\n")
    code, out, err = cli("update", NAME, str(repo), "--bake", "0", "--yes")
    assert code == 0, err
    files = saved(NAME)
    assert len(files) == 2 and files[-1].name.endswith("-update.md")
    latest = (reports_dir(NAME) / "latest.md").read_text()
    assert latest == files[-1].read_text()
    assert "### deploy · succeeded" in latest and "### update · succeeded" in latest and "release v2" in out
    assert re.search(r"^\| shift \| \d+\.\d s \| ok \|", latest, re.MULTILINE)


def test_unknown_deployment_is_one_line(aws, cli):
    for args in (("report", "nope"), ("status", "nope", "--report")):
        code, out, err = cli(*args)
        assert code == 2 and out == ""
        assert err.strip().startswith("error: ") and len(err.strip().splitlines()) == 1 and "nope" in err


def test_a_failed_deploy_saves_no_report_and_the_retry_that_completes_it_does(aws, repo):
    rds = boto3.client("rds", region_name="us-east-1")
    # Someone else's database holds the identifier HiveMind derives: the data stack cannot be created.
    rds.create_db_instance(DBInstanceIdentifier=f"{NAME}-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="someone", MasterUserPassword="someone-elses-1", AllocatedStorage=20)
    with pytest.raises(HivemindError):
        deploy(repo, stage="stage-1", yes=True, waiter_delays=(0.01, 0.01), poll_interval=0.01)
    assert saved(NAME) == []

    rds.delete_db_instance(DBInstanceIdentifier=f"{NAME}-db", SkipFinalSnapshot=True)
    ui = QuietUI()
    result = retry(NAME, repo, yes=True, ui=ui, tuning=Tuning(4, (0.01, 0.01), 0.01))
    assert result.lifecycle.status == "succeeded"
    files = saved(NAME)
    assert len(files) == 1 and files[0].name.endswith("-retry.md")
    assert any(note.startswith("report: ") and str(files[0]) in note for note in ui.notes), ui.notes
    text = files[0].read_text()
    assert headings(text) == list(SECTIONS)
    # The failed deploy and the retry's deploy are both in the timeline; the Medic's diagnosis of
    # the failure is in Troubleshooting, said to be resolved.
    assert "### deploy · failed" in text and "### deploy · succeeded" in text
    assert "resolved: a later command succeeded" in text and "**name_conflict**" in text
