"""Property: whatever the model proposes, merging never raises, always yields a valid plan, and
only checkable evidence ends up in it."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hivemind.agents import FieldChange, ReconProposal, RepoSandbox, merge_proposal
from hivemind.agents.merge import _under, check_source, normalise_path
from hivemind.plan import DeploymentPlan

from .conftest import JOBS_JS, SERVER_JS, write_repo

PATHS = ["services[0].port", "services[0].kind", "services[0].framework", "services[0].root", "services[0].env.LOG",
         "services[0].env.API_TOKEN", "services[0].health_check_path", "services[1]", "services[1].kind",
         "services[0]", "database", "database.engine", "database.storage_gb", "cache", "cache.node_type",
         "observability.xray", "name", "region", "services", "services[0]..x", "evidence", "services.0.port"]
SOURCES = ["src/server.js:8", "src/server.js:4", "description", "src/server.js:999", "../x.js:1", "nowhere",
           "package.json:1", ".env:1"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 70000) | st.sampled_from(["web", "worker", "node", "postgres",
                                                                           "redis", "/", "src", "x"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "kind", "runtime", "port", "engine", "version", "root"]), children, max_size=4),
    max_leaves=6)
changes = st.lists(st.builds(FieldChange, field=st.sampled_from(PATHS), value=json_values,
                             source=st.sampled_from(SOURCES), reason=st.just("r")), max_size=8)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return write_repo(tmp_path_factory.mktemp("props") / "payments", {
        "package.json": json.dumps({"name": "payments", "scripts": {"start": "node src/server.js"}}, indent=2),
        "src/server.js": SERVER_JS, "src/jobs.js": JOBS_JS})


DRAFT = DeploymentPlan.model_validate({
    "name": "payments",
    "services": [{"name": "web", "runtime": "node", "port": 4000}],
    "evidence": [{"field": "services[0].port", "value": "4000", "source": "src/server.js:8", "reason": "listen"}],
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(proposed=changes, description=st.sampled_from(["", "payments API"]))
def test_merge_is_total_and_keeps_the_plan_valid(repo, proposed, description):
    sandbox = RepoSandbox(repo)
    plan, report = merge_proposal(DRAFT, ReconProposal(changes=proposed), sandbox, description=description)
    DeploymentPlan.model_validate(plan.model_dump())  # still a valid plan
    assert len(report.accepted) + len(report.rejected) == len(proposed)
    for e in plan.evidence:
        if e.origin == "agent":
            assert check_source(e.source, sandbox, description) is None
    assert plan.name == DRAFT.name and plan.region == DRAFT.region
    assert all("TOKEN" not in key for s in plan.services for key in s.env)
    if plan.services[0].port != 4000:  # the detector's proof was overturned: only with repository evidence
        touching = [c for c in report.accepted if _under("services[0].port", normalise_path(c.field))]
        assert touching and all(c.source != "description" for c in touching)
