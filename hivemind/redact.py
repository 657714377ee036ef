"""Strip secret-looking values before text reaches state files, SSM, reports or the terminal.

Deliberately aggressive: a false positive costs a `***` in a message, a miss leaks a credential.
"""
from __future__ import annotations

import re
from typing import Any

MASK = "***"

# Words that make a name secret (env vars, query parameters, JSON keys, CLI flags).
_SECRET_WORD_RE = re.compile(
    r"passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credential|authorization|session[_-]?key",
    re.IGNORECASE,
)

# Every pattern below starts only at the beginning of a token (a lookbehind refuses to start
# inside one), so the scan stays linear: `a.a.a.a...` must not cost quadratic time.
# A key and its separator only: keys that are not secret must not swallow what follows them
# ("failed: password=x" holds two keys).
_KEY = re.compile(r"""(?<![:/A-Za-z0-9_.-])(["']?)([A-Za-z0-9_.-]+)\1(?:\s*[=:]\s*|\s+(?=["']))""")
_VALUE = re.compile(r"""["']?([^\s"',;&}\]]+)""")
_FLAG = re.compile(r"(?<![A-Za-z0-9_.-])(--)([A-Za-z0-9_.-]+)([= ])(\S+)")


def _mask_assignments(text: str) -> str:
    """password=..., "api_key": "...", DB_PASSWORD: ... -> the value becomes ***."""
    spans: list[tuple[int, int]] = []
    for key in _KEY.finditer(text):
        # A key inside an already-masked value is gone anyway (and re-scanning it is quadratic).
        if (spans and key.start() < spans[-1][1]) or not is_secret_name(key.group(2)):
            continue
        value = _VALUE.match(text, key.end())
        if value and value.group(1) != MASK:
            spans.append(value.span(1))
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], MASK]
        last = end
    return "".join(pieces) + text[last:]


def _mask_flag(match: re.Match[str]) -> str:
    dashes, name, sep, value = match.groups()
    if value.startswith(MASK) or not is_secret_name(name):
        return match.group(0)
    return f"{dashes}{name}{sep}{MASK}"


_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    # PEM private keys, whole block.
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
    # scheme://user:password@host -> scheme://user:***@host
    (re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://[^\s/:@]*:)([^\s@/]+)(@)"), rf"\1{MASK}\3"),
    # Authorization: Bearer xxx / Basic xxx
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1\2{MASK}"),
    # --token xyz, --db-password=...
    (_FLAG, _mask_flag),
    # "master password pw-9f8e7d...", "token ab12cd34...": a secret word, a space, then a value shaped
    # like a credential (8+ characters with letters and digits; not a reference such as an ARN), so
    # prose such as "password authentication failed" is kept.
    (re.compile(r"(?i)(?<![A-Za-z])((?:passw(?:or)?d|passwd|pwd|secret|token|api[ _-]?key|access[ _-]?key"
                r"|private[ _-]?key)s?\s+)(?!arn:|/|ssm:|\{\{)(?=[^\s\"',;]*[0-9])(?=[^\s\"',;]*[A-Za-z])"
                r"[^\s\"',;]{8,}"), rf"\1{MASK}"),
    # Well-known token shapes, wherever they appear.
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b"), MASK),                # AWS key ids
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"), MASK),                  # OpenAI/Anthropic keys
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"), MASK),             # Stripe secret/restricted keys
    (re.compile(r"\bwhsec_[A-Za-z0-9]{16,}"), MASK),                                # Stripe webhook secrets
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
    return _mask_assignments(text)


def is_secret_name(name: str) -> bool:
    """True for names like DB_PASSWORD, apiKey, GITHUB_TOKEN whose values must never be stored."""
    return bool(_SECRET_WORD_RE.search(name))


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
