"""`<name>-observability`: dashboard (always), alarms + SNS topic, X-Ray group and sampling rule."""
from __future__ import annotations

from aws_cdk import aws_xray as xray
from constructs import Construct

from constructs_lib import MonitoredService, ServiceMonitor

from ...plan import DeploymentPlan
from .. import handoff, names
from .base import HivemindStack
from .edge import EDGE_COLORS


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
            )
            for s in plan.services
        ]
        xray_group = names.xray_group_name(plan.name) if plan.observability.xray else None
        if xray_group:
            xray.CfnGroup(self, "XrayGroup", group_name=xray_group,
                          filter_expression=f'annotation.deployment = "{plan.name}" OR service("{plan.name}")',
                          insights_configuration=xray.CfnGroup.InsightsConfigurationProperty(insights_enabled=True))
            xray.CfnSamplingRule(self, "XraySampling", sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=names.xray_sampling_rule_name(plan.name), priority=1000, fixed_rate=0.05 if plan.stage == "production" else 0.2,
                reservoir_size=1, service_name="*", service_type="*", host="*", http_method="*", url_path="*",
                resource_arn="*", version=1))
        self.monitor = ServiceMonitor(
            self, "Monitor", dashboard_name=names.dashboard_name(plan.name), alarm_prefix=plan.name,
            services=services, load_balancer_full_name=alb,
            database_instance_id=names.database_identifier(plan.name) if plan.database else None,
            database_replica_ids=[names.replica_identifier(plan.name, i + 1) for i in range(plan.database.read_replicas)]
            if plan.database else [],
            database_storage_gb=plan.database.storage_gb if plan.database else 20,
            cache_group_id=names.cache_group_id(plan.name) if plan.cache else None,
            xray_group_name=xray_group, alarm_email=plan.observability.alarm_email, alarms=plan.observability.alarms,
        )
