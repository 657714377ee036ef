"""The address checks against real local servers: HTTP answers, TLS trust/expiry/hostname, TCP, DNS."""
from __future__ import annotations

import socket

import pytest

from hivemind.qa import net


def test_http_healthy_server_passes_with_latency(app_server):
    url = app_server(200)
    check = net.check_http(url, ["/health", "/"], timeout=5)
    assert check.passed and not check.unreachable
    assert check.data["requests"] == 10 and check.data["p50_ms"] <= check.data["p95_ms"]
    assert sorted(set(app_server.last.requests)) == ["/", "/health"] and len(app_server.last.requests) == 10
    assert "p50" in check.detail and "p95" in check.detail


def test_http_error_answer_is_a_plain_failure_not_unreachable(app_server):
    url = app_server(200, paths={"/": 503})
    check = net.check_http(url, ["/health", "/"], timeout=5)
    assert not check.passed and not check.unreachable
    assert "GET / answered 503" in check.detail and "5 of 10" in check.detail


def test_http_redirect_counts_as_an_answer(app_server):
    url = app_server(302)
    assert net.check_http(url, ["/"], timeout=5).passed


def test_port_refused_is_a_failure_but_reached(unused_port):
    check = net.check_port("127.0.0.1", unused_port, timeout=2)
    assert not check.passed and not check.unreachable and "refused" in check.detail


def test_dns_of_a_name_that_does_not_resolve_is_unreachable():
    check = net.check_dns("no-such-alb-1234.invalid", timeout=5)
    assert not check.passed and check.unreachable and "does not resolve" in check.detail


def test_dns_of_localhost_resolves():
    check = net.check_dns("localhost", timeout=5)
    assert check.passed and check.data["addresses"]


def test_tls_trusted_certificate_passes(pki, app_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))  # the test CA is the trust store
    url = app_server(200, tls=pki.server_cert("good", days_valid=90))
    port = int(url.rsplit(":", 1)[1])
    check = net.check_tls("127.0.0.1", port, timeout=5)
    assert check.passed, check.detail
    assert check.data["days_left"] in (89, 90) and "trusted certificate" in check.detail


def test_tls_self_signed_fails_and_says_so(pki, app_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    url = app_server(200, tls=pki.server_cert("self", self_signed=True))
    check = net.check_tls("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=5)
    assert not check.passed and not check.unreachable
    assert "self-signed" in check.detail
    assert check.data["self_signed"] is True


def test_tls_expired_fails_and_says_so(pki, app_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    url = app_server(200, tls=pki.server_cert("old", expired=True))
    check = net.check_tls("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=5)
    assert not check.passed and "expired" in check.detail and check.data["days_left"] < 0


def test_tls_soon_to_expire_fails_under_14_days(pki, app_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    url = app_server(200, tls=pki.server_cert("soon", days_valid=5.5))
    check = net.check_tls("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=5)
    assert not check.passed and "expires in 5 days" in check.detail and "under 14" in check.detail


def test_tls_hostname_mismatch_fails(pki, app_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    url = app_server(200, tls=pki.server_cert("other", names=("shop.example.test",)))
    check = net.check_tls("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=5)
    assert not check.passed and "mismatch" in check.detail.lower()


def test_percentile_nearest_rank():
    assert net.percentile([5, 1, 3, 2, 4], 50) == 3
    assert net.percentile(list(range(1, 11)), 95) == 10


@pytest.fixture
def unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
