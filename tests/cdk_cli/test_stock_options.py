"""Which plan and render options app.py renders (hivemind/synth/stock_cli.resolve), from the local
state alone: no AWS, no CDK CLI. The end-to-end proof on moto is test_cdk_diff_moto.py."""
from __future__ import annotations

import pytest

from hivemind.errors import HivemindError
from hivemind.plan import save_plan
from hivemind.render.options import ArtifactRef, RenderOptions
from hivemind.state import DeploymentState, DeploymentStatus, save_state
from hivemind.state.models import ArtifactInfo
from hivemind.synth import load_plan_arg
from hivemind.synth.stock_cli import resolve
from hivemind.workflows import releases

V1 = ArtifactInfo(bucket="hivemind-artifacts", key="apps/express-postgres/v1.tar.gz", sha256="1" * 64)
V2 = ArtifactInfo(bucket="hivemind-artifacts", key="apps/express-postgres/v2.tar.gz", sha256="2" * 64)


@pytest.fixture
def plan_file(repo):
    return save_plan(load_plan_arg(repo), repo)


def deployed(plan_file, *, second: bool = False, image: str | None = None) -> DeploymentState:
    """A deployment as the workflows leave it: v1 live on blue; with `second`, v2 live on green and
    v1's blue stack kept (update --keep-previous)."""
    state = DeploymentState.new(load_plan_arg(plan_file))
    v1 = releases.new_release(state, artifact=V1, color="blue", plan_hash="h", strategy="initial",
                              operation_id="op1", image_id=image)
    releases.promote(state, v1)
    if second:
        v2 = releases.new_release(state, artifact=V2, color="green", plan_hash="h", strategy="blue-green",
                                  operation_id="op2")
        releases.promote(state, v2)
    state.status = DeploymentStatus.COMPLETED
    save_state(state, remote=False)
    return state


def ref(info: ArtifactInfo) -> ArtifactRef:
    return ArtifactRef(info.bucket, info.key, info.sha256)


def test_no_deployment_renders_like_hivemind_synth(plan_file):
    render = resolve({"plan": str(plan_file)})
    assert render.deployment is None and render.options == RenderOptions()
    assert "no deployment" in render.note


def test_the_live_release_is_rendered(plan_file):
    deployed(plan_file)
    render = resolve({"plan": str(plan_file)})
    assert render.deployment == "express-postgres" and render.release == "v1"
    assert render.options.colors == ("blue",)
    assert render.options.artifacts == {"blue": ref(V1)}
    assert render.options.weights == {"blue": 100, "green": 0}


def test_two_standing_colours_with_green_live(plan_file):
    deployed(plan_file, second=True)
    options = resolve({"plan": str(plan_file)}).options
    assert options.colors == ("blue", "green")
    assert options.weights == {"blue": 0, "green": 100}
    assert options.artifacts == {"blue": ref(V1), "green": ref(V2)}


def test_release_context_renders_that_release_on_its_colour(plan_file):
    deployed(plan_file, second=True)
    render = resolve({"plan": str(plan_file), "release": "v1"})
    assert render.release == "v1"
    assert render.options.weights == {"blue": 100, "green": 0}
    assert render.options.artifacts["blue"] == ref(V1)


def test_recorded_image_ids_are_pinned(plan_file):
    deployed(plan_file, image="ami-0123456789abcdef0")
    assert resolve({"plan": str(plan_file)}).options.image_ids == {"blue": "ami-0123456789abcdef0"}


def test_deployment_none_and_deployment_without_plan(plan_file):
    state = deployed(plan_file)
    assert resolve({"plan": str(plan_file), "deployment": "none"}).options == RenderOptions()
    # Without a plan, the deployment's recorded plan is rendered.
    render = resolve({"deployment": "express-postgres"})
    assert render.plan == state.plan and render.options.artifacts == {"blue": ref(V1)}


def test_a_destroyed_deployment_is_not_reproduced(plan_file):
    state = deployed(plan_file)
    state.status = DeploymentStatus.DESTROYED
    save_state(state, remote=False)
    assert resolve({"plan": str(plan_file)}).deployment is None


@pytest.mark.parametrize("context, message", [
    ({}, "pass the plan with -c plan=PATH"),
    ({"plan": "no/such/dir"}, "no/such/dir: no such file or directory"),
    ({"plan": "PLAN", "stage": "prod"}, "-c stage= must be stage-1 or production"),
    ({"plan": "PLAN", "xray": "maybe"}, "-c xray= takes true or false"),
    ({"plan": "PLAN", "colors": "red"}, "-c colors= takes blue, green or blue,green"),
    ({"plan": "PLAN", "release": "v1"}, "-c release= needs a deployment"),
])
def test_bad_context_is_one_clear_error(plan_file, context, message):
    context = {k: (str(plan_file) if v == "PLAN" else v) for k, v in context.items()}
    with pytest.raises(HivemindError, match=message):
        resolve(context)


@pytest.mark.parametrize("context, message", [
    ({"release": "v9"}, "has no release v9 (releases: v1)"),
    ({"release": "latest"}, "-c release= takes a release label like v2"),
    ({"colors": "green"}, "-c colors= only applies without a deployment"),
])
def test_bad_context_with_a_deployment(plan_file, context, message):
    deployed(plan_file)
    with pytest.raises(HivemindError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        resolve({"plan": str(plan_file), **context})
    assert "\n" not in str(raised.value)


def test_app_main_exits_with_one_line(plan_file, capsys):
    from hivemind.synth.stock_cli import main

    with pytest.raises(SystemExit) as exited:
        main({"plan": str(plan_file), "stage": "prod"}.get)
    assert exited.value.code == "error: -c stage= must be stage-1 or production"


def test_an_explicit_unknown_deployment_is_an_error(aws, plan_file):
    """Not in the local state nor in SSM (the moto server): named in one line."""
    with pytest.raises(HivemindError, match="unknown deployment 'other-app' in us-east-1") as raised:
        resolve({"deployment": "other-app"})
    assert "\n" not in str(raised.value)
