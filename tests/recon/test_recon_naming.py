"""Deployment and service names derived from folder names are always valid plan names."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hivemind.plan.models import NAME_PATTERN
from hivemind.recon.naming import MAX_SERVICE_NAME, safe_name, unique


@pytest.mark.parametrize("raw, expected", [
    ("My_Cool.App!", "my-cool-app"), ("2048-game", "app-2048-game"), ("x", "app-x"), ("", "app"),
    ("---", "app"), ("Ünïcode Shop", "n-code-shop"), ("a" * 60, "a" * 40),
])
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


@given(st.text(max_size=80))
def test_any_folder_name_gives_a_valid_plan_name(raw):
    assert NAME_PATTERN.fullmatch(safe_name(raw))


@given(st.text(max_size=80))
def test_any_folder_name_gives_a_valid_service_name(raw):
    assert re.fullmatch(r"[a-z][a-z0-9-]{0,30}", safe_name(raw, max_length=MAX_SERVICE_NAME, fallback="svc"))


def test_unique_appends_a_counter_within_the_length_limit():
    taken: set[str] = set()
    long = "s" * MAX_SERVICE_NAME
    names = [unique("web", taken), unique("web", taken), unique(long, taken), unique(long, taken)]
    assert names[:2] == ["web", "web-2"]
    assert names[3].endswith("-2") and len(names[3]) <= MAX_SERVICE_NAME
