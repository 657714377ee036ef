"""A planted secret through a whole lifecycle on the moto server, through the real CLI: it must
appear in no output, no file under $HIVEMIND_HOME, no SSM parameter HiveMind wrote, no S3 object
HiveMind wrote and no CloudFormation template.

The secrets are planted where a user really puts them:
- in the plan's `env` (refused in one line that does not echo the value, before anything runs);
- in the repository's `.env` (never bundled, never read by recon);
- in Secrets Manager and an SSM SecureString, named by reference under the plan's `secrets:`;
- in the text of an AWS error the run sees (an answer of the fault proxy), and in an error text
  pasted into `hivemind diagnose --message`.
Then: deploy, status, update (a code change), history, rollback, a failing update, diagnose,
report (when the command exists), destroy — each with human and --json output.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import sys
from pathlib import Path

import boto3
import pytest
import yaml

from hivemind.cli import main

REGION = "us-east-1"
NAME = "express-postgres"


def plant() -> dict[str, str]:
    """Fresh values each run, so a match can only come from this test."""
    return {
        "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_hex(16),
        "DATABASE_PASSWORD": "pw-" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y"),
    }


@pytest.fixture
def run(capsys, monkeypatch):
    """`hivemind ...` in-process, every stdout/stderr kept for the final scan."""
    from hivemind.deploy import cfn

    # moto answers at once: poll it fast (the CLI's defaults are for real CloudFormation).
    monkeypatch.setattr(cfn, "CHANGE_SET_DELAY", 0.01)
    monkeypatch.setattr(cfn, "STACK_DELAY", 0.01)
    monkeypatch.setattr("hivemind.workflows.rollout.Tuning.poll_interval", 0.01)
    monkeypatch.setattr("hivemind.workflows.update.HEALTHY_TIMEOUT_S", 2)
    monkeypatch.setenv("COLUMNS", "200")
    outputs: list[tuple[list[str], str, str]] = []

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        outputs.append((list(argv), out, err))
        return code, out, err

    invoke.outputs = outputs
    return invoke


def leaks_in(data: bytes, values: dict[str, str]) -> list[str]:
    """Names of the planted values found in `data` (gzip members are opened: bundles, tarballs)."""
    found = [name for name, value in values.items() if value.encode() in data]
    if data[:2] == b"\x1f\x8b":
        try:
            found += leaks_in(gzip.decompress(data), values)
        except (OSError, EOFError):
            pass
    return found


def scan_home(home: Path, values: dict[str, str]) -> dict[str, list[str]]:
    return {str(path.relative_to(home)): hits for path in sorted(home.rglob("*"))
            if path.is_file() and (hits := leaks_in(path.read_bytes(), values))}


def scan_aws(values: dict[str, str], *, templates: bool) -> dict[str, list[str]]:
    """What HiveMind wrote in AWS: SSM under /hivemind (decrypted), every S3 object, and (while the
    stacks stand) every stack's template and parameters."""
    leaks: dict[str, list[str]] = {}
    ssm = boto3.client("ssm", region_name=REGION)
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/hivemind", Recursive=True,
                                                                      WithDecryption=True):
        for param in page["Parameters"]:
            if hits := leaks_in(param["Value"].encode(), values):
                leaks[f"ssm:{param['Name']}"] = hits
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                if hits := leaks_in(body, values):
                    leaks[f"s3://{bucket['Name']}/{obj['Key']}"] = hits
    if templates:
        cfn = boto3.client("cloudformation", region_name=REGION)
        for stack in cfn.describe_stacks()["Stacks"]:
            body = cfn.get_template(StackName=stack["StackName"])["TemplateBody"]
            text = (body if isinstance(body, str) else json.dumps(body)) + json.dumps(stack.get("Parameters", []))
            if hits := leaks_in(text.encode(), values):
                leaks[f"cfn:{stack['StackName']}"] = hits
    return leaks


def scan_outputs(outputs, values: dict[str, str]) -> list[str]:
    return [f"{' '.join(argv)}: {name}" for argv, out, err in outputs
            for name in leaks_in((out + err).encode(), values)]


