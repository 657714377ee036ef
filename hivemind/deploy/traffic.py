"""Traffic between the colours: the listener weights of each step of a shift, and the
CloudFormation rollback triggers that watch the new colour while the edge stack moves to it.

A shift is an edge-stack change set (never a listener API call). Its RollbackConfiguration names
the new colour's unhealthy-host and 5xx alarms: if one fires during the update or the bake
(MonitoringTimeInMinutes), CloudFormation rolls the edge back, and traffic with it.
"""
from __future__ import annotations

import math

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import client
from ..render.names import colour_alarm_names

# CloudFormation accepts at most 5 rollback triggers per stack operation.
MAX_TRIGGERS = 5
MAX_MONITORING_MINUTES = 180


def shift_steps(active: str, target: str, canary: int | None) -> list[dict[str, int]]:
    """Weights per step: the canary share first (if any), then everything on `target`."""
    steps = []
    if canary:
        if not 1 <= canary <= 99:
            raise ValueError("canary must be 1-99")
        steps.append({active: 100 - canary, target: canary})
    steps.append({target: 100})
    return steps


def rollback_configuration(deployment_id: str, services: list[str], color: str, region: str,
                           bake_seconds: int) -> dict | None:
    """The rollback triggers for shifting to `color`: its alarms that exist (CloudFormation refuses
    a trigger naming a missing alarm), looked up read-only. None when there is nothing to watch."""
    names = [n for s in services for n in colour_alarm_names(deployment_id, s, color)]
    arns: list[str] = []
    if names:
        try:
            cloudwatch = client("cloudwatch", region)
            for i in range(0, len(names), 100):
                found = cloudwatch.describe_alarms(AlarmNames=names[i:i + 100], AlarmTypes=["MetricAlarm"])
                arns += [a["AlarmArn"] for a in found.get("MetricAlarms", [])]
        except (ClientError, BotoCoreError):
            arns = []  # no triggers is weaker, not wrong: the shift still goes through CloudFormation
    minutes = min(MAX_MONITORING_MINUTES, math.ceil(bake_seconds / 60)) if bake_seconds > 0 else 0
    if not arns and not minutes:
        return None
    config: dict = {"RollbackTriggers": [{"Arn": a, "Type": "AWS::CloudWatch::Alarm"} for a in arns[:MAX_TRIGGERS]]}
    if minutes:
        config["MonitoringTimeInMinutes"] = minutes
    return config
