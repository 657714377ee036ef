"""ElastiCache Redis replication group: encrypted at rest and in transit, private subnets only."""
from __future__ import annotations

from typing import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from constructs import Construct

REDIS_PORT = 6379


class RedisCache(Construct):
    """CDK has no L2 for ElastiCache; this wraps the L1 resources with secure defaults.

    With two or more nodes the group gets automatic failover across AZs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        node_type: str = "cache.t3.micro",
        engine_version: str = "7.1",
        num_nodes: int = 1,
        group_id: str | None = None,
        description: str = "Redis cache",
        snapshot_retention_days: int = 0,
    ) -> None:
        super().__init__(scope, construct_id)
        self.subnet_group = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            description=f"{description} subnets",
            subnet_ids=[subnet.subnet_id for subnet in subnets],
        )
        failover = num_nodes >= 2
        self.replication_group = elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_description=description,
            replication_group_id=group_id,
            engine="redis",
            engine_version=engine_version,
            cache_node_type=node_type,
            num_cache_clusters=num_nodes,
            automatic_failover_enabled=failover,
            multi_az_enabled=failover,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            cache_subnet_group_name=self.subnet_group.ref,
            security_group_ids=[security_group.security_group_id],
            port=REDIS_PORT,
            snapshot_retention_limit=snapshot_retention_days,
            auto_minor_version_upgrade=True,
        )
        # Stateful: a final snapshot is taken when the group is removed.
        self.replication_group.apply_removal_policy(RemovalPolicy.SNAPSHOT)

    @property
    def endpoint_address(self) -> str:
        return self.replication_group.attr_primary_end_point_address
