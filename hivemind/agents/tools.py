"""A registry of tools an agent may call: name, description, a pydantic model of the arguments
(its JSON Schema is what the model sees), and a handler returning text.

Bad calls never raise out of `ToolSet.call`: an unknown tool, unparsable or invalid arguments, or
a handler's ToolError become an `error: ...` result the model can read and correct."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

DEFAULT_MAX_RESULT_BYTES = 8 * 1024


class ToolError(Exception):
    """A refusal or failure the model should see (e.g. a path outside the repository)."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[BaseModel]
    handler: Callable[[BaseModel], str]

    def spec(self) -> dict:
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": schema}}


@dataclass(frozen=True)
class ToolOutcome:
    text: str  # what goes back to the model (already truncated)
    ok: bool
    args: dict  # the arguments as parsed, for the step log
    full_bytes: int  # size before truncation


def truncate_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    kept = data[:max_bytes].decode("utf-8", errors="ignore")
    return f"{kept}\n[truncated: {len(data) - max_bytes} more bytes]"


def _first_error(exc: ValidationError) -> str:
    problem = exc.errors()[0]
    where = ".".join(str(p) for p in problem["loc"]) or "arguments"
    return f"{where}: {problem['msg']}"


class ToolSet:
    def __init__(self, tools: Iterable[Tool] = (), *, max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES):
        self.max_result_bytes = max_result_bytes
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} registered twice")
        self._tools[tool.name] = tool

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[dict]:
        """The `tools` parameter of a chat.completions request."""
        return [tool.spec() for tool in self._tools.values()]

    def call(self, name: str, arguments: str | None) -> ToolOutcome:
        tool = self._tools.get(name)
        if tool is None:
            return self._error(f"unknown tool {name!r}; available: {', '.join(self._tools)}", {})
        try:
            raw = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            return self._error(f"arguments are not valid JSON ({exc.msg})", {})
        if not isinstance(raw, dict):
            return self._error("arguments must be a JSON object", {})
        try:
            args = tool.args.model_validate(raw)
        except ValidationError as exc:
            return self._error(_first_error(exc), raw)
        try:
            text = tool.handler(args)
        except ToolError as exc:
            return self._error(str(exc), raw)
        full = len(text.encode("utf-8"))
        return ToolOutcome(text=truncate_utf8(text, self.max_result_bytes), ok=True, args=raw, full_bytes=full)

    def _error(self, message: str, args: dict) -> ToolOutcome:
        text = f"error: {message}"
        return ToolOutcome(text=truncate_utf8(text, self.max_result_bytes), ok=False, args=args,
                           full_bytes=len(text.encode("utf-8")))
