"""Fixtures for the Medic tests: plans, CloudFormation-shaped events, the scripted OpenAI server."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from agents.fake_openai import ScriptedOpenAIServer
from hivemind.medic.classifier import corpus
from hivemind.plan.models import DeploymentPlan

# The corpus ships with the Medic (its classifier learns from it); the tests measure on batches held out of training.
_CORPUS_FILE = corpus()
CORPUS = _CORPUS_FILE["entries"]
FIRST_MEASUREMENT: dict[str, dict[str, int]] = _CORPUS_FILE["first_measurement"]  # per batch, before any change
ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture
def make_plan():
    def make(name: str = "shop", **extra) -> DeploymentPlan:
        data = {"name": name, "region": REGION,
                "services": [{"name": "web", "runtime": "node", "port": 3000, "instance_type": "t3.micro"}]}
        data.update(extra)
        return DeploymentPlan.model_validate(data)

    return make


class EventLog:
    """Stack events shaped exactly like describe_stack_events' (all ten fields, a per-stack StackId, EventIds
    of the two real forms), recorded oldest first and handed out newest first, as the API pages them."""

    def __init__(self, start: datetime | None = None):
        self.events: list[dict] = []
        self.clock = start or datetime(2026, 11, 30, 14, 2, 11, 310000, tzinfo=timezone.utc)
        self._ids = itertools.count(1)
        self._stack_ids: dict[str, str] = {}

    def stack_id(self, stack: str) -> str:
        return self._stack_ids.setdefault(
            stack, f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/{uuid.uuid5(uuid.NAMESPACE_DNS, stack)}")

    def add(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str | None = None, *,
            token: str | None, physical_id: str = "", seconds: float = 1.0) -> dict:
        self.clock += timedelta(seconds=seconds)
        stack_event = resource_type == "AWS::CloudFormation::Stack" and logical_id == stack
        event = {
            "StackId": self.stack_id(stack),
            "EventId": (str(uuid.UUID(int=next(self._ids))) if stack_event
                        else f"{logical_id}-{status}-{self.clock.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z"),
            "StackName": stack,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": self.stack_id(stack) if stack_event else physical_id,
            "ResourceType": resource_type,
            "Timestamp": self.clock,
            "ResourceStatus": status,
        }
        if token is not None:
            event["ClientRequestToken"] = token
        if reason is not None:
            event["ResourceStatusReason"] = reason
        self.events.append(event)
        return event

    def newest_first(self, stack: str | None = None) -> list[dict]:
        return [e for e in reversed(self.events) if stack is None or e["StackName"] == stack]


@pytest.fixture
def event_log() -> EventLog:
    return EventLog()


@pytest.fixture
def llm_server():
    with ScriptedOpenAIServer() as server:
        yield server


@pytest.fixture
def llm_env(monkeypatch, llm_server):
    """The Medic's agent path pointed at the scripted server: small timeouts, no client retries."""
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-medic-secret-0123456789")
    monkeypatch.setenv("HIVEMIND_LLM_TIMEOUT", "5")
    monkeypatch.setenv("HIVEMIND_LLM_MAX_RETRIES", "0")
    return llm_server
