"""Deploy errors the user can act on: one line each, distinct exit codes for scripts."""
from __future__ import annotations

from ..errors import HivemindError


class DeployError(HivemindError):
    """A stack failed, a change set could not be created, or a stack is in a state we cannot act on."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None):
        # Carries CloudFormation's own reasons, which may quote a property value: mask secrets.
        from ..redact import redact

        super().__init__(" ".join(redact(message).split()), exit_code=exit_code)


class ReplacementRefused(HivemindError):
    """The change would replace or delete a stateful resource and --allow-replacement was not given."""

    exit_code = 3


class ChecksFailed(HivemindError):
    """cdk-nag or cfn-lint reported errors nobody acknowledged: nothing is sent to CloudFormation."""

    exit_code = 4
