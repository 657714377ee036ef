"""Strip secret-looking values before text reaches state files, SSM, reports or the terminal.

Deliberately aggressive: a false positive costs a `***` in a message, a miss leaks a credential.
"""
from __future__ import annotations

import re
from typing import Any

MASK = "***"

# Names whose values are secrets (env vars, query parameters, JSON keys, CLI flags).
_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|credentials?|authorization|session[_-]?key|client[_-]?secret)[A-Za-z0-9_.-]*"
)
_SECRET_NAME_RE = re.compile(rf"^{_SECRET_NAME}$", re.IGNORECASE)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys, whole block.
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
    # scheme://user:password@host -> scheme://user:***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*:)([^\s@/]+)(@)"), rf"\1{MASK}\3"),
    # Authorization: Bearer xxx / Basic xxx
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1\2{MASK}"),
    # password=..., "api_key": "...", --token xyz, DB_PASSWORD: ...
    (re.compile(
        rf"(?i)(?<![:/])([\"']?)(\b{_SECRET_NAME})\1(\s*[=:]\s*|\s+(?=[\"']))([\"']?)(?!{re.escape(MASK)})([^\s\"',;&}}\]]+)"
    ), rf"\1\2\1\3\4{MASK}"),
    (re.compile(rf"(?i)(--{_SECRET_NAME}[= ])(?!{re.escape(MASK)})(\S+)"), rf"\1{MASK}"),
    # Well-known token shapes, wherever they appear.
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b"), MASK),                # AWS key ids
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"), MASK),                  # OpenAI/Anthropic keys
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"), MASK),                          # GitHub tokens
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),                         # Slack tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), MASK),  # JWTs
    # A bare 40-char AWS secret access key: base64 alphabet with upper, lower and digits mixed
    # (so git SHAs, hex digests and words do not match).
    (re.compile(
        r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
    ), MASK),
]


def redact(text: str) -> str:
    """`text` with every secret-looking value replaced by `***`."""
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_name(name: str) -> bool:
    """True for names like DB_PASSWORD, apiKey, GITHUB_TOKEN whose values must never be stored."""
    return bool(_SECRET_NAME_RE.match(name))


def redact_data(value: Any) -> Any:
    """A copy of JSON-like data with secret-named keys masked and every string redacted."""
    if isinstance(value, dict):
        return {
            key: (MASK if isinstance(item, str) and item and is_secret_name(str(key)) and not _is_reference(item)
                  else redact_data(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_data(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _is_reference(value: str) -> bool:
    """Secret *references* (ARNs, SSM parameter names) are safe to keep: they are how secrets are
    meant to be named in a plan."""
    return value.startswith(("arn:", "/", "ssm:", "secretsmanager:", "{{resolve:"))


def one_line(text: str, limit: int = 500) -> str:
    """Redacted, single-line, bounded: the form of every stored error message."""
    flat = " ".join(redact(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
