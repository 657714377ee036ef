"""checkov on every example's production templates (with a certificate): the four checks issue 12
names pass, and every other checkov finding is fixed or acknowledged with a reason in the resource's
Metadata (hivemind/checks/acknowledgements.py, CHECKOV_ACCEPTED).

checkov is not in the dev extra: it pins boto3/botocore (3.3.30 pins boto3 1.35.x) and would
downgrade the project's own AWS SDK. It runs from its own virtualenv: $CHECKOV, `checkov` on PATH,
or REPO/.venv-checkov (`python3 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from synth_support import EXAMPLE_NAMES, REPO

REQUIRED = {"CKV_AWS_2", "CKV_AWS_103", "CKV_AWS_118", "CKV_AWS_91"}


def _checkov() -> str | None:
    for candidate in (os.environ.get("CHECKOV"), shutil.which("checkov"), str(REPO / ".venv-checkov" / "bin" / "checkov")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def checkov_report(example_synth, tmp_path_factory):
    executable = _checkov()
    if executable is None:
        pytest.skip("checkov not installed (see this module's docstring)")
    scan = tmp_path_factory.mktemp("checkov")
    for name in EXAMPLE_NAMES:
        for stack in example_synth(name, "production").stacks:
            shutil.copy(stack.template_path, scan / stack.template_path.name)
    proc = subprocess.run([executable, "-d", str(scan), "--framework", "cloudformation", "-o", "json", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stdout)
    # --quiet drops passed checks from the report; a second, full run lists them.
    full = subprocess.run([executable, "-d", str(scan), "--framework", "cloudformation", "-o", "json"],
                          capture_output=True, text=True, timeout=600)
    return report, json.loads(full.stdout)


def test_no_open_checkov_findings(checkov_report):
    failed, _ = checkov_report
    open_findings = [(c["check_id"], c["resource"], c["file_path"]) for c in failed["results"].get("failed_checks", [])]
    assert open_findings == []


def test_required_checks_pass_on_every_example(checkov_report):
    _, full = checkov_report
    passed = full["results"]["passed_checks"]
    skipped = full["results"].get("skipped_checks", [])
    assert {c["check_id"] for c in passed} >= REQUIRED
    assert not REQUIRED & {c["check_id"] for c in skipped}  # passed, not acknowledged away
    web = [n for n in EXAMPLE_NAMES if n != "celery-worker"]
    for check in ("CKV_AWS_2", "CKV_AWS_91"):  # HTTPS listeners; ALB access logs
        files = {c["file_path"].rsplit("/", 1)[-1] for c in passed if c["check_id"] == check}
        assert {f"{n}-edge.template.json" for n in web} <= files, check
    # Enhanced monitoring on every production database (primary and replica).
    rds_files = {c["file_path"].rsplit("/", 1)[-1] for c in passed if c["check_id"] == "CKV_AWS_118"}
    assert {"express-postgres-data.template.json", "django-postgres-data.template.json",
            "flask-mysql-data.template.json"} <= rds_files


def test_every_acknowledgement_has_a_reason(checkov_report):
    _, full = checkov_report
    skipped = full["results"].get("skipped_checks", [])
    assert skipped  # the mechanism is in use (e.g. the ALB's port 80, which only redirects)
    assert all(len(c.get("check_result", {}).get("suppress_comment", "")) > 20 for c in skipped)
