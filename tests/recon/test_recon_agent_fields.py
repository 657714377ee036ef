"""The new plan fields through the Recon agent's merge: a release command must be shown by the line
it cites, like start and build commands; a need can be added with its evidence."""
from __future__ import annotations

import json

from hivemind.agents.merge import merge_proposal
from hivemind.agents.proposal import FieldChange, ReconProposal
from hivemind.agents.repo_tools import RepoSandbox
from hivemind.recon import analyse_repo


def test_release_command_needs_a_line_that_shows_it_and_needs_can_be_added(make_repo):
    repo = make_repo({
        "package.json": json.dumps({"dependencies": {"express": "4"}, "scripts": {"start": "node index.js"}}, indent=2),
        "bin/migrate.sh": "#!/bin/sh\nnpx knex migrate:latest\n",
        "index.js": "const key = process.env.STRIPE_KEY\n",
    })
    draft = analyse_repo(repo)
    proposal = ReconProposal(changes=[
        FieldChange(field="services[0].release_command", value="npx knex migrate:latest", source="index.js:1",
                    reason="migrations"),
        FieldChange(field="needs[0]", value={"name": "STRIPE_KEY", "source": "index.js:1", "reason": "read"},
                    source="index.js:1", reason="read with no default"),
    ], summary="")
    plan, report = merge_proposal(draft, proposal, RepoSandbox(repo))
    assert [c.field for c, _ in report.rejected] == ["services[0].release_command"]
    assert "does not show the command" in report.rejected[0][1]
    assert [n.name for n in plan.needs] == ["STRIPE_KEY"]

    ok = ReconProposal(changes=[FieldChange(field="services[0].release_command", value="npx knex migrate:latest",
                                            source="bin/migrate.sh:2", reason="migrations")], summary="")
    plan, report = merge_proposal(draft, ok, RepoSandbox(repo))
    assert plan.services[0].release_command == "npx knex migrate:latest" and not report.rejected
