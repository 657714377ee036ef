"""`<name>-data`: RDS (+ its secret) and ElastiCache. Stateful: snapshot on removal."""
from __future__ import annotations

from aws_cdk import Aws, Duration, Fn
from constructs import Construct

from constructs_lib import RedisCache, RelationalDatabase

from ...plan import DeploymentPlan
from .. import handoff, names
from ..engines import resolve_engine_version
from .base import HivemindStack


class DataStack(HivemindStack):
    def __init__(self, scope: Construct, plan: DeploymentPlan) -> None:
        super().__init__(scope, names.stack_name(plan.name, "data"), plan, kind="data",
                         description="database and cache (stateful)")
        production = plan.stage == "production"
        vpc = handoff.import_vpc(self, plan.name, self.availability_zones, ("isolated",))
        isolated = handoff.subnets(vpc, "isolated")
        self.database: RelationalDatabase | None = None
        self.cache: RedisCache | None = None
        if plan.database:
            db = plan.database
            # Unique per creation of this stack (its id's UUID) and stable across its updates: a
            # destroyed deployment's secret waits out its recovery window under the old name.
            # Built from the stack id, not a Ref to the secret, so the handoff needs no GetAtt/Ref.
            secret_name = Fn.join("", [names.database_secret_prefix(plan.name),
                                       Fn.select(2, Fn.split("/", Aws.STACK_ID))])
            self.database = RelationalDatabase(
                self, "Database", vpc=vpc, subnets=isolated,
                security_group=handoff.import_security_group(self, plan.name, "db"),
                engine=db.engine, version=resolve_engine_version(db.engine, db.version), instance_class=db.instance_class, storage_gb=db.storage_gb,
                multi_az=db.multi_az, read_replicas=db.read_replicas, backup_retention_days=db.backup_retention_days,
                deletion_protection=db.deletion_protection, database_name=db.name,
                instance_identifier=names.database_identifier(plan.name),
                secret_name=secret_name,
                # Production: Performance Insights (7 days, free tier of PI) and enhanced monitoring
                # (60 s; its OS metrics go to CloudWatch Logs, a few cents a month); credentials kept
                # when the stack is deleted, since the final snapshot is kept too.
                performance_insights=production, monitoring_interval=Duration.seconds(60) if production else None,
                retain_secret=production,
                # Production: a parameter group that refuses plain connections. Stage 1 keeps the
                # engine's default group (RDS Postgres 15+ defaults to rds.force_ssl=1 anyway); the
                # app connects with TLS in both stages.
                force_tls=production,
            )
            handoff.publish(self, "DatabaseSecretParam", names.database_secret_parameter(plan.name), secret_name,
                            "database credentials secret name")
            for index, replica in enumerate(self.database.replicas):
                replica.node.default_child.db_instance_identifier = names.replica_identifier(plan.name, index + 1)
                # The app gets DATABASE_READ_URL from this (the first replica takes the reads).
                if index == 0:
                    handoff.publish(self, "DatabaseReadHostParam", names.database_read_host_parameter(plan.name),
                                    replica.db_instance_endpoint_address, "read replica endpoint address")
        if plan.cache:
            cache = plan.cache
            self.cache = RedisCache(
                self, "Cache", subnets=isolated,
                security_group=handoff.import_security_group(self, plan.name, "cache"),
                node_type=cache.node_type, engine_version=cache.version, num_nodes=cache.num_nodes,
                group_id=names.cache_group_id(plan.name), description=f"HiveMind {plan.name} Redis",
                snapshot_retention_days=1 if plan.stage == "production" else 0,
            )
