"""RDS Postgres or MySQL with a generated Secrets Manager secret, encrypted, snapshot on removal."""
from __future__ import annotations

from typing import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from constructs import Construct

DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}


def engine_for(engine: str, version: str) -> rds.IInstanceEngine:
    """'postgres', '16.4' -> the RDS engine; a bare major ('16', '8.0') is passed through as is."""
    if engine == "postgres":
        major = version.split(".")[0]
        return rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.of(version, major))
    if engine == "mysql":
        major = ".".join(version.split(".")[:2])
        return rds.DatabaseInstanceEngine.mysql(version=rds.MysqlEngineVersion.of(version, major))
    raise ValueError(f"unsupported engine {engine!r}")


class RelationalDatabase(Construct):
    """The primary instance, optional read replicas, and its credentials secret.

    The secret also receives host/port/dbname (RDS secret attachment), so applications find the
    database by reading one secret. Leave `secret_name` unset unless you must: CloudFormation then
    generates a unique name, whereas a deleted secret keeps a fixed name reserved for its 7-30 day
    recovery window and a redeploy under that name fails. Hand `secret.secret_arn` to consumers.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        engine: str,
        version: str,
        instance_class: str = "db.t3.micro",
        storage_gb: int = 20,
        multi_az: bool = False,
        read_replicas: int = 0,
        backup_retention_days: int = 1,
        deletion_protection: bool = False,
        database_name: str = "app",
        instance_identifier: str | None = None,
        secret_name: str | None = None,
        username: str = "app",
        performance_insights: bool = False,
        monitoring_interval: Duration | None = None,
        force_tls: bool = True,
        retain_secret: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.port = DEFAULT_PORTS[engine]
        instance_type = ec2.InstanceType(instance_class.removeprefix("db."))
        subnet_selection = ec2.SubnetSelection(subnets=list(subnets))
        db_engine = engine_for(engine, version)
        # Clients must use TLS: the server refuses plain connections (secure default, no cost).
        self.parameter_group = rds.ParameterGroup(
            self, "Parameters", engine=db_engine, description=f"{engine} {version}: TLS required",
            parameters={"rds.force_ssl": "1"} if engine == "postgres" else {"require_secure_transport": "1"},
        ) if force_tls else None
        # One enhanced-monitoring role for the primary and its replicas (CDK would make one each).
        self.monitoring_role = iam.Role(
            self, "MonitoringRole", assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonRDSEnhancedMonitoringRole")],
        ) if monitoring_interval else None
        # MySQL has no Performance Insights on the smallest classes (micro, small); Postgres has.
        insights = performance_insights and not (engine == "mysql" and instance_class.split(".")[-1] in ("micro", "small"))
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=db_engine,
            instance_type=instance_type,
            parameter_group=self.parameter_group,
            enable_performance_insights=insights or None,
            # Enhanced monitoring: OS metrics (per process, memory, swap) every interval; CDK creates its role.
            monitoring_interval=monitoring_interval,
            monitoring_role=self.monitoring_role,
            vpc=vpc,
            vpc_subnets=subnet_selection,
            security_groups=[security_group],
            credentials=rds.Credentials.from_generated_secret(username, secret_name=secret_name),
            database_name=database_name,
            instance_identifier=instance_identifier,
            allocated_storage=storage_gb,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            multi_az=multi_az,
            backup_retention=Duration.days(backup_retention_days),
            deletion_protection=deletion_protection,
            iam_authentication=True,
            auto_minor_version_upgrade=True,
            publicly_accessible=False,
            cloudwatch_logs_exports=["postgresql"] if engine == "postgres" else ["error", "slowquery"],
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
        self.secret = self.instance.secret
        generated = self.instance.node.try_find_child("Secret")  # the DatabaseSecret (instance.secret is its attachment)
        if retain_secret and generated is not None:
            # The final snapshot outlives the stack; so do the credentials that open it.
            generated.apply_removal_policy(RemovalPolicy.RETAIN)
        self.replicas = [
            rds.DatabaseInstanceReadReplica(
                self,
                f"Replica{index + 1}",
                source_database_instance=self.instance,
                instance_type=instance_type,
                vpc=vpc,
                vpc_subnets=subnet_selection,
                security_groups=[security_group],
                # A replica inherits the primary's encryption (CloudFormation rejects the property here).
                # CDK's replica default is gp2: keep the replica on the primary's gp3 (cheaper, same baseline).
                storage_type=rds.StorageType.GP3,
                deletion_protection=deletion_protection,
                publicly_accessible=False,
                parameter_group=self.parameter_group,
                enable_performance_insights=insights or None,
                monitoring_interval=monitoring_interval,
                monitoring_role=self.monitoring_role,
                removal_policy=RemovalPolicy.SNAPSHOT,
            )
            for index in range(read_replicas)
        ]
