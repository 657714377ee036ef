"""User data per runtime: install, fetch + verify the artifact, build, run under systemd, ship logs.

The script is rendered from templates/userdata.sh.j2. Only references to secrets appear in it;
their values are resolved on the instance at boot with the instance role.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from ..plan import DeploymentPlan, Service
from . import names
from .options import ArtifactRef

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RuntimeProfile:
    install: str
    build: str
    start: str
    # Runs before the build command (plan's or default), e.g. to make `pip` mean the app's venv.
    build_preamble: str = ""
    run_as_root: bool = False
    build_as_root: bool = False
    needs_docker: bool = False


# nginx serves static sites: gzip for text types, long-lived caching for fingerprinted assets,
# revalidation for HTML (a new release is visible at once), no server version in headers.
_STATIC_START = """\
{root_probe}
cat > /etc/hivemind/nginx.conf <<NGINX
worker_processes auto;
events {}
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  server_tokens off;
  access_log /var/log/hivemind/{service}.log;
  gzip on;
  gzip_vary on;
  gzip_min_length 1024;
  gzip_types text/css text/plain text/xml application/javascript application/json application/xml image/svg+xml;
  server {
    listen {port};
    root $PWD/$dir;
    location ~* \\.(?:css|js|mjs|woff2?|ttf|png|jpe?g|gif|svg|webp|avif|ico)\\$ { expires 7d; add_header Cache-Control "public"; }
    location / { add_header Cache-Control "no-cache"; try_files \\$uri \\$uri/ /index.html; }
  }
}
NGINX
exec nginx -c /etc/hivemind/nginx.conf -g 'daemon off; pid /run/hivemind-nginx.pid;'"""
_STATIC_ROOT_PROBE = 'for dir in dist build public out .; do [ -d "$dir" ] && break; done'
# Development servers a static site's plan may name; nginx serves the same directory instead.
_DEV_STATIC_SERVER = re.compile(r"^(python3?\s+-m\s+http\.server|npx\s+(serve|http-server)|serve\b|http-server\b)")
_DIRECTORY_ARG = re.compile(r"(?:--directory|-d)\s+(\S+)")

# AL2023 ships Node 20 as versioned binaries; link the plain names that npm scripts expect.
_NODE_PACKAGES = "nodejs20 nodejs20-npm"
_NODE_LINKS = "ln -sf /usr/bin/node-20 /usr/bin/node\nln -sf /usr/bin/npm-20 /usr/bin/npm"

PROFILES: dict[str, RuntimeProfile] = {
    "node": RuntimeProfile(
        install=f"dnf install -y {_NODE_PACKAGES}\n{_NODE_LINKS}",
        build="if [ -f package-lock.json ]; then npm ci; else npm install; fi\nnpm run build --if-present",
        start="npm start",
    ),
    "python": RuntimeProfile(
        install="dnf install -y python3.11 python3.11-pip gcc python3.11-devel",
        build_preamble='python3.11 -m venv .venv\nexport PATH="$PWD/.venv/bin:$PATH"\npip install --upgrade pip',
        build="if [ -f requirements.txt ]; then pip install -r requirements.txt; "
              "elif [ -f pyproject.toml ]; then pip install .; fi",
        start="python app.py",
    ),
    "go": RuntimeProfile(install="dnf install -y golang git", build="go build -o app .", start="./app"),
    "java": RuntimeProfile(
        install="dnf install -y java-21-amazon-corretto-devel maven",
        build="if [ -x ./mvnw ]; then ./mvnw -q -DskipTests package; elif [ -x ./gradlew ]; then ./gradlew build -x test; "
              "else mvn -q -DskipTests package; fi",
        start="java -jar $(ls target/*.jar build/libs/*.jar 2>/dev/null | head -n1)",
    ),
    "ruby": RuntimeProfile(
        install="dnf install -y ruby ruby-devel gcc make redhat-rpm-config\ngem install bundler",
        build="bundle config set --local path vendor/bundle\nbundle install",
        start="bundle exec rackup -o 0.0.0.0 -p \"$PORT\"",
    ),
    "php": RuntimeProfile(
        install="dnf install -y php-cli php-pdo php-mysqlnd php-pgsql php-mbstring php-xml",
        build="true",
        start="php -S 0.0.0.0:\"$PORT\" -t $( [ -d public ] && echo public || echo . )",
    ),
    "static": RuntimeProfile(
        install=f"dnf install -y nginx {_NODE_PACKAGES}\n{_NODE_LINKS}",
        build="if [ -f package.json ]; then npm ci || npm install; npm run build --if-present; fi",
        start=_STATIC_START.replace("{root_probe}", _STATIC_ROOT_PROBE),
        run_as_root=True,
    ),
    "docker": RuntimeProfile(
        install="dnf install -y docker\nsystemctl enable --now docker",
        build="docker build -t hivemind-app .",
        start="exec docker run --rm --name hivemind-app --env-file /etc/hivemind/{service}.env {publish} hivemind-app {command}",
        run_as_root=True,
        build_as_root=True,
        needs_docker=True,
    ),
}


@dataclass(frozen=True)
class SecretRef:
    kind: str  # "ssm" or "secretsmanager"
    name: str


def secret_ref(reference: str) -> SecretRef:
    """An SSM parameter (a /path or an ssm ARN) or a Secrets Manager secret (a name or ARN)."""
    if reference.startswith("/") or reference.startswith("arn:aws:ssm:"):
        name = reference.split(":parameter", 1)[1] if reference.startswith("arn:") else reference
        return SecretRef("ssm", name)
    return SecretRef("secretsmanager", reference)


def _systemd_env(value: str) -> str:
    """Quote a value for a systemd EnvironmentFile line."""
    if value and all(c.isalnum() or c in "-_./:@,+=" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )
    env.filters["q"] = lambda v: shlex.quote(str(v))
    env.filters["systemd_env"] = _systemd_env
    return env


def cloudwatch_agent_config(plan_name: str, service: str, *, xray: bool = False) -> str:
    """Ship the app log to its log group; memory and disk per Auto Scaling group; with `xray`, the
    agent also takes the X-Ray daemon's place (segments on UDP 2000, sampling proxy on TCP 2000)."""
    config = {
        "agent": {"metrics_collection_interval": 60, "run_as_user": "root"},
        "logs": {"logs_collected": {"files": {"collect_list": [
            {"file_path": f"/var/log/hivemind/{service}.log", "log_group_name": names.log_group_name(plan_name, service),
             "log_stream_name": "{instance_id}/app"},
            {"file_path": "/var/log/hivemind-bootstrap.log", "log_group_name": names.log_group_name(plan_name, service),
             "log_stream_name": "{instance_id}/bootstrap"},
        ]}}},
        "metrics": {
            "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}", "InstanceId": "${aws:InstanceId}"},
            "aggregation_dimensions": [["AutoScalingGroupName"]],
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["used_percent"], "resources": ["/"]},
            },
        },
    }
    if xray:
        config["traces"] = {"traces_collected": {"xray": {
            "bind_address": "127.0.0.1:2000", "tcp_proxy": {"bind_address": "127.0.0.1:2000"}}}}
    return json.dumps(config, indent=2)


