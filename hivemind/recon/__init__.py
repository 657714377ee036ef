"""Recon: the deterministic repository analyser. No network, no API key.

`analyse_repo(path)` walks the repository once (see `walk.iter_repo_files`), runs one small
detector per ecosystem over that index (see `detectors.PIPELINE`), and merges their claims into a
stage-1 DeploymentPlan whose `evidence` says where each value came from (`path:line` and why).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ReconError
from ..plan import DeploymentPlan
from .detectors import PIPELINE
from .draft import Findings
from .merge import plan_from_findings
from .naming import check_plan_name, safe_name
from .repo import RepoView
from .walk import iter_repo_files, read_text_bounded

__all__ = ["analyse_repo", "find", "iter_repo_files", "read_text_bounded"]


def find(repo: RepoView) -> Findings:
    """Run every detector over one repository view, in pipeline order."""
    found = Findings()
    for detector in PIPELINE:
        detector.detect(repo, found)
    return found


def analyse_repo(path: Path, *, name: str | None = None, description: str = "") -> DeploymentPlan:
    """A draft plan for the repository at `path`, with evidence, sized for stage-1.

    Raises ReconError for a missing path or a repository with nothing deployable in it."""
    path = Path(path)
    if not path.is_dir():
        raise ReconError(f"no such directory: {path}")
    if name is not None:
        check_plan_name(name)
    folder = path.resolve().name
    plan_name = name or safe_name(folder)
    reason = "given with --name" if name else f"derived from the repository folder name {folder!r}"
    found = find(RepoView.scan(path))
    plan = plan_from_findings(found, name=plan_name, name_reason=reason, description=description)
    if plan is None:
        hint = ""
        if found.prebuilt_images:
            # A compose file that only pulls images: say why it is not enough, in the same line.
            images = ", ".join(found.prebuilt_images[:3]) + (", ..." if len(found.prebuilt_images) > 3 else "")
            hint = f" (docker-compose runs prebuilt images only: {images}; HiveMind deploys source code or a Dockerfile)"
        raise ReconError(f"no deployable application found in {path}{hint}")
    return plan
