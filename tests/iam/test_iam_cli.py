"""`hivemind iam-policy` through the real CLI (in-process `cli` fixture)."""
from __future__ import annotations

import json

from hivemind.iam.document import shape_errors


def test_json_prints_both_documents(cli):
    code, out, err = cli("iam-policy", "--json", "--region", "eu-west-1", "--account", "123456789012")
    assert code == 0, err
    printed = json.loads(out)
    assert set(printed) == {"deployer", "execution_role"}
    assert {"trust", "policy"} <= set(printed["execution_role"])
    assert shape_errors(printed["deployer"]) == [] and shape_errors(printed["execution_role"]["policy"]) == []
    every = [a for doc in (printed["deployer"], printed["execution_role"]["policy"])
             for s in doc["Statement"] for a in s["Action"]]
    assert every and not [a for a in every if "*" in a]
    resources = [r for s in printed["deployer"]["Statement"] if s["Resource"] != "*" for r in s["Resource"]]
    assert "arn:aws:cloudformation:eu-west-1:123456789012:stack/*-edge/*" in resources


def test_human_output_has_one_header_line_per_document(cli):
    code, out, err = cli("iam-policy")
    assert code == 0, err
    headers = [line for line in out.splitlines() if line.startswith("# ")]
    assert len(headers) == 3
    assert headers[0].startswith("# Deployer policy (any HiveMind deployment, us-east-1)")
    assert "trust policy" in headers[1] and "permissions policy" in headers[2]
    # Each header is followed by a JSON document.
    bodies = [b for b in out.split("\n# ")]
    docs = [json.loads(body.split("\n", 1)[1]) for body in bodies]
    assert [d["Version"] for d in docs] == ["2012-10-17"] * 3


def test_with_an_id_the_policies_name_that_deployment(aws, cli):
    from hivemind.plan import DeploymentPlan
    from hivemind.state import save_state
    from hivemind.state.models import DeploymentState

    plan = DeploymentPlan.model_validate({"name": "orders-api", "region": "us-east-1",
                                          "services": [{"name": "web", "runtime": "node", "port": 3000}]})
    save_state(DeploymentState.new(plan))  # locally and in SSM (moto)
    code, out, err = cli("iam-policy", "orders-api", "--json", "--account", "123456789012")
    assert code == 0, err
    printed = json.loads(out)
    deployer = printed["deployer"]
    stacks = next(s for s in deployer["Statement"] if "cloudformation:ExecuteChangeSet" in s["Action"])
    assert "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-api-network/*" in stacks["Resource"]
    assert not any("stack/*-" in r for r in stacks["Resource"])
    assert printed["execution_role"]["name"] == "hivemind-orders-api-cfn-exec"
    passrole = next(s for s in deployer["Statement"] if s["Action"] == ["iam:PassRole"])
    assert passrole["Resource"] == ["arn:aws:iam::123456789012:role/hivemind-orders-api-cfn-exec"]


def test_bad_input_is_one_line_and_a_nonzero_exit(aws, cli):
    for args, needle in ((("iam-policy", "--account", "12"), "--account must be a 12-digit"),
                         (("iam-policy", "--region", "mars"), "--region must be an AWS region"),
                         (("iam-policy", "nobody-here"), "unknown deployment 'nobody-here'")):
        code, out, err = cli(*args)
        assert code != 0 and out == ""
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and needle in lines[0], err
        assert "Traceback" not in err
