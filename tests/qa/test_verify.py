"""`hivemind verify` and hivemind.qa.verify() on moto, with real local servers standing in for the app."""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import boto3
import pytest

from hivemind.qa import TEST_LISTENER_PORT, record_verification, unreachable_only, verify
from hivemind.qa.fleet import _PROBE, parse_probe_output, probe_commands
from hivemind.render import names
from hivemind.state import DeploymentStatus, append_history, load_state, save_state

from .conftest import REGION


def _checks(result_or_json) -> dict:
    checks = result_or_json["checks"] if isinstance(result_or_json, dict) else [c.model_dump() for c in result_or_json.checks]
    return {c["name"]: c for c in checks}


def test_verify_url_of_a_healthy_server_passes_and_is_stored(deployed, app_server, cli):
    d = deployed()
    url = app_server(200)
    code, out, err = cli("verify", "orders-api", "--url", url, "--json")
    assert code == 0, out + err
    data = json.loads(out)
    checks = _checks(data)
    assert data["passed"] is True and data["url"] == url and data["color"] == "blue"
    assert set(checks) == {"dns", "port", "http", "targets"}  # no tls on http, no database/cache in the plan
    assert checks["http"]["passed"] and checks["http"]["data"]["requests"] == 10
    assert checks["targets"]["passed"] and checks["targets"]["data"]["healthy"] == 1
    assert "/health" in app_server.last.requests  # the plan's health path was asked for
    stored = load_state("orders-api")
    assert stored.verification is not None and stored.verification.passed
    assert {c.name for c in stored.verification.checks} == set(checks)
    assert stored.history[-1].action == "verify" and stored.history[-1].detail.startswith("passed")
    # ...and in the copy in AWS (SSM), which any other machine reads
    from hivemind.state.remote import read_remote

    remote = read_remote("orders-api", REGION)
    assert remote.verification is not None and remote.verification.passed


def test_verify_url_of_a_503_server_exits_non_zero_with_http_failed(deployed, app_server, cli):
    deployed()
    url = app_server(503)
    code, out, _ = cli("verify", "orders-api", "--url", url)
    assert code == 1
    assert "http" in out and "answered 503" in out and "verification failed" in out
    stored = load_state("orders-api").verification
    assert not stored.passed and not _checks(stored)["http"]["passed"]
    assert not _checks(stored)["http"]["unreachable"]  # an error answer is not "unreachable"


def test_verify_self_signed_https_fails_tls(deployed, app_server, pki, cli):
    deployed()
    url = app_server(200, tls=pki.server_cert("self", self_signed=True))
    code, out, _ = cli("verify", "orders-api", "--url", url, "--json")
    assert code == 1
    checks = _checks(json.loads(out))
    assert not checks["tls"]["passed"] and "self-signed" in checks["tls"]["detail"]
    assert checks["http"]["passed"]  # the app itself answers; only trust failed


def test_verify_of_the_deployments_own_alb_fails_truthfully(deployed, cli):
    d = deployed()
    # moto's load balancer DNS names resolve nowhere: nothing can reach the ALB.
    code, out, _ = cli("verify", "orders-api", "--json")
    assert code == 1
    data = json.loads(out)
    checks = _checks(data)
    assert data["url"] == f"http://{d.dns_name}"
    assert checks["dns"]["unreachable"] and "does not resolve" in checks["dns"]["detail"]
    assert checks["http"]["unreachable"] and checks["http"]["detail"].startswith("not tried")
    assert checks["targets"]["passed"]  # the load balancer's own view: the blue instance is healthy
    code, out, _ = cli("verify", "orders-api")
    assert code == 1 and "unreachable" in out and "verification failed: dns, port, http" in out
    assert "cannot be reached from here; the load balancer's own health checks: 1 healthy target" in out


def test_targets_names_the_unhealthy_instance_and_why(deployed, app_server):
    d = deployed()
    d.ec2.stop_instances(InstanceIds=d.instances["blue"])
    result = verify(load_state("orders-api"), checks=("targets",))
    [check] = result.checks
    assert not check.passed and not result.passed
    assert d.instances["blue"][0] in check.detail and "stopped" in check.detail


