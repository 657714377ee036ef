"""`--since` values: a duration back from now (90s, 10m, 1h30m, 2d, 1w) or an ISO 8601 time."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..errors import HivemindError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
MAX_LOOKBACK = timedelta(days=63)  # CloudWatch keeps 1-minute data 15 days, 5-minute 63 days


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """The UTC start time `text` means; a HivemindError (one line) for anything else."""
    now = now or datetime.now(timezone.utc)
    value = (text or "").strip().lower()
    if value and _DURATION.sub("", value).strip() == "" and _DURATION.search(value):
        seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(value))
        if seconds <= 0:
            raise HivemindError(f"--since {text!r}: must be more than zero")
        if timedelta(seconds=seconds) > MAX_LOOKBACK * 6:
            raise HivemindError(f"--since {text!r} is too far back (at most {MAX_LOOKBACK.days * 6} days)")
        return now - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HivemindError(
            f"--since {text!r} is not a duration (e.g. 30s, 10m, 1h, 2d) or an ISO time (2026-01-31T12:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment > now:
        raise HivemindError(f"--since {text!r} is in the future")
    return moment.astimezone(timezone.utc)