def test_a_secret_value_in_the_plan_env_is_refused_without_echoing_it(aws, repo, run):
    values = plant()
    code, _, _ = run("plan", str(repo))
    assert code == 0
    plan_file = repo / "hivemind.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    # A credential-named variable, and a Stripe key under a name that does not say it is one.
    for env in ({"STRIPE_SECRET_KEY": values["STRIPE_SECRET_KEY"]},
                {"DATABASE_PASSWORD": values["DATABASE_PASSWORD"]},
                {"PAYMENTS": values["STRIPE_SECRET_KEY"]}):
        plan["services"][0]["env"] = {"PORT": "3000", **env}
        plan_file.write_text(yaml.safe_dump(plan, sort_keys=False))
        for argv in (("deploy", str(repo), "--yes"), ("deploy", str(repo), "--yes", "--json"),
                     ("synth", str(repo))):
            code, out, err = run(*argv)
            assert code == 2, (argv, env.keys(), out, err)
            last = err.strip().splitlines()[-1]
            assert last.startswith("error: ") and "secrets:" in last and "Traceback" not in err, err
            assert next(iter(env)) in last  # the variable is named...
    assert scan_outputs(run.outputs, values) == []  # ...its value never
    assert boto3.client("cloudformation", region_name=REGION).describe_stacks()["Stacks"] == []
    assert scan_home(Path(os.environ["HIVEMIND_HOME"]), values) == {}


def _secret_answer(values: dict[str, str]):
    """The fault proxy's 503 answer, with an error text that carries the planted values (as an AWS
    error echoing a request or a resource property would)."""
    import faultproxy

    plain = faultproxy.unavailable_response

    def answer(call):
        status, headers, _ = plain(call)
        message = (f"Service Unavailable while reading DATABASE_PASSWORD={values['DATABASE_PASSWORD']} "
                   f"key {values['STRIPE_SECRET_KEY']}")
        code = "ServiceUnavailableException" if call.protocol == "json" else "ServiceUnavailable"
        return faultproxy._error_body(call, code, message, status)

    return answer


