"""A scripted OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.

It implements POST /v1/chat/completions (non-streaming): each request takes the next reply from a
script (tool calls, a final answer, raw malformed bodies, error statuses, hangs) and is recorded,
so tests can assert on exactly what the real `openai` client sent."""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    message: dict | None = None  # the assistant message of a 200 chat.completion
    raw: bytes | None = None  # sent verbatim instead of a chat.completion (malformed bodies)
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to stall before answering (past the client timeout)
    finish_reason: str = "stop"


Responder = Callable[[dict], Reply]  # builds a reply from the request body


def tool_calls(*calls: tuple[str, dict]) -> Reply:
    """The assistant asks for tool calls: ("read_file", {"path": "app.py"}), ..."""
    return Reply(message={"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{next(_ids)}", "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}} for name, args in calls]},
        finish_reason="tool_calls")


def answer(content: object) -> Reply:
    """A final answer: a dict/list is sent as JSON text, a str verbatim (for malformed JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Reply(message={"role": "assistant", "content": text})


def status(code: int, *, headers: dict[str, str] | None = None, message: str = "scripted failure") -> Reply:
    return Reply(status=code, raw=json.dumps({"error": {"message": message, "type": "scripted"}}).encode(),
                 headers=headers or {})


def rate_limited() -> Reply:
    # retry-after-ms keeps the openai client's wait tiny; Retry-After: 0 alone means its default backoff.
    return status(429, headers={"Retry-After": "0", "retry-after-ms": "10"}, message="rate limited")


def hang(seconds: float) -> Reply:
    return Reply(hang=seconds, message={"role": "assistant", "content": "{}"})


_ids = itertools.count(1)


class ScriptedOpenAIServer:
    """`with ScriptedOpenAIServer([tool_calls(...), answer({...})]) as server: ... server.base_url`"""

    def __init__(self, script: list[Reply | Responder] | None = None, *, model: str = "scripted-model"):
        self.script: list[Reply | Responder] = list(script or [])
        self.model = model
        self.requests: list[dict] = []  # decoded request bodies, in order
        self.request_bytes: list[int] = []  # raw body sizes
        self.headers: list[dict[str, str]] = []  # lower-cased names
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> "ScriptedOpenAIServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode(), {})
                    return
                try:
                    data = json.loads(body)
                except json.JSONDecodeError:
                    self._send(400, b'{"error": {"message": "body is not JSON"}}', {})
                    return
                reply = server._next(data, len(body), {k.lower(): v for k, v in self.headers.items()})
                if reply.hang and server._stopping.wait(reply.hang):
                    return
                payload = reply.raw if reply.raw is not None else server._completion(data, reply)
                try:
                    self._send(reply.status, payload, reply.headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

            def _send(self, code: int, payload: bytes, headers: dict[str, str]):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> "ScriptedOpenAIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    # --- script ------------------------------------------------------------------------
    def push(self, *replies: Reply | Responder) -> None:
        with self._lock:
            self.script.extend(replies)

    def _next(self, data: dict, size: int, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(data)
            self.request_bytes.append(size)
            self.headers.append(headers)
            if not self.script:
                return status(500, message="script exhausted")
            item = self.script.pop(0)
        return item(data) if callable(item) else item

    def _completion(self, request: dict, reply: Reply) -> bytes:
        """A properly shaped chat.completion; usage ~ bytes/4 like common tokenizers."""
        message = dict(reply.message or {"role": "assistant", "content": ""})
        out_text = (message.get("content") or "") + json.dumps(message.get("tool_calls") or "")
        prompt_tokens = len(json.dumps(request.get("messages", [])) + json.dumps(request.get("tools", []))) // 4
        completion_tokens = max(1, len(out_text) // 4)
        return json.dumps({
            "id": f"chatcmpl-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }).encode()

    # --- assertions helpers ---------------------------------------------------------------
    def tool_results(self, index: int) -> list[str]:
        """Contents of the tool messages in request `index`."""
        return [m.get("content", "") for m in self.requests[index]["messages"] if m.get("role") == "tool"]
