"""A CloudWatch dashboard with eight fixed sections, alarms, and an SNS topic for them.

Everything is addressed by name or by plain dimension values (no construct references), so the
monitor can live in its own stack and outlive the fleets it watches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_logs as logs
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
    # label -> (unhealthy-hosts alarm name, 5xx alarm name) of that colour's target group; default
    # "<prefix>-<service>-<label>-unhealthy" / "-5xx". A traffic shift may use them as rollback triggers.
    colour_alarm_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Fewer healthy targets than this, over all colours together, raises an alarm.
    min_healthy: int = 1
    max_instances: int = 1
    # A line the service writes to its log at every start: starts are counted into a restart alarm.
    start_marker: str | None = None


class ServiceMonitor(Construct):
    """Eight dashboard sections, always, each with a text header (a note where a section does not
    apply): Overview, Infrastructure, Load balancer, Database, Logs, X-Ray, Cost, Alarms.

    Alarms treat missing data as not breaching: the idle colour and a stopped fleet send no data,
    which is not an outage. Each alarm notifies the SNS topic.
    """

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
        database_max_connections: int | None = None,
        cache_group_id: str | None = None,
        cache_nodes: int = 1,
        xray_group_name: str | None = None,
        xray_hint: str = "Tracing is off for this deployment.",
        alarm_email: str | None = None,
        alarms: bool = True,
        cpu_alarm_percent: int = 80,
        disk_alarm_percent: int = 85,
        latency_p95_seconds: float = 1.0,
        metric_namespace: str = "App",
    ) -> None:
        super().__init__(scope, construct_id)
        self._region = Stack.of(self).region
        self._prefix = alarm_prefix
        self.topic = sns.Topic(self, "AlarmTopic", display_name=f"{alarm_prefix} alarms", enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(alarm_email))
        self.alarms: list[cw.Alarm] = []
        self._alarm_names: list[str] = []
        alb = load_balancer_full_name
        cache_ids = [f"{cache_group_id}-{i:03d}" for i in range(1, cache_nodes + 1)] if cache_group_id else []
        # Per-service start counters, read from the log groups (used by the alarms and the dashboard).
        self.start_metrics: dict[str, cw.Metric] = {}
        for service in services:
            if service.start_marker:
                metric_name = f"{service.name}-service-starts"
                logs.MetricFilter(
                    self, f"Starts{len(self.start_metrics)}",
                    log_group=logs.LogGroup.from_log_group_name(self, f"LogGroup{len(self.start_metrics)}", service.log_group_name),
                    filter_pattern=logs.FilterPattern.literal(f'"{service.start_marker}"'),
                    metric_namespace=metric_namespace, metric_name=metric_name, metric_value="1",
                )
                self.start_metrics[service.name] = cw.Metric(
                    namespace=metric_namespace, metric_name=metric_name, statistic="Sum", period=Duration.minutes(15),
                    label=f"{service.name} starts")

        if alarms:
            if alb:
                self._alarm(
                    f"{alarm_prefix}-alb-5xx", "ALB and targets answer with 5xx",
                    cw.MathExpression(
                        expression="FILL(elb, 0) + FILL(targets, 0)",
                        using_metrics={
                            "elb": _alb_metric("HTTPCode_ELB_5XX_Count", alb),
                            "targets": _alb_metric("HTTPCode_Target_5XX_Count", alb),
                        },
                        label="5xx", period=_FIVE_MIN,
                    ),
                    threshold=10,
                )
                self._alarm(
                    f"{alarm_prefix}-latency-p95", f"p95 response time above {latency_p95_seconds:g} s",
                    _alb_metric("TargetResponseTime", alb, "p95"), threshold=latency_p95_seconds, periods=3,
                )
            for service in services:
                for label, tg in service.target_groups:
                    unhealthy, five_xx = service.colour_alarm_names.get(label) or (
                        f"{alarm_prefix}-{service.name}-{label}-unhealthy", f"{alarm_prefix}-{service.name}-{label}-5xx")
                    self._alarm(
                        unhealthy, f"{service.name} ({label}) has unhealthy hosts",
                        _tg_metric("UnHealthyHostCount", alb, tg, "Maximum"), threshold=1, periods=3,
                    )
                    # One-minute periods: a bad release is caught within two minutes of a shift.
                    self._alarm(
                        five_xx, f"{service.name} ({label}) targets answer with 5xx",
                        _tg_metric("HTTPCode_Target_5XX_Count", alb, tg, "Sum"), threshold=5, periods=2,
                    )
                if service.target_groups:
                    # Healthy hosts of all colours together: the idle colour holds none by design.
                    using = {f"c{i}": _tg_metric("HealthyHostCount", alb, tg, "Minimum")
                             for i, (_, tg) in enumerate(service.target_groups)}
                    self._alarm(
                        f"{alarm_prefix}-{service.name}-healthy-hosts",
                        f"{service.name} has fewer than {service.min_healthy} healthy host(s)",
                        cw.MathExpression(expression=" + ".join(f"FILL({k}, 0)" for k in using), using_metrics=using,
                                          label="healthy hosts", period=Duration.minutes(1)),
                        threshold=service.min_healthy, periods=3, comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                    )
                for group in service.group_names:
                    self._alarm(
                        f"{group}-cpu", f"{group} CPU above {cpu_alarm_percent}%",
                        _asg_metric("CPUUtilization", group), threshold=cpu_alarm_percent, periods=3,
                    )
                    self._alarm(
                        f"{group}-disk", f"{group} root disk above {disk_alarm_percent}%",
                        _asg_metric("disk_used_percent", group, "Maximum", namespace="CWAgent"),
                        threshold=disk_alarm_percent,
                    )
                if service.name in self.start_metrics:
                    # Booting starts each instance once (both colours during blue-green); more starts
                    # than that within 15 minutes is a crash loop (systemd restarts every 5 s).
                    limit = 2 * service.max_instances + 1
                    self._alarm(
                        f"{alarm_prefix}-{service.name}-restarts", f"{service.name} (re)started {limit}+ times in 15 minutes",
                        self.start_metrics[service.name], threshold=limit, periods=1,
                    )
            if database_instance_id:
                free_bytes = database_storage_gb * 1024**3 // 10
                self._alarm(
                    f"{alarm_prefix}-db-storage", "Database free storage below 10%",
                    _rds_metric("FreeStorageSpace", database_instance_id, "Minimum"),
                    threshold=free_bytes, comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                )
                self._alarm(
                    f"{alarm_prefix}-db-cpu", f"Database CPU above {cpu_alarm_percent}%",
                    _rds_metric("CPUUtilization", database_instance_id), threshold=cpu_alarm_percent, periods=3,
                )
                if database_max_connections:
                    limit = max(1, database_max_connections * 8 // 10)
                    self._alarm(
                        f"{alarm_prefix}-db-connections", f"Database connections above {limit} (80% of ~{database_max_connections})",
                        _rds_metric("DatabaseConnections", database_instance_id, "Maximum"), threshold=limit,
                    )
                for replica in database_replica_ids:
                    self._alarm(
                        f"{replica}-lag", f"{replica} more than 60 s behind the primary",
                        _rds_metric("ReplicaLag", replica, "Maximum"), threshold=60, periods=3,
                    )
            if cache_ids:
                self._alarm(
                    f"{alarm_prefix}-redis-cpu", f"Redis engine CPU above {cpu_alarm_percent}% on a node",
                    _across_nodes("MAX", "EngineCPUUtilization", cache_ids, "Average"), threshold=cpu_alarm_percent, periods=3,
                )
                self._alarm(
                    f"{alarm_prefix}-redis-memory", "Redis memory above 80% on a node",
                    _across_nodes("MAX", "DatabaseMemoryUsagePercentage", cache_ids, "Maximum"), threshold=80, periods=3,
                )
                # Some evictions are what a cache does; a sustained stream means it is too small.
                self._alarm(
                    f"{alarm_prefix}-redis-evictions", "Redis evicts keys (over 100 per 5 minutes)",
                    _across_nodes("SUM", "Evictions", cache_ids, "Sum"), threshold=100, periods=2,
                )

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        self._overview(services, alb)
        self._infrastructure(services)
        self._load_balancer(services, alb)
        self._database(database_instance_id, database_replica_ids, cache_ids)
        self._logs(services)
        self._xray(xray_group_name, xray_hint)
        self._cost()
        self._alarm_section(alarms)

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

    @property
    def alarm_names(self) -> list[str]:
        return list(self._alarm_names)

    # --- dashboard sections -------------------------------------------------------------------
    def _header(self, title: str, text: str = "") -> None:
        self.dashboard.add_widgets(cw.TextWidget(markdown=f"## {title}\n{text}".strip(), width=_WIDTH, height=1 if not text else 2))

    def _note(self, text: str) -> None:
        self.dashboard.add_widgets(cw.TextWidget(markdown=text, width=_WIDTH, height=1))

    def _overview(self, services: Sequence[MonitoredService], alb: str | None) -> None:
        self._header("Overview", "Request rate, response time, errors and running instances.")
        widgets: list[cw.IWidget] = []
        if alb:
            widgets += [
                cw.GraphWidget(title="Requests", left=[_alb_metric("RequestCount", alb)], width=8),
                cw.GraphWidget(title="Response time (p50, p95, p99)", left=[
                    _alb_metric("TargetResponseTime", alb, stat) for stat in ("p50", "p95", "p99")], width=8),
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

    def _infrastructure(self, services: Sequence[MonitoredService]) -> None:
        self._header("Infrastructure", "Per Auto Scaling group: CPU and network from EC2; memory and disk from the CloudWatch agent.")
        groups = [g for s in services for g in s.group_names]
        self.dashboard.add_widgets(
            cw.GraphWidget(title="CPU %", left=[_asg_metric("CPUUtilization", g) for g in groups], width=6),
            cw.GraphWidget(title="Memory %", left=[_asg_metric("mem_used_percent", g, namespace="CWAgent") for g in groups], width=6),
            cw.GraphWidget(title="Disk %", left=[_asg_metric("disk_used_percent", g, "Maximum", namespace="CWAgent") for g in groups], width=6),
            cw.GraphWidget(title="Network in/out", left=[_asg_metric("NetworkIn", g, "Sum") for g in groups],
                           right=[_asg_metric("NetworkOut", g, "Sum") for g in groups], width=6),
        )
        if self.start_metrics:
            self.dashboard.add_widgets(cw.GraphWidget(
                title="Service starts (15 min)", left=list(self.start_metrics.values()), width=_WIDTH, height=4))

    def _load_balancer(self, services: Sequence[MonitoredService], alb: str | None) -> None:
        if not alb:
            self._header("Load balancer", "No load balancer: this deployment has no web service with a port.")
            return
        self._header("Load balancer", "Target health per colour, latency and HTTP codes.")
        tgs = [(f"{s.name} {label}", tg) for s in services for label, tg in s.target_groups]
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Healthy hosts", left=[_tg_metric("HealthyHostCount", alb, tg, "Minimum", label) for label, tg in tgs], width=6),
            cw.GraphWidget(title="Unhealthy hosts", left=[_tg_metric("UnHealthyHostCount", alb, tg, "Maximum", label) for label, tg in tgs], width=6),
            cw.GraphWidget(title="Target latency p95", left=[_tg_metric("TargetResponseTime", alb, tg, "p95", label) for label, tg in tgs], width=6),
            cw.GraphWidget(title="HTTP codes", left=[_alb_metric(f"HTTPCode_Target_{c}XX_Count", alb) for c in (2, 3, 4, 5)], width=6),
        )

    def _database(self, instance_id: str | None, replicas: Sequence[str], cache_ids: Sequence[str]) -> None:
        if not instance_id and not cache_ids:
            self._header("Database", "No database or cache in this deployment's plan.")
            return
        self._header("Database", "Connections, CPU, IOPS, free storage, replication lag; Redis CPU, memory, evictions.")
        if instance_id:
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
        if cache_ids:
            self.dashboard.add_widgets(
                cw.GraphWidget(title="Redis engine CPU %", left=[_cache_metric("EngineCPUUtilization", n) for n in cache_ids], width=6),
                cw.GraphWidget(title="Redis memory %", left=[_cache_metric("DatabaseMemoryUsagePercentage", n) for n in cache_ids], width=6),
                cw.GraphWidget(title="Redis evictions", left=[_cache_metric("Evictions", n, "Sum") for n in cache_ids], width=6),
                cw.GraphWidget(title="Redis connections", left=[_cache_metric("CurrConnections", n) for n in cache_ids], width=6),
            )

    def _logs(self, services: Sequence[MonitoredService]) -> None:
        self._header("Logs", "Recent errors from the application logs (CloudWatch Logs Insights).")
        self.dashboard.add_widgets(cw.LogQueryWidget(
            title="Errors",
            log_group_names=[s.log_group_name for s in services],
            query_lines=[
                "fields @timestamp, @logStream, @message",
                "filter @message like /(?i)(error|exception|fatal|traceback|panic)/",
                "sort @timestamp desc",
                "limit 50",
            ],
            width=_WIDTH, height=6,
        ))

    def _xray(self, group_name: str | None, hint: str) -> None:
        if not group_name:
            self._header("X-Ray", hint)
            return
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

    def _alarm_section(self, enabled: bool) -> None:
        if not self.alarms:
            self._header("Alarms", "Alarms are disabled in the plan." if not enabled else "No alarms apply.")
            return
        self._header("Alarms", f"{len(self.alarms)} alarms; each notifies the deployment's SNS topic.")
        # Alarms are addressed by name (ARN built from the name), not by GetAtt on the alarm.
        refs = [cw.Alarm.from_alarm_name(self, f"StatusOf{i}", name) for i, name in enumerate(self._alarm_names)]
        self.dashboard.add_widgets(cw.AlarmStatusWidget(alarms=refs, title="Alarm status", width=_WIDTH,
                                                        height=max(3, len(refs) // 4 + 2)))


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


def _cache_metric(name: str, node_id: str, stat: str = "Average") -> cw.Metric:
    return cw.Metric(namespace="AWS/ElastiCache", metric_name=name, dimensions_map={"CacheClusterId": node_id},
                     statistic=stat, period=_FIVE_MIN, label=node_id)


def _across_nodes(function: str, name: str, node_ids: Sequence[str], stat: str) -> cw.IMetric:
    """One series over every cache node (ElastiCache publishes per node, not per replication group)."""
    if len(node_ids) == 1:
        return _cache_metric(name, node_ids[0], stat)
    using = {f"n{i}": _cache_metric(name, node, stat) for i, node in enumerate(node_ids)}
    return cw.MathExpression(expression=f"{function}([{', '.join(using)}])", using_metrics=using, label=name, period=_FIVE_MIN)
