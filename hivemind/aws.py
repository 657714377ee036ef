"""boto3 sessions and clients for HiveMind: adaptive retries, endpoint override, clear errors."""
from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from typing import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectionError as BotocoreConnectionError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ConnectTimeoutError,
    ReadTimeoutError,
)

from .errors import HivemindError

# Throttling on CloudFormation/EC2 Describe* calls is routine during big deploys: let botocore's
# adaptive mode back off client-side instead of hand-written sleep loops.
CLIENT_CONFIG = Config(
    retries={"max_attempts": 10, "mode": "adaptive"},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="hivemind/0.1",
)


# Adaptive mode would retry a refused connection 10 times with backoff (~20 s for a wrong
# AWS_ENDPOINT_URL); a dead endpoint gets a few attempts, throttling keeps the full budget.
CONNECT_MAX_ATTEMPTS = 3

DEFAULT_REGION = "us-east-1"


class AwsError(HivemindError):
    """AWS unreachable, no credentials, or an API call refused: one line for the user."""

    def __init__(self, message: str, *, exit_code: int | None = None):
        # API messages and endpoint URLs are not ours: they may echo a credential back.
        from .redact import redact

        super().__init__(" ".join(redact(message).split()), exit_code=exit_code)


@functools.lru_cache(maxsize=8)
def _session(region: str) -> boto3.session.Session:
    return boto3.session.Session(region_name=region)


def client(service: str, region: str):
    """A boto3 client for `service` in `region` (AWS_ENDPOINT_URL is honoured by boto3 itself)."""
    try:
        made = _session(region).client(service, config=CLIENT_CONFIG)
    except ProfileNotFound as exc:
        raise AwsError(f"AWS profile not found: {exc.kwargs.get('profile')}") from None
    except NoRegionError:
        raise AwsError("no AWS region configured (set it in the plan or AWS_DEFAULT_REGION)") from None
    event = made.meta.service_model.service_id.hyphenize()
    # Runs before botocore's retry handler; returning False (not None) ends the retries.
    made.meta.events.register_first(f"needs-retry.{event}", _stop_retrying_dead_endpoint)
    return made


def _stop_retrying_dead_endpoint(attempts: int, caught_exception: Exception | None = None, **_) -> bool | None:
    if isinstance(caught_exception, (BotocoreConnectionError, ConnectionClosedError)) and attempts >= CONNECT_MAX_ATTEMPTS:
        return False
    return None


def default_region(explicit: str | None = None) -> str:
    """--region if given, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1."""
    return explicit or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Translate botocore failures raised inside the block into one-line AwsErrors."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError(
            f"{action}: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        ) from None
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, BotocoreConnectionError,
            ConnectionClosedError) as exc:  # a reset connection is an HTTPClientError, not a ConnectionError
        raise AwsError(f"{action}: cannot reach AWS endpoint ({exc.__class__.__name__}: {exc})") from None
    except ClientError as exc:
        err = exc.response.get("Error", {})
        message = str(err.get("Message", exc))
        if message.lstrip().startswith("<"):
            # An HTML error page (a proxy, or an endpoint that is not AWS): its markup helps nobody.
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", err.get("Code", "?"))
            raise AwsError(f"{action}: the endpoint answered HTTP {status} with an HTML page, "
                           "not an AWS response (check AWS_ENDPOINT_URL and the region)") from None
        raise AwsError(f"{action}: {err.get('Code', 'Error')}: {message}") from None
