"""Deterministic names shared by the stacks, the deploy engine and the ops tooling.

Values cross stacks through SSM parameters with these names (never CloudFormation exports), so
a colour stack can be deleted while the edge, network and data stacks live on.
"""
from __future__ import annotations

import hashlib
import re

STACK_KINDS = ("network", "data", "edge", "app", "observability")
# Every stack a deployment may have, as (kind, colour), in dependency order (DESIGN.md, "Stacks").
STACKS = (("network", None), ("data", None), ("edge", None), ("app", "blue"), ("app", "green"),
          ("observability", None))
# Tags on every stack (and so on every resource CloudFormation tags): which deployment, which
# stack kind, which stage. `hivemind list` and the Janitor find deployments by DEPLOYMENT_TAG.
DEPLOYMENT_TAG, STACK_TAG, STAGE_TAG = "hivemind:deployment", "hivemind:stack", "hivemind:stage"


def stack_name(plan_name: str, kind: str, color: str | None = None) -> str:
    """`<name>-network`, `<name>-app-blue`, ..."""
    return f"{plan_name}-{kind}-{color}" if color else f"{plan_name}-{kind}"


def all_stack_names(plan_name: str) -> list[str]:
    """Every stack name the deployment may own, in dependency order."""
    return [stack_name(plan_name, kind, color) for kind, color in STACKS]


def parameter_prefix(plan_name: str) -> str:
    return f"/hivemind/{plan_name}"


def vpc_parameter(plan_name: str) -> str:
    return f"{parameter_prefix(plan_name)}/network/vpc-id"


def subnet_parameter(plan_name: str, tier: str, index: int) -> str:
    return f"{parameter_prefix(plan_name)}/network/subnets/{tier}/{index}"


def security_group_parameter(plan_name: str, role: str) -> str:
    """role: alb, app, db or cache."""
    return f"{parameter_prefix(plan_name)}/network/security-groups/{role}"


def target_group_parameter(plan_name: str, service: str, color: str) -> str:
    return f"{parameter_prefix(plan_name)}/edge/{service}/{color}/target-group-arn"


def target_group_dimension_parameter(plan_name: str, service: str, color: str) -> str:
    return f"{parameter_prefix(plan_name)}/edge/{service}/{color}/target-group-dimension"


def load_balancer_dimension_parameter(plan_name: str) -> str:
    return f"{parameter_prefix(plan_name)}/edge/load-balancer-dimension"


def url_parameter(plan_name: str) -> str:
    return f"{parameter_prefix(plan_name)}/edge/url"


def database_secret_prefix(plan_name: str) -> str:
    """The database secret's name up to its unique suffix (the data stack's id, see DataStack).

    A deleted secret keeps its name reserved for its 7-30 day recovery window, so a fixed name
    would make redeploying the same app fail; each creation of the data stack gets a new name.
    """
    return f"hivemind/{plan_name}/db-"


def database_secret_parameter(plan_name: str) -> str:
    """SSM parameter holding the database secret's full name."""
    return f"{parameter_prefix(plan_name)}/data/database-secret-name"


def build_cache_prefix(plan_name: str, service: str, sha256: str) -> str:
    """Key prefix of a release's built tree in the artifact bucket (boot adds "-<arch>.tar.gz")."""
    return f"builds/{plan_name}/{service}/{sha256}"


def database_read_host_parameter(plan_name: str) -> str:
    """SSM parameter holding the first read replica's endpoint address (only with replicas)."""
    return f"{parameter_prefix(plan_name)}/data/database-read-host"


def database_identifier(plan_name: str) -> str:
    return f"{plan_name}-db"


def replica_identifier(plan_name: str, index: int) -> str:
    return f"{plan_name}-db-replica-{index}"


def fit(base: str, limit: int, *, single_hyphens: bool = False) -> str:
    """`base` if it is a valid name within `limit` characters, else a prefix of it plus a short hash
    of the whole, so that two deployments whose names share a long prefix never collide."""
    clean = re.sub("-{2,}", "-", base) if single_hyphens else base
    if clean == base and len(base) <= limit:
        return base
    digest = hashlib.sha256(base.encode()).hexdigest()[:6]
    return f"{clean[:limit - 7].rstrip('-')}-{digest}"


def cache_group_id(plan_name: str) -> str:
    # ElastiCache replication group ids: at most 40 characters, no '--', no trailing '-'.
    return f"{fit(plan_name, 34, single_hyphens=True)}-redis"


def group_name(plan_name: str, service: str, color: str) -> str:
    """Auto Scaling group name of one service in one colour."""
    return f"{plan_name}-{service}-{color}"


def log_group_name(plan_name: str, service: str) -> str:
    return f"/hivemind/{plan_name}/{service}"


def dashboard_name(plan_name: str) -> str:
    return f"hivemind-{plan_name}"


def xray_group_name(plan_name: str) -> str:
    # X-Ray group names are at most 32 characters (plan names up to 40).
    return fit(f"hivemind-{plan_name}", 32)


def xray_service_name(plan_name: str, service: str) -> str:
    """The service name an app's traces carry (AWS_XRAY_TRACING_NAME / OTEL_SERVICE_NAME)."""
    return f"{plan_name}-{service}"


def xray_sampling_rule_name(plan_name: str) -> str:
    # Sampling rule names are at most 32 characters.
    return fit(f"hm-{plan_name}", 32)


def colour_alarm_names(plan_name: str, service: str, color: str) -> tuple[str, ...]:
    """The alarms that judge one colour of one web service (its target group's unhealthy hosts and
    5xx answers). A traffic shift passes them to CloudFormation as rollback triggers."""
    return (f"{plan_name}-{service}-{color}-unhealthy", f"{plan_name}-{service}-{color}-5xx")
