"""Deterministic names shared by the stacks, the deploy engine and the ops tooling.

Values cross stacks through SSM parameters with these names (never CloudFormation exports), so
a colour stack can be deleted while the edge, network and data stacks live on.
"""
from __future__ import annotations

STACK_KINDS = ("network", "data", "edge", "app", "observability")


def stack_name(plan_name: str, kind: str, color: str | None = None) -> str:
    """`<name>-network`, `<name>-app-blue`, ..."""
    return f"{plan_name}-{kind}-{color}" if color else f"{plan_name}-{kind}"


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


def database_identifier(plan_name: str) -> str:
    return f"{plan_name}-db"


def replica_identifier(plan_name: str, index: int) -> str:
    return f"{plan_name}-db-replica-{index}"


def cache_group_id(plan_name: str) -> str:
    # ElastiCache replication group ids are at most 40 characters.
    return f"{plan_name[:34]}-redis"


def group_name(plan_name: str, service: str, color: str) -> str:
    """Auto Scaling group name of one service in one colour."""
    return f"{plan_name}-{service}-{color}"


def log_group_name(plan_name: str, service: str) -> str:
    return f"/hivemind/{plan_name}/{service}"


def dashboard_name(plan_name: str) -> str:
    return f"hivemind-{plan_name}"


def xray_group_name(plan_name: str) -> str:
    return f"hivemind-{plan_name}"
