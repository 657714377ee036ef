"""Python block structure, by indentation: which `if`/`else` encloses a line (climbing through
data literals and calls), so a setting read on a conditional branch is known to be conditional."""
from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(?:if|elif|else|try|except|finally|with|for|while|def|class|async\s+def)\b")


def enclosing_header(lines: list[str], number: int) -> tuple[int, str] | None:
    """(line number, text) of the block header enclosing 1-based line `number`, or None at module level."""
    text = lines[number - 1]
    indent = len(text) - len(text.lstrip())
    for index in range(number - 2, -1, -1):
        previous = lines[index]
        if not previous.strip() or previous.lstrip().startswith(("#", ")", "]", "}")):
            continue  # blank, a comment, or the closing bracket of a condition or literal
        level = len(previous) - len(previous.lstrip())
        if level < indent:
            if _HEADER.match(previous):
                return index + 1, previous
            indent = level  # a dict literal or a call spanning lines: keep climbing
        if indent == 0:
            return None
    return None


def matching_if(lines: list[str], else_number: int) -> str | None:
    """The `if` line an `else:` (at 1-based line `else_number`) belongs to."""
    text = lines[else_number - 1]
    indent = len(text) - len(text.lstrip())
    for index in range(else_number - 2, -1, -1):
        previous = lines[index]
        if previous.strip() and len(previous) - len(previous.lstrip()) == indent and re.match(r"^\s*if\b", previous):
            return previous
        if previous.strip() and len(previous) - len(previous.lstrip()) < indent:
            return None
    return None
