"""Merging a Recon proposal into the draft: field by field, evidence checked, detectors respected."""
from __future__ import annotations

import pytest

from hivemind.agents import FieldChange, ReconProposal, RepoSandbox, merge_proposal
from hivemind.agents.merge import normalise_path, parse_path, ChangeRejected
from hivemind.plan import DeploymentPlan


def draft(**overrides) -> DeploymentPlan:
    data = {
        "name": "payments",
        "services": [{"name": "web", "kind": "web", "runtime": "node", "framework": "express", "port": 3000,
                      "start_command": "npm start", "health_check_path": "/"}],
        "evidence": [
            {"field": "services[0].port", "value": "3000", "source": "src/server.js:8", "reason": "listen",
             "origin": "detector"},
            {"field": "services[0].health_check_path", "value": "/", "source": "default", "reason": "none found",
             "origin": "default"},
            {"field": "services[0].runtime", "value": "node", "source": "package.json", "reason": "manifest",
             "origin": "detector"},
        ],
    }
    data.update(overrides)
    return DeploymentPlan.model_validate(data)


def change(field, value, source="src/server.js:4", reason="seen") -> FieldChange:
    return FieldChange(field=field, value=value, source=source, reason=reason)


def merge(node_repo, *changes, description="", plan=None):
    return merge_proposal(plan or draft(), ReconProposal(changes=list(changes)), RepoSandbox(node_repo),
                          description=description)


def reasons(report) -> dict[str, str]:
    return {c.field: why for c, why in report.rejected}


def test_accepted_change_becomes_agent_evidence(node_repo):
    plan, report = merge(node_repo, change("services[0].health_check_path", "/healthz", "src/server.js:4"))
    assert plan.services[0].health_check_path == "/healthz"
    assert report.agent_fields == ["services[0].health_check_path"] and report.rejected == []
    evidence = [e for e in plan.evidence if e.field == "services[0].health_check_path"]
    assert [(e.value, e.source, e.origin) for e in evidence] == [("/healthz", "src/server.js:4", "agent")]


def test_contradicting_a_detector_needs_repository_evidence(node_repo):
    plan, report = merge(node_repo, change("services[0].port", 4000, "description"), description="port 4000")
    assert plan.services[0].port == 3000
    assert "contradicts services[0].port=3000 proven at src/server.js:8" in reasons(report)["services[0].port"]

    plan, report = merge(node_repo, change("services[0].port", 4000, "src/server.js:8"))
    assert plan.services[0].port == 4000 and report.agent_fields == ["services[0].port"]
    # The detector's superseded claim is gone; the agent's is recorded instead.
    assert [(e.value, e.origin) for e in plan.evidence if e.field == "services[0].port"] == [("4000", "agent")]


@pytest.mark.parametrize("source, why", [
    ("src/server.js:99", "line 99 does not exist (src/server.js has 9 lines)"),
    ("src/missing.js:1", "no such text file"),
    ("../outside.js:1", "'..' is not allowed"),
    ("secret-notes.txt:1", "no such text file"),  # .gitignore'd: invisible to the agent
    (".env:1", "secrets file"),
    ("somewhere", "is not path:line"),
    ("description", "none was given"),
])
def test_unverifiable_evidence_is_rejected(node_repo, source, why):
    plan, report = merge(node_repo, change("services[0].health_check_path", "/healthz", source))
    assert plan == draft()
    assert why in reasons(report)["services[0].health_check_path"]


def test_invalid_changes_are_rejected_one_by_one(node_repo):
    plan, report = merge(
        node_repo,
        change("services[0].port", 70000, "src/server.js:8"),
        change("services[0].health_check_path", "healthz", "src/server.js:4"),
        change("services[0].framework", "express-5", "package.json:9"),
        change("services[0].colour", "blue", "package.json:1"),
    )
    why = reasons(report)
    assert why["services[0].port"] == "services[0].port: must be 1-65535"
    assert why["services[0].health_check_path"] == "services[0].health_check_path: must start with '/'"
    assert why["services[0].colour"] == "services[0].colour: unknown field"
    assert plan.services[0].framework == "express-5" and report.agent_fields == ["services[0].framework"]


def test_dependent_changes_apply_in_any_order(node_repo):
    plan, report = merge(
        node_repo,
        change("services[1].kind", "worker", "src/jobs.js:3"),  # services[1] does not exist yet
        change("services[1]", {"name": "jobs", "kind": "web", "runtime": "node", "start_command": "npm run jobs", "port": 8080},
               "package.json:5"),
        change("services[1].port", None, "src/jobs.js:1"),
    )
    assert report.rejected == []
    assert plan.services[1].name == "jobs" and plan.services[1].kind == "worker" and plan.services[1].port is None


