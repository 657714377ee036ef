"""The reusable agent loop: chat.completions with tool calling, a structured final answer validated
by a pydantic model (with bounded repairs), a hard token budget, a bounded history and a step log.

No agent framework: one function, `run_agent`. It never raises for LLM trouble: server errors,
429s beyond the client's retries, timeouts, connection failures, malformed or schema-violating
replies and an exhausted budget all come back as `AgentResult.error` (one line), so every caller
can fall back to its deterministic path."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .budget import Budget, BudgetExhausted, estimate_tokens
from .config import LLMConfig
from .steplog import StepLog
from .tools import ToolSet, truncate_utf8

M = TypeVar("M", bound=BaseModel)

DEFAULT_MAX_TOOL_ROUNDS = 6
DEFAULT_MAX_REPAIRS = 2
# The whole message history is kept under this many bytes by eliding old tool results.
DEFAULT_HISTORY_BYTES = 48 * 1024
_ELIDED = "[earlier tool result elided ({n} bytes) to bound the prompt; call the tool again if needed]"
_ANSWER_NOW = ("You have used all your tool calls. Reply now with only the JSON object of your final answer, "
               "matching the schema.")


@dataclass
class AgentResult(Generic[M]):
    output: M | None
    error: str | None = None  # one line; None when `output` is a validated answer
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0
    repairs: int = 0
    request_bytes: int = 0  # JSON bytes of every request body sent
    log_path: Path | None = None
    steps: list[dict] = field(default_factory=list)  # the step log entries

    @property
    def ok(self) -> bool:
        return self.output is not None and self.error is None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class InvalidAnswer(Exception):
    """The final answer is not JSON or does not match the output model."""


def parse_answer(content: str, output_model: type[M]) -> M:
    """Validate a final answer. Tolerates a ```json fence or prose around one JSON object."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    if not text.startswith("{") and "{" in text and "}" in text:
        text = text[text.index("{"): text.rindex("}") + 1]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    try:
        return output_model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]]
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise InvalidAnswer("does not match the schema: " + "; ".join(problems) + more) from None


def response_format_for(output_model: type[BaseModel]) -> dict:
    """Structured outputs: servers that support json_schema constrain the reply to it."""
    return {"type": "json_schema", "json_schema": {"name": output_model.__name__,
                                                   "schema": output_model.model_json_schema(), "strict": False}}


def _history_bytes(messages: list[dict]) -> int:
    return len(json.dumps(messages, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def compact_history(messages: list[dict], max_bytes: int) -> int:
    """Elide the oldest tool results (never the latest round) until the history fits.
    Tool messages stay in place so every tool_call keeps its answer. Returns bytes saved."""
    saved = 0
    size = _history_bytes(messages)
    if size <= max_bytes:
        return 0
    last_assistant = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=len(messages))
    for i, message in enumerate(messages[:last_assistant]):
        if size <= max_bytes:
            break
        content = message.get("content") or ""
        if message["role"] == "tool" and not content.startswith("[earlier tool result elided"):
            stub = _ELIDED.format(n=len(content.encode("utf-8")))
            delta = len(content.encode("utf-8")) - len(stub.encode("utf-8"))
            if delta > 0:
                message["content"] = stub
                size -= delta
                saved += delta
    return saved


def _describe_api_error(exc: Exception, llm: LLMConfig) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"request timed out after {llm.timeout:g}s ({llm.max_retries} retries)"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect to {llm.base_url or 'the OpenAI API'}"
    if isinstance(exc, openai.RateLimitError):
        return f"rate limited (429) after {llm.max_retries} retries"
    if isinstance(exc, openai.AuthenticationError):
        return "the server rejected the API key (401)"
    if isinstance(exc, openai.APIStatusError):
        return f"server error {exc.status_code}"
    # Anything else from the client (e.g. a body that is not a chat.completion).
    return f"malformed reply from the server ({exc.__class__.__name__})"


class _Run:
    """State of one agent run; `run_agent` is the public face."""

    def __init__(self, llm: LLMConfig, tools: ToolSet, output_model: type[BaseModel], budget: Budget,
                 log: StepLog, client, max_tool_rounds: int, max_repairs: int, history_bytes: int,
                 structured: bool):
        self.llm, self.tools, self.output_model, self.budget, self.log = llm, tools, output_model, budget, log
        self.client = client if client is not None else llm.client()
        self.max_tool_rounds, self.max_repairs, self.history_bytes = max_tool_rounds, max_repairs, history_bytes
        self.structured = structured
        self.result: AgentResult = AgentResult(output=None, log_path=log.path, steps=log.entries)
        self.tool_rounds = 0

    def fail(self, message: str) -> AgentResult:
        for secret in self.llm.secrets():
            message = message.replace(secret, "[redacted]")
        self.result.error = message
        self.log.write("error", step=self.result.requests, error=message)
        return self.result

    def request(self, messages: list[dict]):
        """One chat.completions call, within budget. Returns the completion or raises."""
        import openai

        tools_open = self.tool_rounds < self.max_tool_rounds and len(self.tools) > 0
        while True:
            saved = compact_history(messages, self.history_bytes)
            body: dict = {"model": self.llm.model, "messages": messages}
            if tools_open:
                body["tools"] = self.tools.specs()
            if self.structured:
                body["response_format"] = response_format_for(self.output_model)
            estimate = estimate_tokens(body)
            self.budget.check(estimate)
            size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))  # as the client sends it
            try:
                completion = self.client.chat.completions.create(**body)
            except openai.BadRequestError:
                if not self.structured:
                    raise
                # Some OpenAI-compatible servers reject response_format json_schema: validate ourselves.
                self.structured = False
                self.log.write("fallback", step=self.result.requests, why="server refused response_format; "
                               "validating the answer locally")
                continue
            self.result.request_bytes += size
            usage = getattr(completion, "usage", None)
            self.budget.charge(getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None),
                               estimate=estimate)
            self.result.requests += 1
            self.result.prompt_tokens = self.budget.prompt_tokens
            self.result.completion_tokens = self.budget.completion_tokens
            self.log.write("request", step=self.result.requests, bytes=size, estimated_tokens=estimate,
                           prompt_tokens=getattr(usage, "prompt_tokens", None),
                           completion_tokens=getattr(usage, "completion_tokens", None),
                           budget_used=self.budget.used, elided_bytes=saved or None, tools=tools_open)
            return completion

    def run_tools(self, messages: list[dict], message, calls: list) -> None:
        tools_open = self.tool_rounds < self.max_tool_rounds
        messages.append({
            "role": "assistant", "content": message.content or None,
            "tool_calls": [{"id": c.id, "type": "function",
                            "function": {"name": c.function.name, "arguments": c.function.arguments}} for c in calls],
        })
        for call in calls:
            if tools_open:
                outcome = self.tools.call(call.function.name, call.function.arguments)
                text = outcome.text
                self.result.tool_calls += 1
                args = {k: v for k, v in outcome.args.items() if k != "why"}
                self.log.write("tool", step=self.result.requests, tool=call.function.name, args=args,
                               bytes=len(text.encode("utf-8")), full_bytes=outcome.full_bytes, ok=outcome.ok,
                               why=str(outcome.args.get("why") or message.content or "")[:300] or None)
            else:
                text = "error: no more tool calls are allowed; answer now with the JSON object"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": text})
        self.tool_rounds += 1
        if self.tool_rounds == self.max_tool_rounds:
            messages.append({"role": "user", "content": _ANSWER_NOW})

    def run(self, system: str, user: str) -> AgentResult:
        import openai

        messages: list[dict] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        while True:
            try:
                completion = self.request(messages)
            except BudgetExhausted as exc:
                return self.fail(str(exc))
            except openai.OpenAIError as exc:
                return self.fail(_describe_api_error(exc, self.llm))
            except ValueError as exc:  # a 200 whose body is not JSON (e.g. a proxy's HTML page)
                return self.fail(f"malformed reply from the server ({exc.__class__.__name__})")
            choices = getattr(completion, "choices", None)
            if not choices or getattr(choices[0], "message", None) is None:
                return self.fail("malformed reply from the server (no choices)")
            message = choices[0].message
            calls = [c for c in (message.tool_calls or []) if getattr(c, "type", "function") == "function"]
            if calls:
                if self.tool_rounds >= self.max_tool_rounds:
                    self.result.repairs += 1
                    if self.result.repairs > self.max_repairs:
                        return self.fail(f"the model kept calling tools after {self.max_tool_rounds} rounds")
                self.run_tools(messages, message, calls)
                continue
            if message.refusal:
                return self.fail(f"the model refused: {truncate_utf8(message.refusal, 200)}")
            content = message.content or ""
            try:
                output = parse_answer(content, self.output_model)
            except InvalidAnswer as exc:
                self.log.write("invalid-answer", step=self.result.requests, error=str(exc),
                               bytes=len(content.encode("utf-8")))
                if self.result.repairs >= self.max_repairs:
                    return self.fail(f"invalid structured answer after {self.max_repairs} repairs: {exc}")
                self.result.repairs += 1
                messages.append({"role": "assistant", "content": truncate_utf8(content, 4096)})
                messages.append({"role": "user", "content": f"Your answer {exc}. Reply with only the corrected "
                                                            "JSON object matching the schema."})
                continue
            self.result.output = output
            self.log.write("answer", step=self.result.requests, bytes=len(content.encode("utf-8")),
                           tokens_used=self.budget.used)
            return self.result


def run_agent(system: str, user: str, tools: ToolSet, output_model: type[M], budget: Budget, *,
              llm: LLMConfig, log: StepLog | None = None, client=None,
              max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS, max_repairs: int = DEFAULT_MAX_REPAIRS,
              history_bytes: int = DEFAULT_HISTORY_BYTES, structured: bool = True) -> AgentResult[M]:
    """Run one agent to a validated `output_model` answer.

    The model may call `tools` for up to `max_tool_rounds` rounds; its final message must be a JSON
    object valid for `output_model` (requested through response_format json_schema when the server
    accepts it, always validated here); invalid answers get the validation error back, at most
    `max_repairs` times. Every request is checked against `budget` first. `client` defaults to
    `llm.client()` (an openai.OpenAI with llm's timeout and retries)."""
    run = _Run(llm, tools, output_model, budget, log if log is not None else StepLog(None, secrets=llm.secrets()),
               client, max_tool_rounds, max_repairs, history_bytes, structured)
    return run.run(system, user)
