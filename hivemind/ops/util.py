"""Small helpers shared by the ops readers."""
from __future__ import annotations

from botocore.exceptions import ClientError

from ..redact import one_line


def aws_reason(exc: BaseException) -> str:
    """One redacted line for an AWS failure (an HTML error page is named, not quoted)."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        message = str(err.get("Message", ""))
        if message.lstrip().startswith("<"):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            return f"HTTP {status} with an HTML page, not an AWS answer"
        return one_line(f"{err.get('Code', 'Error')}: {message}")
    return one_line(str(exc) or exc.__class__.__name__)


READ_ATTEMPTS = 3


def read_client(service: str, region: str, *, attempts: int = READ_ATTEMPTS):
    """hivemind.aws.client with retries bounded to `attempts` (adaptive backoff still applies).

    The ops views are interactive reads: a failing call should answer in seconds, not after
    ten backed-off retries (~20 s), and each Cost Explorer request is billed ($0.01).
    """
    from ..aws import client

    made = client(service, region)
    event = made.meta.service_model.service_id.hyphenize()

    limit = attempts

    def _bounded(**kwargs) -> bool | None:  # botocore passes `attempts`, the attempts made so far
        return False if kwargs.get("attempts", 0) >= limit else None

    made.meta.events.register_first(f"needs-retry.{event}", _bounded)
    return made
