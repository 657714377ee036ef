"""verify(): run the named QA checks against a deployment and return one Verification."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..errors import HivemindError
from ..state.models import DeploymentState, Verification, VerificationCheck, utcnow
from ..state.store import append_history
from . import fleet, net

CHECK_NAMES = ("dns", "port", "tls", "http", "targets", "database", "cache")
TEST_LISTENER_PORT = 9000  # the edge's test listener: plain HTTP on the ALB's DNS name, idle colour
DEFAULT_TIMEOUT = 10.0


def check_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL with a host, else a one-line HivemindError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise HivemindError(f"--url {url!r} is not a URL (expected http:// or https:// then a host, an optional :port and /path)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HivemindError(f"--url {url!r} is not a URL (expected http:// or https:// then a host, an optional :port and /path)")
    return url


def idle_color(state: DeploymentState) -> str:
    return "green" if (state.active_color or "blue") == "blue" else "blue"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _host_as_written(netloc: str) -> str:
    """The host part of a netloc, case kept (urlsplit's .hostname lower-cases it)."""
    host = netloc.rsplit("@", 1)[-1]
    return host[:host.index("]") + 1] if host.startswith("[") else host.split(":", 1)[0]


def _url_checks(url: str, wanted: set[str], health_path: str, timeout: float) -> list[VerificationCheck]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    checks: list[VerificationCheck] = []
    reachable = True
    why = ""
    if "dns" in wanted:
        if _is_ip(host):
            checks.append(VerificationCheck(name="dns", passed=True, detail=f"{host} is an IP address (nothing to resolve)"))
        else:
            dns = net.check_dns(host, timeout)
            checks.append(dns)
            if not dns.passed:
                reachable, why = False, f"{host} does not resolve"
    if "port" in wanted:
        if reachable:
            port_check = net.check_port(host, port, timeout)
            checks.append(port_check)
            if port_check.unreachable:
                reachable, why = False, f"{host}:{port} cannot be reached"
        else:
            checks.append(net.not_tried("port", why))
    if https and "tls" in wanted:
        checks.append(net.check_tls(host, port, timeout) if reachable else net.not_tried("tls", why))
    if "http" in wanted:
        paths = list(dict.fromkeys([health_path, "/"]))
        checks.append(net.check_http(url, paths, timeout) if reachable else net.not_tried("http", why))
    return checks


def verify(
    state: DeploymentState,
    *,
    url: str | None = None,
    test_listener: bool = False,
    checks: tuple[str, ...] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Verification:
    """Run the QA checks on `state`'s deployment and return the result (nothing is saved).

    - `url`: the address to check (e.g. a custom domain); default `state.url` (the ALB).
    - `test_listener`: check the *idle* colour (the one that is not `state.active_color`) through
      the ALB's test listener, http://<ALB DNS name>:9000 (a `url` given too keeps its host and
      scheme but takes port 9000); the targets check then reads the idle colour's target group,
      and the database/cache probe runs on an idle-colour instance.
    - `checks`: the names to run, a subset of CHECK_NAMES; default: every one that applies
      (tls for https only, targets for web services, database/cache when the plan has them).
      A named check that does not apply is left out (the result has no entry for it).
    - `timeout`: seconds per network operation (and the bound of the Run Command probe).

    Each check is `{name, passed, detail, seconds, unreachable, data}`; `unreachable=True` means
    the address could not be reached at all (no DNS, no route, silence), so a caller may choose
    to rely on the load balancer's health checks instead; an HTTP error answer is a plain failure.
    For database/cache, `unreachable=True` means no verdict came back from inside the VPC (no
    instance, Run Command refused or silent); the probe's own "connection refused" is a failure.
    `Verification.passed` is True only when every check ran passed. Never raises for a failed
    check; raises HivemindError for an unknown check name or a `url` that is not a URL.
    """
    unknown = sorted(set(checks or ()) - set(CHECK_NAMES))
    if unknown:
        raise HivemindError(f"unknown check(s) {', '.join(unknown)} (choose from {', '.join(CHECK_NAMES)})")
    if url is not None:
        check_url(url)
    plan = state.plan
    web = plan.web_services
    color = idle_color(state) if test_listener else (state.active_color or "blue")
    target = url or state.url
    if target and test_listener:
        parts = urlsplit(target)
        host = _host_as_written(parts.netloc)
        target = f"http://{host}:{TEST_LISTENER_PORT}" if not url else parts._replace(
            netloc=f"{host}:{TEST_LISTENER_PORT}").geturl()
    applicable = {"targets"} if web else set()
    if web or url:
        applicable |= {"dns", "port", "http"}
        if target is None or urlsplit(target).scheme == "https":
            applicable.add("tls")  # no URL known: the address checks all say so
    if plan.database:
        applicable.add("database")
    if plan.cache:
        applicable.add("cache")
    wanted = set(checks) if checks else applicable
    results: list[VerificationCheck] = []
    wanted &= applicable  # a named check that does not apply (tls on http, no database) is not run
    url_names = wanted & {"dns", "port", "tls", "http"}
    if url_names:
        if target:
            health = web[0].health_check_path if web else "/"
            results += _url_checks(target, url_names, health, timeout)
        else:
            results += [VerificationCheck(name=n, passed=False, unreachable=True,
                                          detail="no URL known for this deployment (is the edge stack deployed?)")
                        for n in CHECK_NAMES if n in url_names and n != "tls"]
    if "targets" in wanted:
        results.append(fleet.check_targets(state, color))
    results += fleet.check_data_reachable(state, tuple(k for k in ("database", "cache") if k in wanted), color, timeout)
    order = {name: i for i, name in enumerate(CHECK_NAMES)}
    results.sort(key=lambda c: order.get(c.name, len(order)))
    # No applicable check (a worker-only plan without data stores): nothing failed.
    return Verification(time=utcnow(), passed=all(c.passed for c in results), url=target,
                        color=color, checks=results)


def unreachable_only(result: Verification) -> bool:
    """True when checks failed and every failure is `unreachable` (the address could not be
    reached from here): a caller may then rely on the load balancer's own health checks (the
    `targets` check, if it ran, passed)."""
    failed = [c for c in result.checks if not c.passed]
    return bool(failed) and all(c.unreachable for c in failed)


def record_verification(state: DeploymentState, result: Verification) -> None:
    """Keep `result` as `state.verification` and add a history event; the caller saves the state
    (under the deployment lock). The deployment's status is not changed."""
    state.verification = result
    failed = [c for c in result.checks if not c.passed]
    if result.passed:
        detail = "passed: " + ", ".join(c.name for c in result.checks)
    else:
        detail = "failed: " + "; ".join(f"{c.name} ({c.detail})" for c in failed)
    append_history(state, "verify", detail)
