"""The typed deployment plan: the contract shared by recon, render, deploy and the agents.

Field names follow DESIGN.md; new fields may be added, existing ones are never renamed.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..redact import redact

Stage = Literal["stage-1", "production"]
Runtime = Literal["node", "python", "go", "java", "ruby", "php", "static", "docker"]
ServiceKind = Literal["web", "worker"]

# CloudFormation stack names and ALB/target-group name prefixes are built from the plan name,
# so it is kept short, lower-case and DNS-safe.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Plain env values end up in user data, templates and caches: a secret must be a reference under
# `secrets:`, so names and values that look like credentials are refused in `env`.
SECRET_NAME_PATTERN = re.compile(
    r"(PASSWORD|PASSWD|SECRET|SECRET_?KEY(_BASE)?|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY(_ID)?|CREDENTIALS?)$",
    re.IGNORECASE,
)
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]*:[^/\s@]+@")


class _Model(BaseModel):
    # Unknown keys in hivemind.yaml are typos far more often than intent: reject them.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Evidence(_Model):
    """Why an inferred value was chosen: what was seen, where."""

    field: str = Field(description="Dotted plan path, e.g. services[0].port")
    value: str = Field(description="The value chosen, as text")
    source: str = Field(description="path:line where it was seen, or a short origin such as 'default'")
    reason: str
    origin: Literal["detector", "agent", "user", "default"] = "detector"


class Service(_Model):
    name: str
    kind: ServiceKind = "web"
    runtime: Runtime
    framework: str | None = None
    port: int | None = Field(default=None, description="Null for workers; a web service with a port gets an ALB")
    root: str = Field(default=".", description="Service directory relative to the repository root")
    build_command: str | None = None
    start_command: str | None = None
    release_command: str | None = Field(
        default=None, description="Run once per release, before traffic moves (database migrations and the like)")
    health_check_path: str = "/"
    instance_type: str = "t3.micro"
    min_instances: int = Field(default=1, ge=0, le=100)
    max_instances: int = Field(default=1, ge=1, le=100)
    env: dict[str, str] = Field(default_factory=dict, description="Non-secret environment variables")
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Env name -> reference (Secrets Manager ARN/name or SSM parameter name), never a value",
    )

    @field_validator("name")
    @classmethod
    def _name_is_safe(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", v):
            raise ValueError("must be lower-case letters, digits and '-', starting with a letter, at most 31 chars")
        return v

    @field_validator("port")
    @classmethod
    def _port_in_range(cls, v: int | None) -> int | None:
        if v is not None and not 1 <= v <= 65535:
            raise ValueError("must be 1-65535")
        return v

    @field_validator("health_check_path")
    @classmethod
    def _path_is_absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must start with '/'")
        return v

    @field_validator("env", "secrets")
    @classmethod
    def _env_names(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not ENV_NAME_PATTERN.fullmatch(key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
        return v

    @field_validator("env")
    @classmethod
    def _no_secret_values(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            # A credential-shaped value (sk_live_..., AKIA..., a JWT) is a secret whatever its name.
            if value and (SECRET_NAME_PATTERN.search(key) or URL_WITH_PASSWORD.search(value)
                          or redact(value) != value):
                # Never echo the value: the message names the variable only.
                raise ValueError(
                    f"{key} looks like a secret; move it to `secrets:` as a Secrets Manager or SSM "
                    "reference (plain env values are written into templates)"
                )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Service":
        if self.kind == "worker" and self.port is not None:
            raise ValueError("a worker has no port (set kind: web or port: null)")
        if self.min_instances > self.max_instances:
            raise ValueError("min_instances must be <= max_instances")
        return self


class Need(_Model):
    """An environment variable the app reads without a default: deploying waits until it is set."""

    name: str
    source: str = Field(description="path:line where the app reads it")
    reason: str = ""

    @field_validator("name")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not ENV_NAME_PATTERN.fullmatch(v):
            raise ValueError(f"{v!r} is not a valid environment variable name")
        return v


class Database(_Model):
    engine: Literal["postgres", "mysql"]
    version: str
    instance_class: str = "db.t3.micro"
    storage_gb: int = Field(default=20, ge=20, le=65536)
    multi_az: bool = False
    read_replicas: int = Field(default=0, ge=0, le=5)
    backup_retention_days: int = Field(default=1, ge=0, le=35)
    deletion_protection: bool = False
    name: str = Field(default="app", description="Initial database name")

    @field_validator("instance_class")
    @classmethod
    def _db_class(cls, v: str) -> str:
        if not v.startswith("db."):
            raise ValueError("must be an RDS instance class such as db.t3.micro")
        return v


class Cache(_Model):
    engine: Literal["redis"] = "redis"
    node_type: str = "cache.t3.micro"
    version: str = "7.1"
    num_nodes: int = Field(default=1, ge=1, le=6)

    @field_validator("node_type")
    @classmethod
    def _cache_type(cls, v: str) -> str:
        if not v.startswith("cache."):
            raise ValueError("must be an ElastiCache node type such as cache.t3.micro")
        return v


class Observability(_Model):
    dashboard: bool = True
    xray: bool = False
    alarms: bool = True
    alarm_email: str | None = None
    log_retention_days: int = 30


class DeploymentPlan(_Model):
    schema_version: int = 1
    name: str
    description: str = ""
    stage: Stage = "stage-1"
    region: str = "us-east-1"
    services: list[Service] = Field(min_length=1)
    database: Database | None = None
    cache: Cache | None = None
    observability: Observability = Field(default_factory=Observability)
    strategy: Literal["blue-green", "rolling"] = "blue-green"
    certificate_arn: str | None = Field(default=None, description="ACM certificate: HTTPS listener + HTTP redirect")
    domain: str | None = Field(
        default=None, description="Public host name; with hosted_zone_id the edge stack creates a DNS-validated "
                                  "ACM certificate (unless certificate_arn is set) and an alias record to the ALB")
    hosted_zone_id: str | None = Field(default=None, description="Route 53 public hosted zone holding `domain`")
    hosted_zone_name: str | None = Field(
        default=None, description="That zone's name (e.g. example.com); default: `domain` minus its first label")
    http_only_reason: str | None = Field(
        default=None, description="Production without TLS is refused unless this says why plain HTTP is acceptable")
    needs: list[Need] = Field(
        default_factory=list, description="Env vars the app reads with no default; set each as a service env or secret")
    evidence: list[Evidence] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_is_safe(cls, v: str) -> str:
        if not NAME_PATTERN.fullmatch(v):
            raise ValueError(
                "must be 2-40 chars of lower-case letters, digits and '-', starting with a letter"
            )
        return v

    @field_validator("region")
    @classmethod
    def _region_shape(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", v):
            raise ValueError("must be an AWS region such as us-east-1")
        return v

    @model_validator(mode="after")
    def _unique_service_names(self) -> "DeploymentPlan":
        names = [s.name for s in self.services]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"service names must be unique (repeated: {', '.join(dupes)})")
        return self

    @model_validator(mode="after")
    def _zone_needs_domain(self) -> "DeploymentPlan":
        if self.hosted_zone_id and not self.domain:
            raise ValueError("hosted_zone_id needs domain (the host name to certify and point at the load balancer)")
        return self

    @property
    def zone_name(self) -> str | None:
        """The hosted zone's name: hosted_zone_name, else `domain` minus its first label."""
        if not (self.domain and self.hosted_zone_id):
            return None
        if self.hosted_zone_name:
            return self.hosted_zone_name.rstrip(".")
        labels = self.domain.rstrip(".").split(".")
        return ".".join(labels[1:]) if len(labels) > 2 else ".".join(labels)

    @property
    def web_services(self) -> list[Service]:
        return [s for s in self.services if s.kind == "web" and s.port is not None]

    @property
    def workers(self) -> list[Service]:
        return [s for s in self.services if s.kind == "worker"]
