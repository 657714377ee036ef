"""Deploys through a fault-injecting proxy in front of the moto server: throttling is absorbed,
a persistent outage while CloudFormation works is shown and bounded, and leaves a truthful state."""
from __future__ import annotations

import pytest
from botocore.config import Config

from hivemind.errors import HivemindError
from hivemind.state import DeploymentStatus, load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.ui import QuietUI

from .test_releases_moto import FAST, NAME


class Recording(QuietUI):
    def __init__(self):
        super().__init__()
        self.statuses: list[tuple[str, str]] = []

    def progress(self, stack_names):
        ui = self

        class Sink:
            def set_status(self, stack, status):
                ui.statuses.append((stack, status))

            def add_events(self, stack, events):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return None

        return Sink()


def test_a_deploy_completes_while_30_percent_of_calls_are_throttled(aws, fault_proxy, tmp_path):
    import shutil
    from pathlib import Path

    # A smaller app (no database): botocore's adaptive back-off makes every throttled call slow.
    app = tmp_path / "go-api"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "go-api", app)
    fault_proxy.configure(throttle=0.3, seed=7)
    result = deploy(app, stage="stage-1", yes=True, ui=QuietUI(), **FAST)
    assert result.lifecycle.status == "succeeded"
    assert fault_proxy.stats().get("throttle", 0) > 10  # the faults really happened
    assert load_state(result.plan.name).status is DeploymentStatus.COMPLETED


def test_an_outage_while_stacks_are_waited_on_is_shown_and_bounded(aws, fault_proxy, repo, monkeypatch):
    from hivemind.deploy import cfn

    # One attempt per call (botocore's ten adaptive retries would only make the test slow) and a
    # two-second budget of consecutive errors instead of five minutes.
    monkeypatch.setattr(cfn, "CLIENT_CONFIG", Config(retries={"max_attempts": 1, "mode": "standard"}))
    monkeypatch.setenv("HIVEMIND_AWS_ERROR_BUDGET", "2")
    executed = []

    def outage_after_execute(call) -> bool:
        if call.action == "ExecuteChangeSet":
            executed.append(call)
            return False
        return bool(executed) and call.service == "cloudformation" and call.action == "DescribeStacks"

    fault_proxy.configure(outage="503", only=outage_after_execute)
    ui = Recording()
    with pytest.raises(HivemindError) as exc:
        deploy(repo, stage="stage-1", yes=True, ui=ui, **FAST)
    message = str(exc.value)
    assert "gave up after" in message and "of AWS errors" in message and "\n" not in message
    shown = [s for _, s in ui.statuses if s.startswith("AWS errors for ")]
    assert shown and "503" in shown[0] and shown[0].endswith("retrying")
    fault_proxy.clear()
    state = load_state(NAME)
    # Truthful: a failure, with the phase where it happened; never "completed", never in progress.
    assert state.status in (DeploymentStatus.FAILED, DeploymentStatus.AWAITING_FIX)
    assert state.failed_stage == "execute" and not state.status.in_progress
