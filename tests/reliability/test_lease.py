"""The lock in AWS: two machines (two HIVEMIND_HOMEs, separate processes) never both hold a
deployment; the second waits or is refused naming the holder; a dead holder's lease is taken
over after its expiry; `hivemind unlock` breaks one; a broken lease stops its holder writing."""
from __future__ import annotations

import json
import os
import socket
import time

import boto3
import pytest

from hivemind.aws import AwsError
from hivemind.state import (
    DeploymentLocked, DeploymentState, StateConflict, deployment_lock, load_state, locked_elsewhere, save_state,
)
from hivemind.state.lease import lease_key, read_lease

from .conftest import REGION


def _lease_body(bucket: str, deployment_id: str = "orders-api") -> dict:
    obj = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=lease_key(deployment_id))
    return json.loads(obj["Body"].read())


def _wait_for(predicate, what: str, limit: float = 30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_two_homes_at_once_exactly_one_holds_and_the_other_is_told_who(bootstrapped, homes, locker):
    a = locker(homes.paths["a"], command="deploy", gate=True)
    b = locker(homes.paths["b"], command="update", gate=True)
    a.go(), b.go()  # both try at the same moment
    first = {"a": a.line(), "b": b.line()}
    held = [k for k, line in first.items() if line.startswith("HELD ")]
    refused = [k for k, line in first.items() if line.startswith("REFUSED ")]
    assert len(held) == 1 and len(refused) == 1, first
    holder = {"a": a, "b": b}[held[0]]
    owner = json.loads(first[held[0]].removeprefix("HELD "))
    assert owner["pid"] == holder.proc.pid and owner["host"] == socket.gethostname()
    message = first[refused[0]].removeprefix("REFUSED ")
    command = {"a": "deploy", "b": "update"}[held[0]]
    assert message.startswith(f"deployment 'orders-api' is locked by `hivemind {command}` run by {owner['who']} "
                              f"on {owner['host']} (pid {holder.proc.pid}) since {owner['since']}")
    assert "hivemind unlock orders-api --force" in message and "\n" not in message
    # The lease names the holder in AWS, and once released another machine takes it at once.
    assert _lease_body(bootstrapped)["pid"] == holder.proc.pid
    assert holder.release() == "DONE"
    assert _lease_body(bootstrapped)["released"] is True
    homes.use("a")
    with deployment_lock("orders-api", region=REGION, command="destroy") as lease:
        assert lease.owner["pid"] == os.getpid() and lease.owner["command"] == "destroy"


def test_the_second_writer_waits_for_the_first_to_finish(bootstrapped, homes, locker):
    a = locker(homes.paths["a"], command="deploy")
    assert a.line().startswith("HELD ")
    b = locker(homes.paths["b"], command="deploy", wait=60)
    waiting = b.line()
    assert waiting.startswith("WAITING waiting up to 60 s for the lock of 'orders-api', held by `hivemind deploy`")
    assert f"(pid {a.proc.pid})" in waiting
    assert a.release() == "DONE"
    assert b.line().startswith("HELD ")   # got it as soon as the first one let go
    assert _lease_body(bootstrapped)["pid"] == b.proc.pid
    assert b.release() == "DONE"


def test_a_dead_holders_lease_is_taken_over_after_its_expiry(bootstrapped, homes, locker):
    a = locker(homes.paths["a"], command="deploy", ttl=4)
    assert a.line().startswith("HELD ")
    homes.use("b")
    with pytest.raises(DeploymentLocked, match=rf"pid {a.proc.pid}"):
        with deployment_lock("orders-api", region=REGION, command="deploy"):
            pytest.fail("took a live lease")
    a.proc.kill()        # the CI job is killed: no release, no more heartbeats
    a.proc.wait(timeout=30)
    assert read_lease("orders-api", REGION).released is False  # the dead holder's lease is still there
    with deployment_lock("orders-api", region=REGION, command="retry", wait=60, poll=0.1) as lease:
        body = _lease_body(bootstrapped)
        assert body["pid"] == os.getpid() and body["token"] == lease.token
        assert f"(pid {a.proc.pid})" in body["took_over_from"]


def test_the_heartbeat_keeps_a_long_command_locked_past_its_ttl(bootstrapped, homes, locker):
    a = locker(homes.paths["a"], command="deploy", ttl=2)   # heartbeat every 0.5 s
    assert a.line().startswith("HELD ")
    # Three times the ttl's worth of beats: without them the lease would have expired long ago.
    _wait_for(lambda: read_lease("orders-api", REGION).beat >= 12, "12 heartbeats")
    assert not read_lease("orders-api", REGION).expired
    homes.use("b")
    with pytest.raises(DeploymentLocked):
        with deployment_lock("orders-api", region=REGION, command="deploy"):
            pass
    assert a.release() == "DONE"


def test_unlock_breaks_a_dead_lease_after_confirmation_and_the_holder_stops_writing(bootstrapped, homes, cli,
                                                                                   make_plan):
    homes.use("a")
    save_state(DeploymentState.new(make_plan()))
    with deployment_lock("orders-api", region=REGION, command="deploy", ttl=60) as lease:
        lease._stop.set()  # this holder "hangs": no more heartbeats (its lease still looks alive)
        state = load_state("orders-api")
        homes.use("b")      # the operator on another machine
        code, out, err = cli("unlock", "orders-api")
        assert code == 2 and "looks alive; if that command is dead, rerun with --force" in err
        code, out, err = cli("unlock", "orders-api", "--force")   # stdin is not a terminal: no prompt
        assert code == 2 and "rerun with --yes" in err
        assert not read_lease("orders-api", REGION).released
        code, out, err = cli("unlock", "orders-api", "--force", "--yes")
        assert code == 0, err
        assert f"unlocked 'orders-api' in {REGION} (was held by `hivemind deploy`" in out
        assert read_lease("orders-api", REGION).released
        # The broken holder learns it at its next heartbeat and may no longer write AWS.
        lease._stop.clear()
        lease.beat()
        assert lease.lost and "broken by" in lease.lost_reason
        homes.use("a")
        state.active_color = "green"
        with pytest.raises(DeploymentLocked, match="was lost"):
            save_state(state)
        # Another machine can take the deployment right away.
        homes.use("b")
        code, out, _ = cli("unlock", "orders-api")
        assert code == 0 and "is not locked" in out
    assert _lease_body(bootstrapped)["broken_by"]  # releasing a lost lease wrote nothing over the break
    homes.use("a")
    assert load_state("orders-api").active_color is None  # the refused write never reached SSM


def test_reentry_joins_the_outer_lease_and_remote_false_takes_none(bootstrapped):
    with deployment_lock("orders-api", region=REGION, command="deploy") as outer:
        with deployment_lock("orders-api", region=REGION, command="deploy") as inner:
            assert inner is outer
        assert not read_lease("orders-api", REGION).released  # the inner exit released nothing
    assert read_lease("orders-api", REGION).released
    with deployment_lock("billing-api", remote=False) as none:
        assert none is None
    assert read_lease("billing-api", REGION) is None


def test_remote_false_never_touches_aws(fault_proxy):
    fault_proxy.configure(outage="503")
    with deployment_lock("orders-api", remote=False, command="deploy --what-if") as lease:
        assert lease is None and locked_elsewhere("orders-api") is False
    assert fault_proxy.stats()["calls"] == 0


def test_aws_unreachable_is_one_line_and_leaves_nothing_held(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    with pytest.raises(AwsError) as err:
        with deployment_lock("orders-api", region=REGION, command="deploy"):
            pytest.fail("held a lock AWS never granted")
    assert str(err.value).startswith("looking up the HiveMind bootstrap stack in us-east-1: cannot reach AWS")
    with deployment_lock("orders-api", remote=False):  # the local layer was let go
        pass


def test_a_fresh_region_is_bootstrapped_by_the_first_lock(aws):
    with deployment_lock("orders-api", region="eu-west-1", command="deploy") as lease:
        assert lease.bucket and lease.region == "eu-west-1"
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    assert cfn.describe_stacks(StackName="hivemind-bootstrap")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_the_lock_is_taken_while_a_share_of_calls_is_throttled(bootstrapped, fault_proxy, homes, locker):
    fault_proxy.configure(throttle=0.3, seed=5, only=lambda call: call.service == "s3")
    # A ttl well above botocore's backoff for a throttled heartbeat (seconds, with adaptive mode).
    a = locker(homes.paths["a"], command="deploy", ttl=8)
    assert a.line().startswith("HELD ")
    _wait_for(lambda: read_lease("orders-api", REGION).beat >= 4, "heartbeats through throttling")
    homes.use("b")
    with pytest.raises(DeploymentLocked):
        with deployment_lock("orders-api", region=REGION, command="deploy"):
            pass
    assert a.release() == "DONE"
    assert fault_proxy.stats().get("throttle", 0) > 0


def test_a_stale_copy_is_refused_even_under_the_lease(bootstrapped, homes, make_plan):
    homes.use("a")
    save_state(DeploymentState.new(make_plan()))
    stale = load_state("orders-api")
    newer = load_state("orders-api")
    newer.active_color = "green"
    save_state(newer)
    with deployment_lock("orders-api", region=REGION, command="deploy"):
        with pytest.raises(StateConflict, match=r"is at revision 2 .* based on revision 1"):
            save_state(stale)
    assert load_state("orders-api").active_color == "green"


def test_ctrl_c_inside_the_block_releases_the_lease(bootstrapped):
    with pytest.raises(KeyboardInterrupt):
        with deployment_lock("orders-api", region=REGION, command="deploy") as lease:
            assert not read_lease("orders-api", REGION).released
            raise KeyboardInterrupt
    assert read_lease("orders-api", REGION).released and lease._stop.is_set()  # no more heartbeats
    with deployment_lock("orders-api", region=REGION, command="deploy"):  # free for the next command at once
        pass


@pytest.mark.parametrize("outage", ["reset", "503"])
def test_an_outage_while_taking_the_lock_is_one_line(bootstrapped, fault_proxy, outage, monkeypatch):
    from hivemind import aws as hm_aws

    from botocore.config import Config

    # Two attempts instead of ten: the outcome is the same, the test is faster.
    monkeypatch.setattr(hm_aws, "CLIENT_CONFIG", hm_aws.CLIENT_CONFIG.merge(
        Config(retries={"max_attempts": 2, "mode": "standard"})))
    fault_proxy.configure(outage=outage, only=lambda call: call.service == "s3")
    with pytest.raises(AwsError) as err:
        with deployment_lock("orders-api", region=REGION, command="deploy"):
            pytest.fail("held a lock AWS never granted")
    assert str(err.value).startswith("taking the lock of 'orders-api' in us-east-1: ") and "\n" not in str(err.value)


def test_an_outage_at_release_does_not_hide_the_commands_own_error(bootstrapped, fault_proxy, monkeypatch):
    from botocore.config import Config

    from hivemind import aws as hm_aws

    monkeypatch.setattr(hm_aws, "CLIENT_CONFIG", hm_aws.CLIENT_CONFIG.merge(
        Config(retries={"max_attempts": 2, "mode": "standard"})))
    with pytest.raises(RuntimeError, match="the deploy's own failure"):
        with deployment_lock("orders-api", region=REGION, command="deploy"):
            fault_proxy.configure(outage="reset")
            raise RuntimeError("the deploy's own failure")
    fault_proxy.clear()
    assert read_lease("orders-api", REGION).released is False   # left to expire by itself
    with deployment_lock("orders-api", remote=False):            # the local layer was released
        pass


@pytest.mark.parametrize("garbage", [b"", b"{\"pid\": \"abc\"", b"[1, 2]", b"{\"pid\": \"x\", \"ttl\": \"long\"}"])
def test_a_garbled_lease_object_is_replaced_by_the_next_taker(bootstrapped, garbage):
    boto3.client("s3", region_name=REGION).put_object(Bucket=bootstrapped, Key=lease_key("orders-api"), Body=garbage)
    assert read_lease("orders-api", REGION).released
    with deployment_lock("orders-api", region=REGION, command="deploy") as lease:
        assert _lease_body(bootstrapped)["token"] == lease.token


@pytest.mark.parametrize("typed,expected_exit", [("orders-api", 0), ("orders-ap", 2)])
def test_unlock_on_a_terminal_asks_to_type_the_id(bootstrapped, homes, locker, typed, expected_exit):
    import pty
    import subprocess
    import sys

    holder = locker(homes.paths["a"], command="deploy")
    assert holder.line().startswith("HELD ")
    controller, terminal = pty.openpty()
    env = dict(os.environ, HIVEMIND_HOME=str(homes.paths["b"]), COLUMNS="200", TERM="dumb")
    proc = subprocess.Popen([sys.executable, "-m", "hivemind", "unlock", "orders-api", "--force"], stdin=terminal,
                            stdout=terminal, stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    seen = b""
    while b"to break its lock" not in seen:
        chunk = os.read(controller, 4096)
        assert chunk, seen
        seen += chunk
    os.write(controller, typed.encode() + b"\n")
    assert proc.wait(timeout=120) == expected_exit
    try:
        while chunk := os.read(controller, 4096):
            seen += chunk
    except OSError:  # the terminal closes with the process
        pass
    os.close(controller)
    text = seen.decode(errors="replace")
    assert "held by `hivemind deploy` run by" in text and f"(pid {holder.proc.pid})" in text
    if expected_exit == 0:
        assert "unlocked 'orders-api'" in text and read_lease("orders-api", REGION).released
    else:
        assert "not unlocked: the id typed does not match" in text and not read_lease("orders-api", REGION).released
