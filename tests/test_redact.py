"""Nothing secret-looking reaches state, reports or the terminal; ordinary identifiers survive."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings, strategies as st

from hivemind.redact import one_line, redact, redact_data

SECRET_CASES = [
    ("postgres://app:hunter2pw@db.internal:5432/orders", "hunter2pw"),
    ("redis://:s3cretRedis@cache:6379/0", "s3cretRedis"),
    ("connect failed: password=Tr0ub4dor&3 host=db", "Tr0ub4dor"),
    ('{"api_key": "abc123def456", "region": "us-east-1"}', "abc123def456"),
    ("DB_PASSWORD: correcthorse", "correcthorse"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("creds wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked", "wJalrXUtnFEMI"),
    ("access key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ("OPENAI key sk-proj-abcdefghijklmnopqrstuvwx in env", "sk-proj-abcdefghijklmnop"),
    ("push with ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnop"),
    ("run --db-password hunter2 --token=xyz789", "hunter2"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
]


@pytest.mark.parametrize("text,secret", SECRET_CASES)
def test_secrets_are_masked(text, secret):
    out = redact(text)
    assert secret not in out
    assert "***" in out


KEPT = [
    "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-api-network/6f1b2c30-0a1b-11ef-9c2d-0a5f3e1b2c3d",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-db-AbCdEf",
    "http://orders-api-alb-1234567890.us-east-1.elb.amazonaws.com",
    "artifacts/orders-api/84a5a01eb19279a40a7bc917f852e0a1403a1ac061387c34d31a7fa8b7ec1cb0.tar.gz",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b deployed",
    "Resource handler returned message: MasterUserPassword is not a valid password",
    "author=ada stage=production port=3000",
]


@pytest.mark.parametrize("text", KEPT)
def test_identifiers_are_kept(text):
    assert redact(text) == text


def test_redact_data_masks_secret_named_values_but_keeps_references():
    data = {"env": {"DB_PASSWORD": "hunter2", "PORT": "3000", "DATABASE_URL": "mysql://u:pw123@h/db"},
            "secrets": {"API_TOKEN": "arn:aws:secretsmanager:us-east-1:1:secret:x"},
            "history": [{"detail": "token=abc"}]}
    out = redact_data(data)
    assert out["env"] == {"DB_PASSWORD": "***", "PORT": "3000", "DATABASE_URL": "mysql://u:***@h/db"}
    assert out["secrets"]["API_TOKEN"].startswith("arn:aws:secretsmanager")
    assert out["history"][0]["detail"] == "token=***"
    assert data["env"]["DB_PASSWORD"] == "hunter2"  # a copy: the caller's plan is untouched


def test_one_line_flattens_bounds_and_redacts():
    out = one_line("first line\n  password=x\tthird " + "y" * 900, limit=80)
    assert "\n" not in out and "\t" not in out
    assert len(out) == 80 and out.endswith("…")
    assert "password=***" in out


@settings(max_examples=200, deadline=None)
@given(user=st.text(string.ascii_letters + string.digits, min_size=1, max_size=12),
       pw=st.text(string.ascii_letters + string.digits + "!$%^*()_~.", min_size=4, max_size=30))
def test_url_passwords_never_survive(user, pw):
    text = f"could not connect to postgres://{user}:{pw}@db.example.com:5432/app"
    out = redact(text)
    assert f":{pw}@" not in out
    assert "db.example.com:5432/app" in out


@pytest.mark.parametrize("shape", ["a.", "abc-", "a:", "a=b ", "--x ", "password=token=", '"k" '])
def test_pathological_input_is_handled_in_linear_time(shape):
    # Redaction runs over every stored string: a token-start guard on each pattern keeps it
    # linear. 10,000 repetitions would take minutes with a backtracking blow-up; here the
    # output is checked, and the suite's timeout is the guard.
    text = shape * 10_000
    out = redact(text)
    assert ("password=" in shape) == ("***" in out)
    if "password=" not in shape:
        assert out == text