RDS_CA_BUNDLE = "/etc/hivemind/rds-ca.pem"


def _static_start(service: Service) -> str | None:
    """nginx for a static site whose plan names no start command or only a development server."""
    command = (service.start_command or "").strip()
    if command and not _DEV_STATIC_SERVER.match(command):
        return None
    directory = _DIRECTORY_ARG.search(command)
    probe = f"dir={shlex.quote(directory.group(1))}" if directory else _STATIC_ROOT_PROBE
    return _STATIC_START.replace("{root_probe}", probe)


def _database_settings(plan: DeploymentPlan, database_secret: str | None, read_host: str | None) -> dict:
    """How the app reaches the database: URL scheme, TLS options in the URL and beside it."""
    postgres = plan.database.engine == "postgres"
    if postgres:
        # libpq (psycopg, Django), node-postgres and JDBC-style parsers read these URL options.
        query = f"?sslmode=verify-full&sslrootcert={RDS_CA_BUNDLE}"
        extra = {"PGSSLMODE": "verify-full", "PGSSLROOTCERT": RDS_CA_BUNDLE}
    else:
        # SQLAlchemy's MySQL drivers read ssl_ca from the URL; the server requires TLS anyway.
        query = f"?ssl_ca={RDS_CA_BUNDLE}"
        extra = {}
    extra["DATABASE_CA_BUNDLE"] = RDS_CA_BUNDLE
    return {
        "secret_id": database_secret,
        "secret_parameter": names.database_secret_parameter(plan.name),
        "scheme": "postgresql" if postgres else "mysql",
        "name": plan.database.name,
        "tls": True,
        "query": query,
        "extra_env": extra,
        "read_host": read_host or "",
    }