def test_database_added_as_a_whole_object(node_repo):
    plan, report = merge(node_repo, change("database.engine", "mysql", "src/server.js:1"),
                         change("database", {"engine": "postgres", "version": "16"}, "README.md:3"))
    assert plan.database.engine == "mysql" and plan.database.version == "16"
    assert sorted(report.agent_fields) == ["database", "database.engine"]


def test_identity_secrets_and_noops_are_refused(node_repo):
    plan, report = merge(
        node_repo,
        change("name", "other"),
        change("stage", "production"),
        change("services[0].env.STRIPE_API_KEY", "sk_live_x", ".env.example:2"),
        change("services[0].env", {"DB_PASSWORD": "hunter2"}, ".env.example:2"),
        change("services[0].secrets.TOKEN", "arn:aws:secretsmanager:x", ".env.example:2"),
        change("services[0].start_command", "npm start", "package.json:5"),
        change("services.0.env.PORT", "4000", ".env.example:1"),
    )
    why = reasons(report)
    assert why["name"] == "name is set by the user, not by the agent" and "stage" in why
    assert "secrets are references" in why["services[0].env.STRIPE_API_KEY"]
    assert "DB_PASSWORD" in why["services[0].env"] and "services[0].secrets.TOKEN" in why
    assert why["services[0].start_command"] == "already the draft's value"
    assert plan.services[0].env == {"PORT": "4000"} and report.agent_fields == ["services.0.env.PORT"]
    assert "hunter2" not in plan.model_dump_json() and "sk_live_x" not in plan.model_dump_json()


@pytest.mark.parametrize("field, command, source, description, accepted", [
    # package.json:6 is `"jobs": "node src/jobs.js"`: it shows both ways of running the job.
    ("start_command", "npm run jobs", "package.json:6", "", True),
    ("start_command", "node src/jobs.js", "package.json:6", "", True),
    ("start_command", "npm run jobs", "README.md:1", "", False),  # a real line, about something else
    ("start_command", "node src/worker.js", "package.json:6", "", False),  # the line names another file
    ("build_command", "npm ci && npm run build", "src/server.js:2", "", False),
    ("build_command", "npm ci && npm run build", "description", "build it with npm run build", True),
    ("start_command", "npm run jobs", "description", "payments API", False),
    ("start_command", "node src/jobs.js", "package.json:2-6", "", True),  # a range that holds the line
    ("start_command", "node src/jobs.js", "package.json:2-4", "", False),
])
def test_a_command_needs_a_citation_that_shows_it(node_repo, field, command, source, description, accepted):
    plan, report = merge(node_repo, change(f"services[0].{field}", command, source), description=description)
    if accepted:
        assert getattr(plan.services[0], field) == command and report.rejected == []
    else:
        assert getattr(plan.services[0], field) == draft().services[0].model_dump()[field]
        assert reasons(report)[f"services[0].{field}"] == f"evidence {source!r} does not show the command {command!r}"


def test_an_env_variable_needs_a_citation_that_names_it(node_repo):
    # .env.example is "PORT=4000\nSTRIPE_KEY=\n": line 1 names PORT, not LOG_LEVEL.
    plan, report = merge(node_repo, change("services[0].env.LOG_LEVEL", "info", ".env.example:1"),
                         change("services[0].env.NODE_ENV", "production", "description"),
                         description="set NODE_ENV to production")
    assert reasons(report) == {"services[0].env.LOG_LEVEL": "evidence '.env.example:1' does not mention LOG_LEVEL"}
    assert plan.services[0].env == {"NODE_ENV": "production"}


def test_service_roots_stay_inside_the_repository(node_repo):
    plan, report = merge(node_repo, change("services[0].root", "../..", "package.json:1"),
                         change("services[1]", {"name": "api", "runtime": "node", "root": "src", "port": 4000},
                                "src/server.js:8"),
                         change("services[2]", {"name": "deps", "runtime": "node", "root": "node_modules/express"},
                                "package.json:1"))
    why = reasons(report)
    assert why["services[0].root"] == "root '../..' is not a folder of the repository"
    assert why["services[2]"] == "root 'node_modules/express' is not a folder of the repository"
    assert [s.root for s in plan.services] == [".", "src"]


def test_duplicates_and_bad_paths(node_repo):
    plan, report = merge(node_repo, change("services[0].framework", "koa", "package.json:9"),
                         change("services[0].framework", "hapi", "package.json:9"),
                         change("services[0]..port", 1), change("services[7].port", 80, "src/server.js:8"))
    why = reasons(report)
    assert plan.services[0].framework == "koa"
    assert [w for c, w in report.rejected if c.value == "hapi"] == ["duplicate change to the same field"]
    assert "not a plan path" in why["services[0]..port"] and "services[7] is not set" in why["services[7].port"]


def test_path_helpers():
    assert normalise_path("services.1.env.PORT") == "services[1].env.PORT"
    assert parse_path("services[1].env.PORT") == ["services", 1, "env", "PORT"]
    with pytest.raises(ChangeRejected):
        parse_path("[0].port")
