"""User data per runtime: valid bash, the right install/build/start, references but never values."""
from __future__ import annotations

import json
import shutil
import subprocess
import typing

import pytest

from hivemind.plan import DeploymentPlan
from hivemind.plan.models import Runtime
from hivemind.render import ArtifactRef
from hivemind.render.userdata import render_user_data, secret_ref

RUNTIMES = typing.get_args(Runtime)
EXPECTED_INSTALL = {
    "node": "nodejs20", "python": "python3.11", "go": "golang", "java": "java-21-amazon-corretto",
    "ruby": "ruby-devel", "php": "php-cli", "static": "nginx", "docker": "dnf install -y docker",
}


def plan_for(runtime: str, **service) -> DeploymentPlan:
    return DeploymentPlan.model_validate({
        "name": "demo",
        "services": [{"name": "web", "runtime": runtime, "port": 8080, **service}],
        "database": {"engine": "mysql", "version": "8.0"},
        "observability": {"xray": True},
    })


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_script_is_valid_bash_with_runtime_install(runtime, tmp_path):
    plan = plan_for(runtime)
    script = render_user_data(plan, plan.services[0], "green", ArtifactRef("bkt", "demo/app.tgz", "f" * 64))
    assert EXPECTED_INSTALL[runtime] in script
    assert "mysql://" in script  # DATABASE_URL scheme for the engine
    assert "traces_collected" in script  # the X-Ray daemon (CloudWatch agent traces)
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    bash = shutil.which("bash")
    proc = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_plan_commands_win_over_defaults_except_docker_build():
    plan = plan_for("node", build_command="npm run compile", start_command="node dist/server.js")
    script = render_user_data(plan, plan.services[0], "blue", None)
    assert "npm run compile" in script and "exec node dist/server.js" in script
    assert "npm start" not in script
    docker = plan_for("docker", build_command="make", start_command="./serve --port 8080")
    script = render_user_data(docker, docker.services[0], "blue", None)
    assert "docker build -t hivemind-app ." in script and "\nmake\n" not in script
    assert "-p 8080:8080 hivemind-app ./serve --port 8080" in script


def test_python_build_uses_a_virtualenv():
    plan = plan_for("python", build_command="pip install -r requirements.txt", start_command="gunicorn app:app")
    script = render_user_data(plan, plan.services[0], "blue", None)
    build = script[script.index("HIVEMIND_BUILD"):]
    assert build.index("python3.11 -m venv .venv") < build.index("pip install -r requirements.txt")
    assert 'export PATH="$PWD/.venv/bin:$PATH"\nexec gunicorn app:app' in script


def test_env_values_are_quoted_and_secrets_only_referenced():
    plan = plan_for("go", env={"MOTD": 'say "hi" $HOME', "MODE": "prod"},
                    secrets={"STRIPE_KEY": "arn:aws:secretsmanager:us-east-1:1:secret:stripe-AbCdEf",
                             "TOKEN": "arn:aws:ssm:us-east-1:1:parameter/demo/token"})
    script = render_user_data(plan, plan.services[0], "blue", None)
    assert 'MOTD="say \\"hi\\" $HOME"' in script  # systemd EnvironmentFile quoting
    assert "export MOTD='say \"hi\" $HOME'" in script  # shell quoting in the build script
    assert "--secret-id arn:aws:secretsmanager:us-east-1:1:secret:stripe-AbCdEf" in script
    assert "--name /demo/token" in script
    assert secret_ref("/a/b").kind == "ssm" and secret_ref("name").kind == "secretsmanager"


def test_xray_daemon_is_the_cloudwatch_agent_from_the_signed_repository():
    """No unverified download: the agent dnf installed (repository GPG-checked) listens on :2000 for
    segments and proxies sampling over TCP; the boot fails if nothing listens there."""
    plan = plan_for("node")
    script = render_user_data(plan, plan.services[0], "blue", ArtifactRef("bkt", "demo/app.tgz", "f" * 64))
    assert "curl -fsSL -o /tmp/xray.rpm" not in script and "xray.rpm" not in script
    config = json.loads(script.split("<<'HIVEMIND_CWAGENT'\n", 1)[1].split("\nHIVEMIND_CWAGENT", 1)[0])
    assert config["traces"]["traces_collected"]["xray"] == {
        "bind_address": "127.0.0.1:2000", "tcp_proxy": {"bind_address": "127.0.0.1:2000"}}
    section = script[script.index("# --- X-Ray daemon"):script.index("# --- start under systemd")]
    for listening, code in (("yes", 0), ("", 1)):
        shims = f"step() {{ :; }}\nsleep() {{ :; }}\nss() {{ echo {listening}; }}\n"
        proc = subprocess.run([shutil.which("bash"), "-c", "set -euo pipefail\n" + shims + section],
                              capture_output=True, text=True)
        assert proc.returncode == code, proc.stderr
    assert "no X-Ray daemon on 127.0.0.1:2000" in proc.stderr
    without = plan_for("node").model_copy(update={"observability": plan.observability.model_copy(update={"xray": False})})
    assert '"traces"' not in render_user_data(without, without.services[0], "blue", None)


