"""QA: verify that a deployment answers (http, tls, port, dns), that its targets are healthy, and
that its database and cache are reachable from inside the VPC.

Interface (used by `hivemind verify` and by the deploy/update/upgrade workflows):

    verify(state, *, url=None, test_listener=False, checks=None, timeout=10.0) -> Verification
    record_verification(state, result) -> None   # sets state.verification + a history event; caller saves
    unreachable_only(result) -> bool             # every failure is "could not reach" (rely on the ALB's checks)

See hivemind.qa.runner.verify for the meaning of each argument. A Verification is
`{time, passed, url, color, checks: [{name, passed, detail, seconds, unreachable, data}]}`
(hivemind.state.models). The functions here return data; printing is the CLI's job.
"""
from ..state.models import Verification, VerificationCheck
from .runner import CHECK_NAMES, DEFAULT_TIMEOUT, TEST_LISTENER_PORT, check_url, idle_color, record_verification, unreachable_only, verify

__all__ = [
    "CHECK_NAMES", "DEFAULT_TIMEOUT", "TEST_LISTENER_PORT", "Verification", "VerificationCheck", "check_url",
    "idle_color", "record_verification", "unreachable_only", "verify",
]
