"""--since parsing: durations, ISO times, and one-line refusals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hivemind.errors import HivemindError
from hivemind.ops import parse_since

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, back", [
    ("30s", timedelta(seconds=30)), ("10m", timedelta(minutes=10)), ("1h30m", timedelta(minutes=90)),
    ("2d", timedelta(days=2)), ("1w", timedelta(weeks=1)), (" 3H ", timedelta(hours=3)),
])
def test_durations(text, back):
    assert parse_since(text, now=NOW) == NOW - back


def test_iso_times_are_utc_unless_they_say_otherwise():
    assert parse_since("2026-12-01T09:30", now=NOW) == datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    assert parse_since("2026-12-01T10:30:00+01:00", now=NOW) == datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    assert parse_since("2026-12-01T09:30:00Z", now=NOW) == datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, message", [
    ("garbage", "is not a duration"), ("10 parsecs", "is not a duration"), ("", "is not a duration"),
    ("0m", "more than zero"), ("2027-01-01", "in the future"), ("5000d", "too far back"),
])
def test_refusals(text, message):
    with pytest.raises(HivemindError, match=message):
        parse_since(text, now=NOW)