def test_test_listener_checks_the_idle_colour(deployed):
    d = deployed()
    state = load_state("orders-api")
    state.url = f"http://{d.dns_name}"
    result = verify(state, test_listener=True, checks=("targets", "http"))
    assert result.color == "green" and result.url == f"http://{d.dns_name}:{TEST_LISTENER_PORT}"
    checks = _checks(result)
    assert not checks["targets"]["passed"] and "no targets registered in the green" in checks["targets"]["detail"]
    assert checks["http"]["unreachable"]  # the caller may fall back on the ALB's health checks
    assert not unreachable_only(result)  # ...but not here: the green target group is empty
    d.fleet("green")
    checks = _checks(verify(state, test_listener=True, checks=("targets",)))
    assert checks["targets"]["passed"] and checks["targets"]["data"]["color"] == "green"
    result = verify(state, test_listener=True)
    assert not result.passed and unreachable_only(result)  # healthy targets, address out of reach


def test_target_groups_found_from_the_edge_stack_without_parameters(deployed):
    deployed(publish_parameters=False)
    [check] = verify(load_state("orders-api"), checks=("targets",)).checks
    assert check.passed and check.data["healthy"] == 1


def test_no_edge_stack_says_so(aws, make_plan):
    from hivemind.state import DeploymentState

    state = DeploymentState.new(make_plan())
    result = verify(state)
    checks = _checks(result)
    assert not result.passed
    assert checks["http"]["unreachable"] and "no URL known" in checks["http"]["detail"]
    assert "no blue target group found for web" in checks["targets"]["detail"]


def test_database_and_cache_probe_runs_with_run_command(deployed, make_plan):
    plan = make_plan(database={"engine": "postgres", "version": "16"}, cache={"engine": "redis"})
    d = deployed(plan)
    rds = boto3.client("rds", region_name=REGION)
    db = rds.create_db_instance(DBInstanceIdentifier=names.database_identifier("orders-api"), Engine="postgres",
                                DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app",
                                MasterUserPassword="not-shown-1234")["DBInstance"]
    result = verify(load_state("orders-api"), checks=("database", "cache"))
    checks = _checks(result)
    # moto runs no command: the invocation says Success with empty output. HiveMind must not call
    # that a pass: reachability is unknown, and it says so.
    for kind in ("database", "cache"):
        assert not checks[kind]["passed"], checks[kind]
        assert "printed no result, so reachability is unknown" in checks[kind]["detail"]
        assert checks[kind]["unreachable"]  # no verdict from inside the VPC: a caller may rely on other evidence
        assert checks[kind]["data"]["instance"] == d.instances["blue"][0]
    [command] = d.ssm.list_commands()["Commands"]
    assert command["DocumentName"] == "AWS-RunShellScript" and command["InstanceIds"] == d.instances["blue"]
    lines = command["Parameters"]["commands"]
    assert len(lines) == 2 and all(line.startswith("python3 -c ") for line in lines)
    assert db["Endpoint"]["Address"] in lines[0]  # the endpoint as RDS describes it
    assert "not-shown-1234" not in json.dumps(command, default=str)
    assert "REDIS_URL" in lines[1]  # moto has no replication group: the instance's env file is read


def test_no_instance_to_probe_from_is_unreachable_not_a_verdict(deployed, make_plan):
    deployed(make_plan(database={"engine": "postgres", "version": "16"}))
    state = load_state("orders-api")
    state.active_color = "green"  # no green fleet
    [check] = verify(state, checks=("database",)).checks
    assert not check.passed and check.unreachable and "no InService app instance in the green fleet" in check.detail