def _environment_section(script: str, tmp_path) -> str:
    """The boot script's environment step, runnable here: paths moved under tmp_path."""
    section = script[script.index("# --- environment"):script.index("# --- build")]
    return (f"set -euo pipefail\nENV_FILE={tmp_path}/app.env\n"
            + section.replace("/etc/hivemind/rds-ca.pem", f"{tmp_path}/rds-ca.pem"))


AWS_SHIM = """
GOOD_DB_JSON='{"username": "app", "password": "p@ss", "host": "db.internal", "port": 3306, "dbname": "app"}'
aws() {
  case "$*" in
    *"secretsmanager get-secret-value --secret-id demo/api-key"*) [ -n "${FAIL_API_KEY:-}" ] && return 255; echo "${API_KEY_VALUE-sk-123}" ;;
    *"ssm get-parameter --name /hivemind/demo/data/database-secret-name"*) echo "hivemind/demo/db-1" ;;
    *"secretsmanager get-secret-value --secret-id hivemind/demo/db-1"*) echo "${DB_JSON:-$GOOD_DB_JSON}" ;;
    *"elasticache describe-replication-groups"*) echo "${REDIS_HOST_VALUE-redis.internal}" ;;
    *) echo "unexpected aws $*" >&2; return 1 ;;
  esac
}
step() { :; }
curl() { while [ "$1" != "-o" ]; do shift; done; printf -- '-----BEGIN CERTIFICATE-----\\nx\\n' > "$2"; }
"""


@pytest.mark.parametrize(("env", "message"), [
    ({"FAIL_API_KEY": "1"}, "boot failed: could not read API_KEY"),
    ({"API_KEY_VALUE": "None"}, "boot failed: API_KEY is empty"),
    ({"API_KEY_VALUE": ""}, "boot failed: API_KEY is empty"),
    ({"REDIS_HOST_VALUE": "None"}, "boot failed: the Redis endpoint is empty"),
    ({"DB_JSON": '{"username": "app", "host": "db.internal", "port": 3306}'}, "lacks password"),
])
def test_a_failed_or_empty_lookup_fails_the_boot(tmp_path, env, message):
    """Before, `printf '%s' "$(aws ...)"` swallowed a failing lookup and the instance started with an
    empty value and reported success; now the step (and so the script and its cfn-signal) fails."""
    plan = plan_for("python", secrets={"API_KEY": "demo/api-key"}).model_copy(update={"cache": {}})
    plan = DeploymentPlan.model_validate(plan.model_dump())
    script = render_user_data(plan, plan.services[0], "blue", None)
    proc = subprocess.run([shutil.which("bash"), "-c", AWS_SHIM + _environment_section(script, tmp_path)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env})
    assert proc.returncode != 0
    assert message in proc.stderr


