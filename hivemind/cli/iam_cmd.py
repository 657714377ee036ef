"""`hivemind iam-policy [ID]`: the deployer's least-privilege policy and CloudFormation's execution role."""
from __future__ import annotations

import json
from typing import Optional

import typer

from .app import app, console


@app.command("iam-policy")
def iam_policy_command(
    deployment_id: Optional[str] = typer.Argument(None, metavar="[ID]", help="Scope both policies to this "
                                                  "deployment (its stacks, parameters, logs, snapshots, tags); "
                                                  "without it, any HiveMind deployment."),
    as_json: bool = typer.Option(False, "--json", help='Print {"deployer": ..., "execution_role": '
                                 '{"trust": ..., "policy": ...}}.'),
    region: Optional[str] = typer.Option(None, "--region", help="Region in the ARNs (default: the deployment's; "
                                         "without an ID, AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."),
    account: Optional[str] = typer.Option(None, "--account", help="12-digit AWS account id in the ARNs "
                                          "(default: '*', any account)."),
) -> None:
    """Print the deployer's IAM policy (exactly the AWS calls HiveMind makes, each scoped, plus
    iam:PassRole on the execution role) and the CloudFormation execution role (trust policy and
    the permissions its templates' resources need). Set HIVEMIND_CFN_ROLE_ARN to the role's ARN
    so change sets run as it. Needs no AWS access without an ID."""
    import re

    from ..aws import default_region
    from ..errors import HivemindError
    from ..iam import Scope, policies
    from ..iam.document import MANAGED_POLICY_MAX_CHARS, compact_size, split_for_managed_policies

    if account is not None and not re.fullmatch(r"\d{12}", account):
        raise HivemindError(f"--account must be a 12-digit AWS account id, not {account!r}")
    if region is not None and not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region):
        raise HivemindError(f"--region must be an AWS region such as us-east-1, not {region!r}")
    if deployment_id is not None:
        from ..state import check_deployment_id, load_state

        check_deployment_id(deployment_id)
        state = load_state(deployment_id, region)
        scope = Scope(deployment=state.id, region=state.region, account=account or "*")
    else:
        scope = Scope(region=default_region(region), account=account or "*")
    found = policies(scope)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    role = found["execution_role"]
    who = f"deployment '{scope.deployment}'" if scope.deployment else "any HiveMind deployment"
    for title, doc in ((f"Deployer policy ({who}, {scope.region}): attach to the user or CI role running hivemind",
                        found["deployer"]),
                       (f"Execution role '{role['name']}': trust policy (CloudFormation assumes it)", role["trust"]),
                       (f"Execution role '{role['name']}': permissions policy", role["policy"])):
        size = compact_size(doc)
        parts = len(split_for_managed_policies(doc)) if size > MANAGED_POLICY_MAX_CHARS else 1
        note = f"; {size} characters: {parts} managed policies of at most {MANAGED_POLICY_MAX_CHARS}" if parts > 1 else ""
        console.print(f"[bold]# {title}{note}[/]", highlight=False, soft_wrap=True)
        console.print_json(json.dumps(doc))
