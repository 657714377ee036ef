"""Suite-wide isolation: no test reads the developer's ~/.hivemind, AWS credentials or API keys."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

_LEAKY_ENV = (
    "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "HIVEMIND_MODEL", "HIVEMIND_CFN_ROLE_ARN",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist's loadgroup, each file runs on one worker (module-scoped deployments are
    made once); the stock-CDK-CLI files share one group: they all write the repository's cdk.out."""
    for item in items:
        path = item.path.relative_to(config.rootpath)
        group = "cdk-cli" if path.parts[:2] == ("tests", "cdk_cli") else str(path)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    for name in _LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HIVEMIND_HOME", str(tmp_path_factory.mktemp("hivemind-home")))
    # boto3 must never find a real config or credentials file on the developer's machine.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    # boto3 sessions cache the credentials (and config) they resolved: one test's moto credentials
    # must not follow the next test, which may expect none.
    from hivemind import aws

    aws._session.cache_clear()
    # rich fixes a console's width when COLUMNS is set as it is made (a test's COLUMNS, a CLI runner's):
    # the CLI's shared consoles follow each test's own COLUMNS instead.
    import sys

    cli_app = sys.modules.get("hivemind.cli.app")
    if cli_app is not None:
        for console in (cli_app.console, cli_app.err_console):
            monkeypatch.setattr(console, "_width", None)


# --- AWS: a real moto server on 127.0.0.1, reached over HTTP by boto3 and by CLI subprocesses ---

@pytest.fixture(scope="session")
def moto_server():
    """One ThreadedMotoServer for the session; yields its base URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """A clean moto account for one test: env points boto3 (and subprocesses) at the server."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return moto_server


@pytest.fixture
def fault_proxy(aws, monkeypatch):
    """The moto server behind a fault-injecting proxy (tests/faultproxy.py): AWS_ENDPOINT_URL points
    at the proxy for this test (and its subprocesses); no faults until `fault_proxy.configure(...)`."""
    import sys
    from pathlib import Path

    here = str(Path(__file__).parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from faultproxy import FaultProxy

    proxy = FaultProxy(aws).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def cli(capsys):
    """Run `hivemind ...` in-process; returns (exit code, stdout, stderr)."""
    from hivemind.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))  # returns on success, sys.exit()s on errors
        except SystemExit as exited:
            code = exited.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def repo(tmp_path):
    """A private copy of examples/express-postgres (Node + Postgres), the app most tests deploy."""
    import shutil
    from pathlib import Path

    target = tmp_path / "express-postgres"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "express-postgres", target)
    return target