def build_cache(plan: DeploymentPlan, service: Service, artifact: ArtifactRef | None, arch: str = "x86_64") -> dict | None:
    """Where this release's built tree is shared: {bucket, key, checksum_key} for `arch` (the
    instance type's: x86_64 or aarch64, as `uname -m` says it).

    Docker services build an image, not a tree: they build on every instance (a registry would be the
    place to share images). No artifact, no release to key the build by."""
    if artifact is None or service.runtime == "docker":
        return None
    key = f"{names.build_cache_prefix(plan.name, service.name, artifact.sha256)}-{arch}.tar.gz"
    return {"bucket": artifact.bucket, "key": key, "checksum_key": f"{key}.sha256"}


def render_user_data(plan: DeploymentPlan, service: Service, color: str, artifact: ArtifactRef | None,
                     *, database_secret: str | None = None, database_read_host: str | None = None,
                     arch: str = "x86_64") -> str:
    """The boot script of `service` in `color`.

    `database_secret` is the database secret's name (in a stack: a token resolved at deploy time);
    without it the script reads the name from the data stack's SSM parameter at boot.
    `database_read_host` (a read replica's address) becomes DATABASE_READ_URL.
    """
    profile = PROFILES[service.runtime]
    env = dict(service.env)
    if service.port is not None:
        env.setdefault("PORT", str(service.port))
    env.setdefault("HIVEMIND_COLOR", color)
    if plan.observability.xray:
        env.setdefault("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000")
        # The name traces carry; the deployment's sampling rule and group match it.
        env.setdefault("AWS_XRAY_TRACING_NAME", names.xray_service_name(plan.name, service.name))
        env.setdefault("OTEL_SERVICE_NAME", names.xray_service_name(plan.name, service.name))
    publish = f"-p {service.port}:{service.port}" if service.port else ""
    if service.runtime == "docker":
        # The image is the unit of build and start: the plan's start command (if any) is the
        # container's command, its build command belongs in the Dockerfile.
        start = profile.start.replace("{command}", service.start_command or "").rstrip()
        build = profile.build
    else:
        start = service.start_command or profile.start
        build = service.build_command or profile.build
    if service.runtime == "node" and build.strip() == "npm install":
        # A lockfile means reproducible installs: npm ci installs exactly what it lists.
        build = profile.build
    static = _static_start(service) if service.runtime == "static" else None
    if static:
        start = static
    # Only the default static server (nginx on the service port) needs root.
    run_as_root = profile.run_as_root and (service.runtime == "docker" or static is not None)
    if not start.lstrip().startswith(("exec ", "for ")) and "\n" not in start:
        start = f"exec {start}"
    if service.runtime == "python":
        start = f'export PATH="$PWD/.venv/bin:$PATH"\n{start}'
    database = None
    if plan.database and "DATABASE_URL" not in env and "DATABASE_URL" not in service.secrets:
        database = _database_settings(plan, database_secret, database_read_host)
    redis_group = names.cache_group_id(plan.name) if plan.cache and "REDIS_URL" not in env else None
    return _environment().get_template("userdata.sh.j2").render(
        plan_name=plan.name,
        region=plan.region,
        service=service,
        color=color,
        install=profile.install,
        build=build,
        build_preamble=profile.build_preamble,
        start=start.replace("{service}", service.name).replace("{publish}", publish).replace("{port}", str(service.port or 80)),
        run_as_root=run_as_root,
        build_as_root=profile.build_as_root,
        needs_docker=profile.needs_docker,
        artifact=artifact,
        env=env,
        secrets={key: secret_ref(ref) for key, ref in service.secrets.items()},
        database=database,
        redis_group=redis_group,
        cloudwatch_agent_config=cloudwatch_agent_config(plan.name, service.name, xray=plan.observability.xray),
        xray=plan.observability.xray,
        build_cache=build_cache(plan, service, artifact, arch),
    )
