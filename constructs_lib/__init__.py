"""Reusable AWS CDK constructs with secure defaults.

Each module holds one concern and knows nothing about HiveMind, so the constructs can be used in
any CDK app: a VPC with three subnet tiers, a blue/green web edge, an EC2 app fleet, a Postgres or
MySQL database, a Redis cache and a dashboard with alarms.
"""
from .cache import RedisCache
from .database import RelationalDatabase
from .edge import WebEdge, WebTarget
from .fleet import AppFleet
from .network import Network
from .observability import MonitoredService, ServiceMonitor

__all__ = [
    "AppFleet", "MonitoredService", "Network", "RedisCache", "RelationalDatabase", "ServiceMonitor",
    "WebEdge", "WebTarget",
]
