"""Checks against an address: dns, port, tls, http. Each returns a VerificationCheck; none raises.

`unreachable=True` on a check means the address could not be reached at all (the name does not
resolve, the connection timed out, no route): a caller outside the VPC (or on moto, whose load
balancer names resolve nowhere) can then fall back on the load balancer's own health checks.
An answer that is wrong (a 503, a refused connection, a bad certificate) is a plain failure.
"""
from __future__ import annotations

import concurrent.futures
import errno
import http.client
import math
import socket
import ssl
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ..state.models import VerificationCheck

HTTP_REQUESTS = 10
TLS_MIN_DAYS = 14
_NO_ROUTE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


def _check(name: str, started: float, passed: bool, detail: str, *, unreachable: bool = False, **data) -> VerificationCheck:
    return VerificationCheck(name=name, passed=passed, detail=detail, seconds=round(time.perf_counter() - started, 3),
                             unreachable=unreachable, data=data)


def not_tried(name: str, why: str) -> VerificationCheck:
    """A check skipped because an earlier one showed the address cannot be reached."""
    return VerificationCheck(name=name, passed=False, detail=f"not tried: {why}", unreachable=True)


def is_unreachable(exc: BaseException) -> bool:
    """No DNS, no route, or silence (timeout): nothing answered at all."""
    if isinstance(exc, (socket.gaierror, TimeoutError, socket.timeout)):
        return True
    return isinstance(exc, OSError) and exc.errno in _NO_ROUTE


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "the name does not resolve"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out (nothing answered)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on that port)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    return f"{exc.__class__.__name__}: {exc}"


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    # getaddrinfo has no timeout of its own: bound it with a thread.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        infos = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM).result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise socket.timeout(f"resolving {host} took over {timeout:g} s") from None
    finally:
        pool.shutdown(wait=False)
    return sorted({info[4][0] for info in infos})


def check_dns(host: str, timeout: float) -> VerificationCheck:
    started = time.perf_counter()
    try:
        addresses = _resolve(host, 0, timeout)
    except (OSError, ValueError) as exc:
        return _check("dns", started, False, f"{host}: {describe_error(exc)}", unreachable=True)
    return _check("dns", started, True, f"{host} resolves to {', '.join(addresses[:4])}", addresses=addresses)


def check_port(host: str, port: int, timeout: float) -> VerificationCheck:
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        return _check("port", started, False, f"TCP {host}:{port}: {describe_error(exc)}",
                      unreachable=is_unreachable(exc))
    return _check("port", started, True, f"TCP {host}:{port} accepts connections")


def _peer_certificate(host: str, port: int, server_hostname: str, timeout: float) -> bytes | None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=server_hostname) as tls:
            return tls.getpeercert(binary_form=True)


def _certificate_facts(der: bytes | None) -> dict:
    """Subject, issuer, expiry of a certificate (cryptography ships with botocore's usual extras)."""
    if not der:
        return {}
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - only without the cryptography package
        return {}
    cert = x509.load_der_x509_certificate(der)
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
        "not_after": not_after.isoformat(),
        "days_left": math.floor((not_after - datetime.now(timezone.utc)).total_seconds() / 86400),
        "self_signed": cert.subject == cert.issuer,
    }


def check_tls(host: str, port: int, timeout: float, *, server_hostname: str | None = None,
              min_days: int = TLS_MIN_DAYS) -> VerificationCheck:
    """The chain is trusted (the default trust store; SSL_CERT_FILE moves it), the name matches,
    and the certificate has at least `min_days` left."""
    started = time.perf_counter()
    name = server_hostname or host
    context = ssl.create_default_context()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=name) as tls:
                der = tls.getpeercert(binary_form=True)
                version = tls.version()
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or str(exc)
        try:
            facts = _certificate_facts(_peer_certificate(host, port, name, timeout))
        except (OSError, ValueError):
            facts = {}
        words = {"self-signed certificate": "self-signed certificate (not trusted)",
                 "certificate has expired": "certificate has expired"}
        detail = words.get(reason, f"certificate not trusted: {reason}")
        if facts.get("days_left") is not None:
            detail += f"; expires {facts['not_after'][:10]} ({facts['days_left']} days)"
        return _check("tls", started, False, detail, reason=reason, **facts)
    except OSError as exc:
        return _check("tls", started, False, f"TLS {host}:{port}: {describe_error(exc)}",
                      unreachable=is_unreachable(exc))
    facts = _certificate_facts(der)
    days = facts.get("days_left")
    if days is not None and days < min_days:
        return _check("tls", started, False,
                      f"certificate for {name} expires in {days} days ({facts['not_after'][:10]}; under {min_days})",
                      version=version, **facts)
    left = f", {days} days to expiry" if days is not None else ""
    return _check("tls", started, True, f"trusted certificate for {name} ({version}{left})", version=version, **facts)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def check_http(url: str, paths: list[str], timeout: float, *, requests: int = HTTP_REQUESTS) -> VerificationCheck:
    """`requests` GETs cycling over `paths` (health path and `/`); every answer must be < 400.

    Over HTTPS the certificate is not judged here (that is the tls check): this one is about the app.
    """
    started = time.perf_counter()
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    base = parts.path.rstrip("/")
    context = ssl._create_unverified_context() if https else None  # noqa: S323 - tls check judges trust
    latencies: list[float] = []
    answers: list[tuple[str, int]] = []
    wanted = list(dict.fromkeys(paths)) or ["/"]
    for i in range(requests):
        path = base + wanted[i % len(wanted)]
        conn = (http.client.HTTPSConnection(parts.hostname, port, timeout=timeout, context=context) if https
                else http.client.HTTPConnection(parts.hostname, port, timeout=timeout))
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"User-Agent": "hivemind-verify/1", "Accept": "*/*"})
            response = conn.getresponse()
            response.read(65536)
        except (OSError, http.client.HTTPException) as exc:
            where = f"GET {parts.scheme}://{parts.netloc}{path}"
            unreachable = is_unreachable(exc) and not answers
            return _check("http", started, False, f"{where}: {describe_error(exc)}", unreachable=unreachable,
                          answers=[{"path": p, "status": s} for p, s in answers])
        finally:
            conn.close()
        latencies.append((time.perf_counter() - t0) * 1000)
        answers.append((path, response.status))
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    bad = [(p, s) for p, s in answers if s >= 400]
    by_path = {}
    for p, s in answers:
        by_path.setdefault(p, set()).add(s)
    shown = ", ".join(f"{p} {'/'.join(str(s) for s in sorted(codes))}" for p, codes in by_path.items())
    data = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "requests": len(answers),
            "statuses": {p: sorted(codes) for p, codes in by_path.items()}}
    if bad:
        first_path, first_status = bad[0]
        return _check("http", started, False,
                      f"GET {first_path} answered {first_status} ({len(bad)} of {len(answers)} requests >= 400; {shown})",
                      **data)
    return _check("http", started, True,
                  f"{shown}; p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(answers)} requests", **data)
