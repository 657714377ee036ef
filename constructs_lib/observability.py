"""A CloudWatch dashboard with the sections that apply, alarms, and an SNS topic for them.

Everything is addressed by name or by plain dimension values (no construct references), so the
monitor can live in its own stack and outlive the fleets it watches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

_FIVE_MIN = Duration.minutes(5)
_WIDTH = 24


@dataclass(frozen=True)
class MonitoredService:
    """One service: its Auto Scaling group names (one per colour), log group, target groups."""

    name: str
    group_names: Sequence[str]
    log_group_name: str
    # (label, TargetGroup dimension value "targetgroup/<name>/<id>") per colour, web services only.
    target_groups: Sequence[tuple[str, str]] = field(default_factory=tuple)


class ServiceMonitor(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        alarm_prefix: str,
        services: Sequence[MonitoredService],
        load_balancer_full_name: str | None = None,
        database_instance_id: str | None = None,
        database_replica_ids: Sequence[str] = (),
        database_storage_gb: int = 20,
        cache_group_id: str | None = None,
        xray_group_name: str | None = None,
        alarm_email: str | None = None,
        alarms: bool = True,
        cpu_alarm_percent: int = 80,
    ) -> None:
        super().__init__(scope, construct_id)
        self._region = Stack.of(self).region
        self.topic = sns.Topic(self, "AlarmTopic", display_name=f"{alarm_prefix} alarms", enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(alarm_email))
        self.alarms: list[cw.Alarm] = []
        self._alarm_names: list[str] = []
        alb = load_balancer_full_name

        if alarms:
            if alb:
                self._alarm(
                    f"{alarm_prefix}-alb-5xx", "ALB and targets answer with 5xx",
                    cw.MathExpression(
                        expression="elb + targets",
                        using_metrics={
                            "elb": _alb_metric("HTTPCode_ELB_5XX_Count", alb),
                            "targets": _alb_metric("HTTPCode_Target_5XX_Count", alb),
                        },
                        label="5xx", period=_FIVE_MIN,
                    ),
                    threshold=10,
                )
            for service in services:
                for label, tg in service.target_groups:
                    self._alarm(
                        f"{alarm_prefix}-{service.name}-{label}-unhealthy", f"{service.name} ({label}) has unhealthy hosts",
                        _tg_metric("UnHealthyHostCount", alb, tg, "Maximum"), threshold=1, periods=3,
                    )
                for group in service.group_names:
                    self._alarm(
                        f"{group}-cpu", f"{group} CPU above {cpu_alarm_percent}%",
                        _asg_metric("CPUUtilization", group), threshold=cpu_alarm_percent, periods=3,
                    )
            if database_instance_id:
                free_bytes = database_storage_gb * 1024**3 // 10
                self._alarm(
                    f"{alarm_prefix}-db-storage", "Database free storage below 10%",
                    _rds_metric("FreeStorageSpace", database_instance_id, "Minimum"),
                    threshold=free_bytes, comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                )

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        self._overview(services, alb)
        self._instances(services)
        if alb:
            self._load_balancer(services, alb)
        if database_instance_id:
            self._database(database_instance_id, database_replica_ids)
        if cache_group_id:
            self._cache(cache_group_id)
        self._logs(services)
        if xray_group_name:
            self._xray(xray_group_name)
        self._cost()
        self._alarm_section()

    # --- alarms -------------------------------------------------------------------------------
    def _alarm(self, name: str, description: str, metric: cw.IMetric, *, threshold: float, periods: int = 2,
               comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) -> None:
        alarm = cw.Alarm(
            self, f"Alarm{len(self.alarms)}", alarm_name=name, alarm_description=description, metric=metric,
            threshold=threshold, evaluation_periods=periods, comparison_operator=comparison,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        self._alarm_names.append(name)

    # --- dashboard sections -------------------------------------------------------------------
    def _header(self, title: str, text: str = "") -> None:
        self.dashboard.add_widgets(cw.TextWidget(markdown=f"## {title}\n{text}".strip(), width=_WIDTH, height=1 if not text else 2))

    def _overview(self, services: Sequence[MonitoredService], alb: str | None) -> None:
        self._header("Overview", "Request rate, response time, errors and running instances.")
        widgets: list[cw.IWidget] = []
        if alb:
            widgets += [
                cw.GraphWidget(title="Requests", left=[_alb_metric("RequestCount", alb)], width=8),
                cw.GraphWidget(title="Response time (p50, p99)", left=[
                    _alb_metric("TargetResponseTime", alb, "p50"), _alb_metric("TargetResponseTime", alb, "p99")], width=8),
                cw.GraphWidget(title="Errors (5xx)", left=[
                    _alb_metric("HTTPCode_ELB_5XX_Count", alb), _alb_metric("HTTPCode_Target_5XX_Count", alb)], width=8),
            ]
        widgets.append(cw.GraphWidget(
            title="Instances in service",
            left=[_asg_metric("GroupInServiceInstances", g, "Maximum", namespace="AWS/AutoScaling")
                  for s in services for g in s.group_names],
            width=_WIDTH, height=4,
        ))
        self.dashboard.add_widgets(*widgets)

    def _instances(self, services: Sequence[MonitoredService]) -> None:
        self._header("Instances", "CPU and network from EC2; memory and disk from the CloudWatch agent.")
        groups = [g for s in services for g in s.group_names]
        self.dashboard.add_widgets(
            cw.GraphWidget(title="CPU %", left=[_asg_metric("CPUUtilization", g) for g in groups], width=6),
            cw.GraphWidget(title="Memory %", left=[_asg_metric("mem_used_percent", g, namespace="CWAgent") for g in groups], width=6),
            cw.GraphWidget(title="Disk %", left=[_asg_metric("disk_used_percent", g, namespace="CWAgent") for g in groups], width=6),
            cw.GraphWidget(title="Network in/out", left=[_asg_metric("NetworkIn", g, "Sum") for g in groups],
                           right=[_asg_metric("NetworkOut", g, "Sum") for g in groups], width=6),
        )

    def _load_balancer(self, services: Sequence[MonitoredService], alb: str) -> None:
        self._header("Load balancer", "Target health per colour, latency and HTTP codes.")
        tgs = [(f"{s.name} {label}", tg) for s in services for label, tg in s.target_groups]
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Healthy hosts", left=[_tg_metric("HealthyHostCount", alb, tg, "Minimum", label) for label, tg in tgs], width=6),
            cw.GraphWidget(title="Unhealthy hosts", left=[_tg_metric("UnHealthyHostCount", alb, tg, "Maximum", label) for label, tg in tgs], width=6),
            cw.GraphWidget(title="Target latency p90", left=[_tg_metric("TargetResponseTime", alb, tg, "p90", label) for label, tg in tgs], width=6),
            cw.GraphWidget(title="HTTP codes", left=[_alb_metric(f"HTTPCode_Target_{c}XX_Count", alb) for c in (2, 3, 4, 5)], width=6),
        )

    def _database(self, instance_id: str, replicas: Sequence[str]) -> None:
        self._header("Database", "Connections, IOPS, free storage and replication lag.")
        ids = [instance_id, *replicas]
        widgets = [
            cw.GraphWidget(title="DB CPU %", left=[_rds_metric("CPUUtilization", i) for i in ids], width=6),
            cw.GraphWidget(title="Connections", left=[_rds_metric("DatabaseConnections", i) for i in ids], width=6),
            cw.GraphWidget(title="IOPS", left=[_rds_metric("ReadIOPS", instance_id)], right=[_rds_metric("WriteIOPS", instance_id)], width=6),
            cw.GraphWidget(title="Free storage", left=[_rds_metric("FreeStorageSpace", instance_id, "Minimum")], width=6),
        ]
        if replicas:
            widgets.append(cw.GraphWidget(title="Replica lag (s)", left=[_rds_metric("ReplicaLag", r, "Maximum") for r in replicas], width=_WIDTH))
        self.dashboard.add_widgets(*widgets)

    def _cache(self, group_id: str) -> None:
        self._header("Cache")
        metric = lambda name, stat="Average": cw.Metric(  # noqa: E731
            namespace="AWS/ElastiCache", metric_name=name, dimensions_map={"ReplicationGroupId": group_id},
            statistic=stat, period=_FIVE_MIN)
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Cache CPU %", left=[metric("EngineCPUUtilization")], width=8),
            cw.GraphWidget(title="Cache memory %", left=[metric("DatabaseMemoryUsagePercentage")], width=8),
            cw.GraphWidget(title="Cache connections", left=[metric("CurrConnections")], width=8),
        )

    def _logs(self, services: Sequence[MonitoredService]) -> None:
        self._header("Logs", "Recent errors and warnings from the application logs.")
        self.dashboard.add_widgets(cw.LogQueryWidget(
            title="Errors and warnings",
            log_group_names=[s.log_group_name for s in services],
            query_lines=[
                "fields @timestamp, @logStream, @message",
                "filter @message like /(?i)(error|exception|warn)/",
                "sort @timestamp desc",
                "limit 50",
            ],
            width=_WIDTH, height=6,
        ))

    def _xray(self, group_name: str) -> None:
        console = f"https://console.aws.amazon.com/cloudwatch/home?region={self._region}"
        self._header("X-Ray", f"Group `{group_name}`: [service map]({console}#xray:service-map/map) · [traces]({console}#xray:traces/query)")
        self.dashboard.add_widgets(cw.GraphWidget(title="Traced requests", left=[cw.Metric(
            namespace="AWS/X-Ray", metric_name="ApproximateTraceCount", dimensions_map={"GroupName": group_name},
            statistic="Sum", period=_FIVE_MIN)], width=_WIDTH))

    def _cost(self) -> None:
        self._header("Cost", "Estimated month-to-date charges of the account (billing metrics live in us-east-1).")
        self.dashboard.add_widgets(cw.GraphWidget(title="Estimated charges (USD)", left=[cw.Metric(
            namespace="AWS/Billing", metric_name="EstimatedCharges", dimensions_map={"Currency": "USD"},
            statistic="Maximum", period=Duration.hours(6), region="us-east-1")], width=_WIDTH))

    def _alarm_section(self) -> None:
        self._header("Alarms")
        if not self.alarms:
            self.dashboard.add_widgets(cw.TextWidget(markdown="Alarms are disabled in the plan.", width=_WIDTH, height=1))
            return
        # Alarms are addressed by name (ARN built from the name), not by GetAtt on the alarm.
        refs = [cw.Alarm.from_alarm_name(self, f"StatusOf{i}", name) for i, name in enumerate(self._alarm_names)]
        self.dashboard.add_widgets(cw.AlarmStatusWidget(alarms=refs, title="Alarm status", width=_WIDTH))


def _alb_metric(name: str, alb: str, stat: str = "Sum") -> cw.Metric:
    return cw.Metric(namespace="AWS/ApplicationELB", metric_name=name, dimensions_map={"LoadBalancer": alb},
                     statistic=stat, period=_FIVE_MIN)


def _tg_metric(name: str, alb: str | None, tg: str, stat: str, label: str | None = None) -> cw.Metric:
    dims = {"TargetGroup": tg, **({"LoadBalancer": alb} if alb else {})}
    return cw.Metric(namespace="AWS/ApplicationELB", metric_name=name, dimensions_map=dims, statistic=stat,
                     period=Duration.minutes(1), label=label)


def _asg_metric(name: str, group: str, stat: str = "Average", namespace: str = "AWS/EC2") -> cw.Metric:
    return cw.Metric(namespace=namespace, metric_name=name, dimensions_map={"AutoScalingGroupName": group},
                     statistic=stat, period=_FIVE_MIN, label=group)


def _rds_metric(name: str, instance_id: str, stat: str = "Average") -> cw.Metric:
    return cw.Metric(namespace="AWS/RDS", metric_name=name, dimensions_map={"DBInstanceIdentifier": instance_id},
                     statistic=stat, period=_FIVE_MIN, label=instance_id)
