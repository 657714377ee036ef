"""`hivemind diagnose ID` and `hivemind diagnose --message TEXT`: the Medic's diagnosis of a failure."""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from ..errors import HivemindError
from .app import app, console, err_console

_REGION_HELP = "AWS region (default: the deployment's, else AWS_REGION/AWS_DEFAULT_REGION, else us-east-1)."


def _print(diagnosis, diff: str | None) -> None:
    retry = {True: "yes", False: "no", "sometimes": "sometimes (a retry may pass; the change is the reliable fix)"}
    rows = [
        ("category", diagnosis.category),
        ("root cause", diagnosis.root_cause),
        ("fix", diagnosis.fix),
        ("retry alone", retry.get(diagnosis.retry_alone_fixes, str(diagnosis.retry_alone_fixes))),
        ("rule", diagnosis.rule),
    ]
    evidence = diagnosis.evidence
    where = " ".join(p for p in (evidence.stack, evidence.logical_id,
                                 f"({evidence.resource_type})" if evidence.resource_type else None, evidence.status) if p)
    if where:
        rows.append(("event", where))
    if evidence.reason:
        rows.append(("reason", evidence.reason))
    for label, value in rows:
        console.print(f"[bold]{label + ':':<13}[/]{escape(str(value))}", highlight=False, soft_wrap=True)
    if evidence.chain and len(evidence.chain) > 1:
        console.print("[bold]failed events of the operation:[/]", highlight=False)
        for line in evidence.chain:
            console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    if diagnosis.plan_patch:
        console.print("[bold]proposed change to hivemind.yaml:[/]", highlight=False)
        if diff:
            console.print(escape(diff.rstrip("\n")), highlight=False, soft_wrap=True)
        else:
            console.print(escape(json.dumps(diagnosis.plan_patch)), highlight=False, soft_wrap=True)
    if diagnosis.commands:
        console.print("[bold]commands:[/]", highlight=False)
        for command in diagnosis.commands:
            console.print(f"  {escape(command)}", highlight=False, soft_wrap=True)


def _store(deployment_id: str, region: str, diagnosis, failure_time) -> str | None:
    """Save the diagnosis into the state; a warning (not an error) when that is not possible now."""
    from ..aws import AwsError
    from ..state import DeploymentLocked, deployment_lock, load_state, save_state

    def store(remote: bool) -> str | None:
        with deployment_lock(deployment_id, region=region, command="diagnose", remote=remote):
            state = load_state(deployment_id, region)
            if state.failure is not None and failure_time is not None and state.failure.time != failure_time:
                return "not stored: the deployment failed again meanwhile; run diagnose again"
            state.diagnosis = diagnosis.model_dump(mode="json")
            save_state(state, remote=remote)
        return None if remote else "stored on this machine only (AWS unreachable)"

    try:
        try:
            return store(remote=True)
        except AwsError:
            return store(remote=False)
    except DeploymentLocked as exc:
        return f"not stored: {exc}"
    except HivemindError as exc:
        return f"not stored: {exc}"


@app.command("diagnose")
def diagnose_command(
    deployment_id: Optional[str] = typer.Argument(None, metavar="ID", help="Deployment id: diagnose its last failure."),
    message: Optional[str] = typer.Option(None, "--message", help="Any AWS / CloudFormation error text to diagnose."),
    resource_type: Optional[str] = typer.Option(None, "--resource-type", help="The failing resource's type, "
                                                "e.g. AWS::RDS::DBInstance (with --message)."),
    as_json: bool = typer.Option(False, "--json", help="Print the diagnosis as JSON on stdout and nothing else."),
    region: Optional[str] = typer.Option(None, "--region", help=_REGION_HELP),
) -> None:
    """Find the root cause of a failure, in plain words, and the fix (a plan change or commands)."""
    from ..medic import diagnose_message, diagnose_state, preview_patch
    from ..medic.patches import PatchRejected

    if deployment_id is not None and message is not None:
        raise HivemindError("give either a deployment ID or --message, not both", exit_code=2)
    diff = None
    note = None
    if message is not None:
        if not message.strip():
            raise HivemindError("--message is empty: pass the error text to diagnose", exit_code=2)
        diagnosis = diagnose_message(message, resource_type)
    elif deployment_id is not None:
        from ..state import check_deployment_id, load_state

        state = load_state(check_deployment_id(deployment_id), region)
        if state.failure is None and not state.last_error:
            raise HivemindError(f"deployment '{state.id}' has not failed (status: {state.status.value}); "
                                "nothing to diagnose", exit_code=2)
        diagnosis = diagnose_state(state)
        if diagnosis.plan_patch:
            try:
                diff = preview_patch(state.plan, diagnosis.plan_patch)
            except PatchRejected:
                diff = None
    else:
        raise HivemindError("nothing to diagnose: give a deployment ID or --message TEXT", exit_code=2)
    if as_json:
        typer.echo(diagnosis.model_dump_json(indent=2))
    else:
        _print(diagnosis, diff)
    if deployment_id is not None:
        note = _store(state.id, state.region, diagnosis, state.failure.time if state.failure else None)
    if note:
        err_console.print(f"warning: diagnosis {note}", highlight=False, soft_wrap=True)
