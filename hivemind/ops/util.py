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
