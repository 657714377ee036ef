"""A failed deploy hands its root cause to the Medic, waits for the fix (awaiting_fix), and
`retry` runs it again to completion; bad retries are one line."""
from __future__ import annotations

import boto3
import pytest

from hivemind.errors import HivemindError
from hivemind.state import DeploymentStatus, load_state
from hivemind.workflows.deploy import deploy
from hivemind.workflows.retry import MAX_RETRIES, retry

from .test_releases_moto import FAST, NAME, REGION, TUNING, live_stacks


def test_a_failed_deploy_is_diagnosed_and_retry_completes_it(aws, repo):
    rds = boto3.client("rds", region_name=REGION)
    # Someone else's database holds the identifier HiveMind derives: the data stack cannot create it.
    rds.create_db_instance(DBInstanceIdentifier=f"{NAME}-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="someone", MasterUserPassword="someone-elses-1", AllocatedStorage=20)
    with pytest.raises(HivemindError):
        deploy(repo, stage="stage-1", yes=True, **FAST)
    state = load_state(NAME)
    assert state.status is DeploymentStatus.AWAITING_FIX
    assert state.diagnosis["category"] == "name_conflict", state.diagnosis
    assert state.diagnosis["evidence"]["stack"] == f"{NAME}-data"
    assert state.failure.stack == f"{NAME}-data"

    # The user clears the conflict (here: the other database goes away), then retries. The data
    # stack's never-executed change set (REVIEW_IN_PROGRESS on moto) is cleared and created again.
    rds.delete_db_instance(DBInstanceIdentifier=f"{NAME}-db", SkipFinalSnapshot=True)
    result = retry(NAME, repo, yes=True, tuning=TUNING)
    assert result.lifecycle.status == "succeeded" and result.lifecycle.release == "v2"
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and state.retry_count == 0 and state.diagnosis is None
    assert f"{NAME}-app-blue" in live_stacks() and state.live_release.label == "v2"


def test_retry_runs_the_failed_deploy_again_and_clears_the_failure(aws, repo):
    from hivemind.state import deployment_lock, save_state
    from hivemind.state.models import FailureInfo, OperationRecord

    deploy(repo, stage="stage-1", yes=True, **FAST)
    with deployment_lock(NAME):
        state = load_state(NAME)
        state.status = DeploymentStatus.AWAITING_FIX
        state.operations.append(OperationRecord(id="hm-deploy-x", action="deploy", status="failed"))
        state.failure = FailureInfo(stack=f"{NAME}-app-blue", reason="Resource timed out waiting for signals")
        state.diagnosis = {"root_cause": "the instances never signalled", "plan_patch": None}
        save_state(state)
    result = retry(NAME, repo, yes=True, tuning=TUNING)
    assert result.lifecycle.action == "deploy" and result.lifecycle.status == "succeeded"
    # Completed stacks were compared, not re-deployed: no change set was needed.
    assert result.lifecycle.stacks_changed == []
    state = load_state(NAME)
    assert state.status is DeploymentStatus.COMPLETED and state.retry_count == 0
    assert state.diagnosis is None and state.failure is None

    with pytest.raises(HivemindError, match="no failure to retry") as exc:
        retry(NAME, repo, yes=True, tuning=TUNING)
    assert exc.value.exit_code == 2


def test_retry_refuses_past_the_limit(aws, repo):
    from hivemind.state import deployment_lock, save_state
    from hivemind.state.models import OperationRecord

    deploy(repo, stage="stage-1", yes=True, **FAST)
    with deployment_lock(NAME):
        state = load_state(NAME)
        state.status = DeploymentStatus.AWAITING_FIX
        state.operations.append(OperationRecord(id="hm-deploy-x", action="deploy", status="failed"))
        state.retry_count = MAX_RETRIES
        state.diagnosis = {"root_cause": "the instance type is not offered in this zone"}
        save_state(state)
    with pytest.raises(HivemindError) as exc:
        retry(NAME, repo, yes=True, tuning=TUNING)
    assert exc.value.exit_code == 2 and "needs a person: the instance type is not offered" in str(exc.value)