def test_probe_script_reports_reachable_and_unreachable_endpoints(tmp_path, make_plan):
    """The script Run Command executes, run here for real (moto cannot run it): a listening port is
    ok, a closed one fails, and an env-file URL's password is never printed."""
    plan = make_plan(database={"engine": "postgres", "version": "16"})
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        env_file = tmp_path / "web.env"
        env_file.write_text(f"PORT=3000\nDATABASE_URL=postgresql://app:s3cr3t-pw@127.0.0.1:{port}/app\n")
        ok = subprocess.run([sys.executable, "-c", _PROBE, "database", "", "5432", "DATABASE_URL", str(env_file)],
                            capture_output=True, text=True, check=True).stdout
        assert ok.strip() == f"HIVEMIND_PROBE database ok 127.0.0.1:{port}"
        assert "s3cr3t" not in ok
    closed = subprocess.run([sys.executable, "-c", _PROBE, "database", "127.0.0.1", str(port), "DATABASE_URL", "/nonexistent"],
                            capture_output=True, text=True, check=True).stdout
    assert closed.startswith(f"HIVEMIND_PROBE database fail 127.0.0.1:{port} ConnectionRefusedError")
    [line] = probe_commands(load_plan_state(plan), ("database",), {"database": ("db.internal", 5432)})
    assert "db.internal" in line and "/etc/hivemind/web.env" in line
    # The line as Run Command's shell runs it (quoting included), against a port that listens.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        [line] = probe_commands(load_plan_state(plan), ("database",), {"database": ("127.0.0.1", port)})
        shell = subprocess.run(["bash", "-c", line.replace("python3 ", f"{sys.executable} ", 1)],
                               capture_output=True, text=True, check=True).stdout
    assert shell.strip() == f"HIVEMIND_PROBE database ok 127.0.0.1:{port}"
    # What HiveMind reads back from a real run (Run Command's StandardOutputContent).
    assert parse_probe_output(shell + closed) == {"database": (False, closed.split(" ", 3)[3].strip())}
    assert parse_probe_output(shell) == {"database": (True, f"127.0.0.1:{port}")}
    assert parse_probe_output("some noise\n") == {}


def load_plan_state(plan):
    from hivemind.state import DeploymentState

    return DeploymentState.new(plan)


def test_record_verification_keeps_result_and_history(aws, make_plan):
    from hivemind.state import DeploymentState

    state = DeploymentState.new(make_plan())
    result = verify(state, checks=("targets",))
    record_verification(state, result)
    assert state.verification is result
    assert state.history[-1].action == "verify" and state.history[-1].detail.startswith("failed: targets")
    assert state.status is DeploymentStatus.PENDING  # the status is the workflow's business


@pytest.mark.parametrize("args, message", [
    (("verify", "orders-api", "--url", "not a url"), "is not a URL"),
    (("verify", "orders-api", "--url", "ftp://example.com"), "is not a URL"),
    (("verify", "orders-api", "--check", "smoke"), "unknown check"),
    (("verify", "nobody-here"), "'nobody-here'"),
])
def test_bad_input_is_one_line_exit_2(deployed, cli, args, message):
    deployed()
    code, out, err = cli(*args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_destroyed_deployment_is_refused(deployed, cli):
    deployed()
    state = load_state("orders-api")
    append_history(state, "destroy", status=DeploymentStatus.DESTROYED)
    save_state(state)
    code, _, err = cli("verify", "orders-api")
    assert code == 2 and "was destroyed" in err and len(err.strip().splitlines()) == 1


def test_checks_that_do_not_apply_are_left_out(aws, deployed, make_plan, app_server, cli):
    from hivemind.state import DeploymentState

    workers = DeploymentState.new(make_plan(services=[{"name": "jobs", "kind": "worker", "runtime": "python"}]))
    result = verify(workers)
    assert result.checks == [] and result.passed  # nothing to check is not a failure
    state = DeploymentState.new(make_plan())
    url = app_server(200)
    # What the deploy gate asks of the test listener (plain HTTP): tls does not apply there.
    result = verify(state, url=url, checks=("dns", "port", "tls", "http", "database"))
    assert [c.name for c in result.checks] == ["dns", "port", "http"] and result.passed
    deployed()
    code, out, err = cli("verify", "orders-api", "--url", url, "--check", "http", "--check", "tls", "--json")
    assert code == 0 and [c["name"] for c in json.loads(out)["checks"]] == ["http"]
    assert "warning: not run, as they do not apply here: tls" in err


def test_status_shows_the_last_verification(deployed, app_server, cli):
    deployed()
    cli("verify", "orders-api", "--url", app_server(503))
    code, out, _ = cli("status", "orders-api")
    assert code == 0 and "verification:" in out and "failed: http" in out