def test_an_aws_error_carrying_a_secret_is_never_echoed(aws, repo, run, monkeypatch):
    """Every AWS call answers 503 with the values in its message, so each command stops at its first
    call, wherever that is (the lock's bootstrap lookup, the state read, the stack listing)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from faultproxy import FaultProxy

    values = plant()
    monkeypatch.setattr("faultproxy.unavailable_response", _secret_answer(values))
    monkeypatch.setenv("HIVEMIND_AWS_ERROR_BUDGET", "1")
    proxy = FaultProxy(aws).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        proxy.configure(outage="503")
        # (Each takes about 25 s: botocore's ten adaptive attempts per call.)
        for argv in (("deploy", str(repo), "--stage-1", "--yes"), ("status", NAME, "--json"), ("list",),
                     ("destroy", NAME, "--yes")):
            code, out, err = run(*argv)
            assert code != 0 and "Traceback" not in err, (argv, out, err)
        assert proxy.stats().get("outage", 0) > 0
    finally:
        proxy.stop()
    assert scan_outputs(run.outputs, values) == []
    assert scan_home(Path(os.environ["HIVEMIND_HOME"]), values) == {}


def test_planted_secrets_appear_nowhere_after_a_full_lifecycle(aws, repo, run, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from faultproxy import FaultProxy

    home = Path(os.environ["HIVEMIND_HOME"])
    values = plant()
    # The user's secrets live where the plan says they must: Secrets Manager and an SSM SecureString.
    # (By ARN: a reference by name is granted as `name-??????`, a wildcard cdk-nag's IAM5 refuses.)
    stripe_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="orders/stripe", SecretString=values["STRIPE_SECRET_KEY"])["ARN"]
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/orders/database-password", Value=values["DATABASE_PASSWORD"], Type="SecureString")
    # ...and, for local development, in the repository's .env (git-ignored by the user, or not).
    (repo / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    (repo / ".env.production").write_text(f"STRIPE_SECRET_KEY={values['STRIPE_SECRET_KEY']}\n")

    assert run("plan", str(repo))[0] == 0
    plan_file = repo / "hivemind.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    assert leaks_in(plan_file.read_bytes(), values) == []  # recon never reads .env
    plan["services"][0]["secrets"] = {"STRIPE_SECRET_KEY": stripe_arn,
                                      "DATABASE_PASSWORD": "/orders/database-password"}
    plan_file.write_text(yaml.safe_dump(plan, sort_keys=False))

    code, out, err = run("deploy", str(repo), "--stage-1", "--yes")
    assert code == 0, err
    code, out, err = run("status", NAME)
    assert code == 0, err
    code, out, err = run("status", NAME, "--json")
    assert code == 0 and json.loads(out)["status"] == "completed", out

    # The bundle that runs ships the code, not the .env files.
    import tarfile

    bundles = list(home.rglob("*.tar.gz"))
    assert bundles
    with tarfile.open(bundles[0]) as tar:
        shipped = tar.getnames()
    assert "src/server.js" in shipped and ".env" not in shipped and ".env.production" not in shipped
    assert ".env.example" in shipped

    server = repo / "src" / "server.js"
    server.write_text(server.read_text() + "\n// v2\n")
    code, out, err = run("update", NAME, str(repo), "--bake", "0", "--keep-previous", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["release"] == "v2"
    templates_leaks = scan_aws(values, templates=True)  # every stack stands now (both colours)
    for argv in (("history", NAME), ("history", NAME, "--json")):
        assert run(*argv)[0] == 0
    code, out, err = run("rollback", NAME, "--yes")
    assert code == 0, err

    # An AWS error the run sees carries the values: the change set creation answers 503 with them.
    monkeypatch.setattr("faultproxy.unavailable_response", _secret_answer(values))
    proxy = FaultProxy(aws).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        proxy.configure(server_error=1.0, only=lambda call: call.action == "CreateChangeSet")
        server.write_text(server.read_text() + "\n// v3\n")
        for argv in (("update", NAME, str(repo), "--bake", "0", "--yes"),
                     ("update", NAME, str(repo), "--bake", "0", "--yes", "--json")):
            code, out, err = run(*argv)
            assert code != 0 and "Traceback" not in err, err
            assert proxy.stats().get("server_error"), proxy.stats()
        # A few 503s while waiting on the stacks: reported on the progress line, then the run completes.
        proxy.configure(server_error=1.0, max_faults=3,
                        only=lambda call: call.action in ("DescribeStacks", "DescribeChangeSet"))
        code, out, err = run("update", NAME, str(repo), "--bake", "0", "--keep-previous", "--yes", "--json")
        assert code == 0, err
        assert proxy.stats().get("server_error") == 3
    finally:
        proxy.stop()
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws)

    for argv in (("status", NAME), ("status", NAME, "--json"), ("history", NAME), ("history", NAME, "--json"),
                 ("diagnose", NAME), ("diagnose", NAME, "--json"),
                 ("diagnose", "--message", f"CREATE_FAILED: master password {values['DATABASE_PASSWORD']} "
                                           f"rejected; STRIPE_SECRET_KEY={values['STRIPE_SECRET_KEY']}"),
                 ("diagnose", "--json", "--message", f"api key {values['STRIPE_SECRET_KEY']} invalid")):
        code, out, err = run(*argv)
        assert "Traceback" not in err, (argv, err)
    # Another engineer adds `hivemind report`: part of the lifecycle once it exists.
    if re.search(r"^\W*report\s", run("--help")[1], re.MULTILINE):
        written = repo.parent / "report.html"
        for argv in (("report", NAME), ("report", NAME, "--format", "html", "--output", str(written))):
            code, out, err = run(*argv)
            assert code == 0 and "Traceback" not in err, (argv, err)
        assert written.stat().st_size > 0 and leaks_in(written.read_bytes(), values) == []
    templates_leaks.update(scan_aws(values, templates=True))

    code, out, err = run("destroy", NAME, "--yes", "--json")
    assert code in (0, 3), err  # 3: moto leaves resources behind (see tests/janitor)
    code, out, err = run("status", NAME)
    assert "Traceback" not in err

    assert scan_outputs(run.outputs, values) == []
    assert scan_home(home, values) == {}
    assert templates_leaks == {}
    assert scan_aws(values, templates=False) == {}
    # The scan can see the values: the user's own secret stores hold them.
    assert leaks_in(boto3.client("ssm", region_name=REGION).get_parameter(
        Name="/orders/database-password", WithDecryption=True)["Parameter"]["Value"].encode(), values)
    # and it saw everything that ran: the outputs, and every kind of file HiveMind keeps.
    assert len(run.outputs) >= 20
    kept = [path.relative_to(home).as_posix() for path in home.rglob("*") if path.is_file()]
    for kind in ("/state.json", ".md", ".template.json", ".tar.gz"):
        assert any(name.endswith(kind) for name in kept), (kind, kept)
    # The plan in the state names the secrets by reference, as it should.
    state_text = (home / "deployments" / NAME / "state.json").read_text()
    assert "/orders/database-password" in state_text and stripe_arn in state_text