def test_lookups_that_answer_write_the_environment(tmp_path):
    plan = DeploymentPlan.model_validate({**plan_for("python", secrets={"API_KEY": "demo/api-key"}).model_dump(), "cache": {}})
    script = render_user_data(plan, plan.services[0], "blue", None)
    proc = subprocess.run([shutil.which("bash"), "-c", AWS_SHIM + _environment_section(script, tmp_path)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    written = (tmp_path / "app.env").read_text().splitlines()
    assert "API_KEY=sk-123" in written
    assert f"DATABASE_URL=mysql://app:p%40ss@db.internal:3306/app?ssl_ca={tmp_path}/rds-ca.pem" in written
    assert "REDIS_URL=rediss://redis.internal:6379" in written
    assert not any(line.startswith("DATABASE_READ_URL=") for line in written)  # no replica in this plan


def test_boot_steps_are_timed_and_logs_rotate():
    plan = plan_for("node")
    script = render_user_data(plan, plan.services[0], "blue", ArtifactRef("bkt", "demo/app.tgz", "f" * 64))
    steps = [line.split()[1] for line in script.splitlines() if line.startswith("step ")]
    assert steps == ["runtime", "artifact", "environment", "build", "xray", "start", "ready-check"]
    assert "step healthy" in script  # boot-to-healthy, measured in the bootstrap log
    assert "/etc/logrotate.d/hivemind" in script and "copytruncate" in script and "maxsize 100M" in script
    assert "ExecStartPre=/bin/sh -c 'echo \"hivemind-service-start web\"" in script


def test_node_install_uses_npm_ci_with_a_lockfile():
    plan = plan_for("node", build_command="npm install")
    script = render_user_data(plan, plan.services[0], "blue", None)
    assert "if [ -f package-lock.json ]; then npm ci; else npm install; fi" in script


def _build_section(script: str, tmp_path) -> str:
    section = script[script.index("# --- build"):script.index("# --- X-Ray daemon")]
    return (f"set -euo pipefail\nAPP_DIR={tmp_path}/app\nLOG_FILE={tmp_path}/build.log\n"
            "step() { :; }\nrunuser() { shift 3; \"$@\"; }\nchown() { :; }\n"
            + section.replace("/opt/hivemind-build.sh", f"{tmp_path}/build.sh")
                     .replace("/opt/app/", f"{tmp_path}/app/").replace("/tmp/build.", f"{tmp_path}/build."))


S3_SHIM = """
aws() {  # s3 cp SRC DST against a directory standing in for the bucket
  [ "$1 $2" = "s3 cp" ] || return 1; shift 2; [ "$1" = --only-show-errors ] && shift
  local src="${1/s3:\\/\\/bkt\\//$BUCKET_DIR/}" dst="${2/s3:\\/\\/bkt\\//$BUCKET_DIR/}"
  [ -f "$src" ] || return 1; mkdir -p "$(dirname "$dst")"; cp "$src" "$dst"
}
"""


def test_a_release_is_built_once_and_reused_by_later_instances(tmp_path):
    plan = plan_for("node", build_command="echo built > out.txt; echo ran >> $BUILD_MARKS")
    artifact = ArtifactRef("bkt", "demo/app.tgz", "f" * 64)
    script = render_user_data(plan, plan.services[0], "blue", artifact)
    assert "builds/demo/web/" + "f" * 64 in script
    bucket, marks = tmp_path / "bucket", tmp_path / "marks"
    bucket.mkdir()

    def boot(name: str) -> subprocess.CompletedProcess:
        root = tmp_path / name
        (root / "app").mkdir(parents=True)
        section = _build_section(script, root)
        env = {"PATH": "/usr/bin:/bin", "BUCKET_DIR": str(bucket), "BUILD_MARKS": str(marks), "HOME": str(root)}
        return subprocess.run([shutil.which("bash"), "-c", S3_SHIM + section], capture_output=True, text=True, env=env, cwd=root)

    first = boot("first")
    assert first.returncode == 0, first.stderr
    assert "build: published builds/demo/web/" in first.stdout
    assert list(bucket.rglob("*.tar.gz")) and list(bucket.rglob("*.sha256"))
    second = boot("second")
    assert second.returncode == 0, second.stderr
    assert "build: reused" in second.stdout
    assert marks.read_text().splitlines() == ["ran"]  # the build ran once, on the first instance
    assert (tmp_path / "second" / "app" / "out.txt").read_text() == "built\n"
    # A shared build that does not match its checksum is refused (and so is the boot).
    tarball = next(bucket.rglob("*.tar.gz"))
    tarball.write_bytes(tarball.read_bytes() + b"tampered")
    third = boot("third")
    assert third.returncode != 0 and "FAILED" in third.stdout + third.stderr


def test_docker_and_artifactless_boots_do_not_share_builds():
    artifact = ArtifactRef("bkt", "demo/app.tgz", "f" * 64)
    docker = plan_for("docker")
    assert "BUILD_KEY=" not in render_user_data(docker, docker.services[0], "blue", artifact)
    node = plan_for("node")
    assert "BUILD_KEY=" not in render_user_data(node, node.services[0], "blue", None)
