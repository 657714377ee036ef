"""Release bookkeeping: v1, v2, ... with artifact, colour, plan hash and outcome; what each colour
runs; which render options reproduce what is deployed; which old artifacts may be pruned."""
from __future__ import annotations

from ..render.options import RenderOptions
from ..state import DeploymentState
from ..state.models import ArtifactInfo, ColorState, Release
from .rollout import artifact_ref

# Artifacts of the live and previous releases are always kept; of the others, the newest few.
ARTIFACTS_KEPT = 5


def new_release(state: DeploymentState, *, artifact: ArtifactInfo, color: str, plan_hash: str, strategy: str,
                operation_id: str | None, image_id: str | None = None) -> Release:
    version = max((r.version for r in state.releases), default=0) + 1
    release = Release(version=version, artifact=artifact, color=color, plan_hash=plan_hash, strategy=strategy,
                      operation_id=operation_id, image_id=image_id)
    state.releases.append(release)
    return release


def promote(state: DeploymentState, release: Release) -> None:
    """`release` takes the traffic: the one it replaces becomes `previous`, older ones `superseded`."""
    for other in state.releases:
        if other is release:
            continue
        if other.outcome == "live":
            other.outcome = "previous"
        elif other.outcome == "previous":
            other.outcome = "superseded"
    release.outcome = "live"
    state.active_color = release.color
    state.colors[release.color] = ColorState(release=release.version, artifact=release.artifact)
    state.artifact = release.artifact


def set_outcome(release: Release, outcome: str) -> None:
    """failed (never took traffic) or rolled_back (took it, then lost it); validated by the model."""
    release.outcome = outcome  # type: ignore[assignment]


def retire_color(state: DeploymentState, color: str) -> None:
    """The colour's stack is gone: it runs nothing now."""
    state.colors.pop(color, None)


def previous_release(state: DeploymentState) -> Release | None:
    """The release before the live one (the default rollback target)."""
    live = state.live_release
    older = [r for r in state.releases if r.outcome in ("previous", "superseded", "rolled_back")
             and (live is None or r.version < live.version)]
    return max(older, key=lambda r: r.version) if older else None


def render_options(state: DeploymentState, *, colors: tuple[str, ...], weights: dict[str, int],
                   artifacts: dict[str, ArtifactInfo]) -> RenderOptions:
    # Canonical colour order: the same stacks give the same synth cache key whichever colour is live.
    colors = tuple(c for c in ("blue", "green") if c in colors)
    return RenderOptions(colors=colors, weights={c: weights.get(c, 0) for c in ("blue", "green")},  # type: ignore[arg-type]
                         artifacts={c: artifact_ref(a) for c, a in artifacts.items()})


def live_colors(state: DeploymentState) -> tuple[str, ...]:
    """The colour stacks that stand: the active one first."""
    active = state.active_color or "blue"
    standing = [c for c in ("blue", "green") if c in state.colors]
    return tuple(dict.fromkeys([active, *standing]))


def live_options(state: DeploymentState) -> RenderOptions:
    """The render options that reproduce what is deployed now (the stock CDK CLI uses these too)."""
    active = state.active_color or "blue"
    artifacts = {c: cs.artifact for c, cs in state.colors.items()}
    if not artifacts and state.artifact:
        artifacts = {active: state.artifact}
    return render_options(state, colors=live_colors(state), weights={active: 100}, artifacts=artifacts)


def prunable_artifacts(state: DeploymentState) -> list[ArtifactInfo]:
    """Artifacts no kept release or standing colour uses: never the live or previous release's,
    nor any of the newest ARTIFACTS_KEPT releases'."""
    protected = {r.version for r in state.releases if r.outcome in ("live", "previous", "pending")}
    protected |= {r.version for r in sorted(state.releases, key=lambda r: r.version)[-ARTIFACTS_KEPT:]}
    keep_keys = {(r.artifact.bucket, r.artifact.key) for r in state.releases if r.version in protected}
    keep_keys |= {(c.artifact.bucket, c.artifact.key) for c in state.colors.values()}
    seen: set[tuple[str, str]] = set()
    prunable = []
    for release in state.releases:
        key = (release.artifact.bucket, release.artifact.key)
        if key not in keep_keys and key not in seen:
            seen.add(key)
            prunable.append(release.artifact)
    return prunable
