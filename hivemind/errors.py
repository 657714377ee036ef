"""User-facing errors: one clear line and a non-zero exit, never a traceback."""
from __future__ import annotations


class HivemindError(Exception):
    """An error the user can act on. The CLI prints `error: <message>` and exits with `exit_code`."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class PlanError(HivemindError):
    """The plan file is missing, unreadable or fails validation."""


class ReconError(HivemindError):
    """The repository cannot be analysed (missing path, nothing deployable)."""
