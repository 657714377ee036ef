"""A fault-injecting HTTP proxy in front of the moto server, for tests and bench/faults.py.

boto3 is pointed at the proxy (AWS_ENDPOINT_URL); each request is forwarded to moto unless the
configured faults pick it. Faults, chosen per eligible call from one seeded random stream (the
same seed and the same call order give the same faults), and bounded by `max_faults`:

- throttle:     a share of calls answered as AWS throttles them: HTTP 400 with the protocol's
                Throttling body (JSON `ThrottlingException`, query-XML `Throttling`); S3, which
                throttles with 503 SlowDown, gets that.
- server_error: a share answered HTTP 503 (ServiceUnavailable, in the protocol's shape).
- reset:        a share of requests read, then the connection reset (TCP RST, no answer).
- latency:      seconds added before every eligible call is forwarded.
- outage:       "reset" (every call's connection reset) or "503" (every call answered 503).
- only:         a predicate on the Call (service, action) choosing which calls are eligible;
                the others always pass.

    proxy = FaultProxy("http://127.0.0.1:5000").start()
    proxy.configure(throttle=0.3, seed=7)
    ... boto3 calls through proxy.url ...
    proxy.stats()   # {"calls": 120, "throttle": 35, ...}
"""
from __future__ import annotations

import http.client
import json
import random
import re
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "trailers", "transfer-encoding", "upgrade", "expect", "content-length"}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Call:
    """What the proxy knows of one request."""

    service: str   # from the SigV4 credential scope: ssm, s3, cloudformation, ...
    region: str
    action: str    # X-Amz-Target's operation, the query Action, or "METHOD /path" (S3)
    protocol: str  # json | query | rest


@dataclass
class Faults:
    throttle: float = 0.0
    server_error: float = 0.0
    reset: float = 0.0
    latency: float = 0.0
    outage: str | None = None  # None | "reset" | "503"
    only: Callable[[Call], bool] | None = None
    max_faults: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("throttle", "server_error", "reset"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1, not {value}")
        if self.throttle + self.server_error + self.reset > 1.0:
            raise ValueError("throttle + server_error + reset must not exceed 1")
        if self.outage not in (None, "reset", "503"):
            raise ValueError("outage must be None, 'reset' or '503'")
        if self.latency < 0 or self.latency > 30:
            raise ValueError("latency must be between 0 and 30 seconds")


@dataclass
class Record:
    call: Call
    fault: str  # "pass", "throttle", "server_error", "reset", "outage"


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 (port chosen by the OS) forwarding to `upstream`."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self._guard = threading.Lock()
        self._faults = Faults()
        self._rng = random.Random(0)
        self._injected = 0
        self.records: list[Record] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --
    def start(self) -> "FaultProxy":
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultproxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "proxy not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- configuration --
    def configure(self, **faults) -> "FaultProxy":
        """Replace the faults (see Faults) and restart the random stream and the counters."""
        with self._guard:
            self._faults = Faults(**faults)
            self._rng = random.Random(self._faults.seed)
            self._injected = 0
            self.records = []
        return self

    def clear(self) -> "FaultProxy":
        """No faults: every call passes."""
        return self.configure()

    def stats(self) -> dict[str, int]:
        with self._guard:
            counts = Counter(r.fault for r in self.records)
        return {"calls": sum(counts.values()), **counts}

    def calls(self, service: str | None = None) -> list[Record]:
        with self._guard:
            return [r for r in self.records if service is None or r.call.service == service]

    # -- decision (one per request, in arrival order) --
    def decide(self, call: Call) -> tuple[str, float]:
        with self._guard:
            faults = self._faults
            eligible = faults.only is None or faults.only(call)
            fault = "pass"
            if eligible and faults.outage:
                fault = "outage"
            elif eligible and (faults.max_faults is None or self._injected < faults.max_faults):
                draw = self._rng.random()
                edges = (("throttle", faults.throttle), ("server_error", faults.server_error),
                         ("reset", faults.reset))
                low = 0.0
                for name, share in edges:
                    if low <= draw < low + share:
                        fault = name
                        break
                    low += share
            if fault != "pass":
                self._injected += 1
            self.records.append(Record(call, fault))
            return fault, (faults.latency if eligible else 0.0)

    def outage_kind(self) -> str:
        with self._guard:
            return self._faults.outage or "reset"


def _error_body(call: Call, code: str, message: str, status: int) -> tuple[int, dict[str, str], bytes]:
    request_id = uuid.uuid4().hex
    if call.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id,
                        "x-amzn-ErrorType": code}, body
    if call.protocol == "query":
        kind = "Sender" if status < 500 else "Receiver"
        body = (f'<ErrorResponse xmlns="http://{call.service}.amazonaws.com/doc/"><Error><Type>{kind}</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                "</ErrorResponse>").encode()
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{request_id}</RequestId></Error>").encode()
    return status, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body


def throttle_response(call: Call) -> tuple[int, dict[str, str], bytes]:
    if call.protocol == "rest":  # S3 throttles with 503 SlowDown
        return _error_body(call, "SlowDown", "Please reduce your request rate.", 503)
    code = "ThrottlingException" if call.protocol == "json" else "Throttling"
    return _error_body(call, code, "Rate exceeded", 400)


def unavailable_response(call: Call) -> tuple[int, dict[str, str], bytes]:
    code = "ServiceUnavailableException" if call.protocol == "json" else "ServiceUnavailable"
    return _error_body(call, code, "Service Unavailable", 503)


class _Handler(BaseHTTPRequestHandler):
    proxy: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _call(self, body: bytes) -> Call:
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        region, service = (scope.group(1), scope.group(2)) if scope else ("?", "?")
        target = self.headers.get("X-Amz-Target")
        if target:
            return Call(service, region, target.rsplit(".", 1)[-1], "json")
        if "x-www-form-urlencoded" in self.headers.get("Content-Type", "") and body:
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
            return Call(service, region, action, "query")
        return Call(service, region, f"{self.command} {urlsplit(self.path).path}", "rest")

    def _reset(self) -> None:
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _send(self, status: int, headers: dict[str, str], body: bytes, *, head: bool = False,
              length: str | None = None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", length if head and length is not None else str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        call = self._call(body)
        fault, latency = self.proxy.decide(call)
        if latency:
            time.sleep(latency)
        if fault == "outage":
            fault = "reset" if self.proxy.outage_kind() == "reset" else "server_error"
        if fault == "reset":
            self._reset()
            return
        if fault in ("throttle", "server_error"):
            status, headers, payload = (throttle_response if fault == "throttle" else unavailable_response)(call)
            self._send(status, headers, payload, head=self.command == "HEAD")
            return
        upstream = http.client.HTTPConnection(self.proxy.upstream_host, self.proxy.upstream_port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            out = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            self._send(response.status, out, payload, head=self.command == "HEAD",
                       length=response.getheader("Content-Length"))
        except OSError:
            self._reset()  # moto itself unreachable: the client sees what a dead endpoint looks like
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle
