"""`<name>-observability`: dashboard (always), alarms + SNS topic, X-Ray group and sampling rule."""
from __future__ import annotations

from aws_cdk import aws_xray as xray
from constructs import Construct

from constructs_lib import MonitoredService, ServiceMonitor

from ...plan import DeploymentPlan
from .. import handoff, names
from .base import HivemindStack
from .edge import EDGE_COLORS

# Approximate bytes of instance memory per RDS size (t/m classes), for the connection limit that
# RDS derives from memory: Postgres LEAST(mem/9531392, 5000), MySQL mem/12582880.
_DB_MEMORY_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64}


def approx_max_connections(engine: str, instance_class: str) -> int | None:
    gib = _DB_MEMORY_GIB.get(instance_class.rsplit(".", 1)[-1])
    if gib is None:
        return None
    memory = gib * 1024**3
    return min(memory // 9531392, 5000) if engine == "postgres" else memory // 12582880


def start_marker(service: str) -> str:
    """The line user data makes systemd write to the app log at every start of the service."""
    return f"hivemind-service-start {service}"


class ObservabilityStack(HivemindStack):
    def __init__(self, scope: Construct, plan: DeploymentPlan) -> None:
        super().__init__(scope, names.stack_name(plan.name, "observability"), plan, kind="observability",
                         description="dashboard, alarms, tracing")
        web = {s.name for s in plan.web_services}
        alb = handoff.read(self, names.load_balancer_dimension_parameter(plan.name)) if web else None
        services = [
            MonitoredService(
                name=s.name,
                # Both colours: the dashboard keeps working across blue-green switches.
                group_names=[names.group_name(plan.name, s.name, c) for c in EDGE_COLORS],
                log_group_name=names.log_group_name(plan.name, s.name),
                target_groups=[
                    (c, handoff.read(self, names.target_group_dimension_parameter(plan.name, s.name, c)))
                    for c in EDGE_COLORS
                ] if s.name in web else [],
                # The names a traffic shift passes to CloudFormation as rollback triggers.
                colour_alarm_names={c: names.colour_alarm_names(plan.name, s.name, c) for c in EDGE_COLORS}
                if s.name in web else {},
                min_healthy=max(1, s.min_instances), max_instances=s.max_instances,
                start_marker=start_marker(s.name),
            )
            for s in plan.services
        ]
        xray_group = names.xray_group_name(plan.name) if plan.observability.xray else None
        if xray_group:
            # Scoped to this deployment: the services' trace names are "<name>-<service>"
            # (AWS_XRAY_TRACING_NAME / OTEL_SERVICE_NAME in user data).
            traced = [names.xray_service_name(plan.name, s.name) for s in plan.services]
            xray.CfnGroup(self, "XrayGroup", group_name=xray_group,
                          filter_expression=" OR ".join(f'service("{name}")' for name in traced),
                          insights_configuration=xray.CfnGroup.InsightsConfigurationProperty(insights_enabled=True))
            xray.CfnSamplingRule(self, "XraySampling", sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=names.xray_sampling_rule_name(plan.name), priority=1000,
                fixed_rate=0.05 if plan.stage == "production" else 0.2,
                reservoir_size=1, service_name=f"{plan.name}-*", service_type="*", host="*", http_method="*",
                url_path="*", resource_arn="*", version=1))
        database = plan.database
        self.monitor = ServiceMonitor(
            self, "Monitor", dashboard_name=names.dashboard_name(plan.name), alarm_prefix=plan.name,
            services=services, load_balancer_full_name=alb,
            database_instance_id=names.database_identifier(plan.name) if database else None,
            database_replica_ids=[names.replica_identifier(plan.name, i + 1) for i in range(database.read_replicas)]
            if database else [],
            database_storage_gb=database.storage_gb if database else 20,
            database_max_connections=approx_max_connections(database.engine, database.instance_class) if database else None,
            cache_group_id=names.cache_group_id(plan.name) if plan.cache else None,
            cache_nodes=plan.cache.num_nodes if plan.cache else 1,
            xray_group_name=xray_group,
            xray_hint="Tracing is off. Turn it on with `observability: {xray: true}` in hivemind.yaml "
                      "(or `--xray`) and run `hivemind update`: the X-Ray daemon, the group and a sampling rule follow.",
            alarm_email=plan.observability.alarm_email, alarms=plan.observability.alarms,
            metric_namespace=f"HiveMind/{plan.name}",
        )
