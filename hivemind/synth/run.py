"""In-process synth: build the CDK app, synthesize with cdk-nag, read the assembly, lint, price."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

from ..checks import nag
from ..checks.findings import Finding
from ..checks.plan_rules import plan_findings
from ..costs import CostEstimate, estimate
from ..errors import HivemindError
from ..fsutil import atomic_write_text
from ..plan import DeploymentPlan
from ..render.options import RenderOptions
from . import cache
from .assembly import read_assembly
from .result import SynthResult

# Keep the jsii banner and deprecation chatter off the user's terminal.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_DEPRECATED", "quiet")


class OutdirError(HivemindError):
    """The output directory exists and is not a cloud assembly HiveMind may replace."""


def default_outdir() -> Path:
    return Path.cwd() / "cdk.out"


_ASSEMBLY_FILES = ("manifest.json", "tree.json", "cdk.out", "validation-report.json", "hivemind-synth.json")
_ASSEMBLY_SUFFIXES = (".template.json", ".assets.json", ".metadata.json")


def _is_assembly_entry(path: Path) -> bool:
    name = path.name
    return (name in _ASSEMBLY_FILES or name.endswith(_ASSEMBLY_SUFFIXES) or name.startswith("asset.")
            or (path.is_dir() and name.startswith("assembly-")))


def _prepare_outdir(outdir: Path) -> None:
    """Empty `outdir` of a previous assembly; refuse if it holds anything else (never wipe user files)."""
    if outdir.exists() and not outdir.is_dir():
        raise OutdirError(f"{outdir}: exists and is not a directory")
    if outdir.is_dir():
        entries = list(outdir.iterdir())
        foreign = [p.name for p in entries if not _is_assembly_entry(p)]
        if foreign:
            raise OutdirError(f"{outdir}: holds files that are not a cloud assembly ({foreign[0]}, ...); "
                              "choose another -o directory")
        for entry in entries:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    outdir.mkdir(parents=True, exist_ok=True)


def _synthesize_app(plan: DeploymentPlan, options: RenderOptions, outdir: Path, checks: bool) -> None:
    from ..render.builder import build_app

    captured = io.StringIO()
    # jsii forwards node's stderr (cdk-nag's console report, warnings) through sys.stderr.
    with contextlib.redirect_stderr(captured):
        app = build_app(plan, options, outdir=outdir)
        if checks:
            nag.add_aws_solutions_checks(app)
        try:
            app.synth()
        except Exception as exc:  # jsii raises RuntimeError("ValidationFailed: ...") for nag errors
            if "ValidationFailed" not in str(exc):
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
                raise HivemindError(f"CDK synth failed: {first}") from None


def _lint_in_process(region: str) -> bool:
    """A long-lived process (tests, a server) that linted before lints in-process, warm."""
    import sys

    lint = sys.modules.get("hivemind.checks.lint")
    return bool(lint and lint.is_warm(region))


def synthesize(
    plan: DeploymentPlan,
    *,
    options: RenderOptions | None = None,
    outdir: Path | None = None,
    checks: bool = True,
    use_cache: bool = True,
) -> SynthResult:
    """Synthesize `plan` into a cloud assembly in `outdir` (default ./cdk.out).

    With `checks`, cdk-nag AwsSolutions and cfn-lint run and their findings are returned; the
    cost estimate is always computed. A cache hit (same plan, options and tool) copies the stored
    assembly and result without importing aws_cdk. Raises MissingContextError on lookups.
    """
    options = options or RenderOptions()
    outdir = Path(outdir) if outdir is not None else default_outdir()
    outdir = outdir.resolve()
    key = cache.cache_key(plan, options, checks=checks)
    _prepare_outdir(outdir)

    entry = cache.lookup(key) if use_cache else None
    if entry is not None:
        cache.restore(entry, outdir)
        stored = json.loads((outdir / cache.RESULT_FILE).read_text(encoding="utf-8"))
        return SynthResult(
            assembly_dir=outdir, stacks=read_assembly(outdir),
            findings=[Finding.from_dict(f) for f in stored["findings"]],
            cost=CostEstimate.from_dict(stored["cost"]), cached=True, checks_run=stored["checks_run"],
        )

    findings: list[Finding] = []
    if checks and _lint_in_process(plan.region):
        from ..checks.lint import lint_templates

        _synthesize_app(plan, options, outdir, checks)
        stacks = read_assembly(outdir)
        findings = nag.read_report(outdir) + lint_templates(((s.name, s.template) for s in stacks), plan.region)
    elif checks:
        from ..checks.lint import LintWorker

        # cfn-lint loads in its own process while the CDK app builds, then lints the templates.
        with LintWorker(plan.region) as linter:
            _synthesize_app(plan, options, outdir, checks)
            stacks = read_assembly(outdir)
            findings = nag.read_report(outdir) + linter.lint((s.name, s.template) for s in stacks)
    else:
        _synthesize_app(plan, options, outdir, checks)
        stacks = read_assembly(outdir)
    # Plan rules are policy, not a scanner: they apply with or without checks.
    findings = plan_findings(plan, options) + findings
    cost = estimate(((s.name, s.template) for s in stacks), plan.region)
    result = SynthResult(assembly_dir=outdir, stacks=stacks, findings=findings, cost=cost, cached=False, checks_run=checks)
    atomic_write_text(outdir / cache.RESULT_FILE, json.dumps(
        {"checks_run": checks, "findings": [f.to_dict() for f in findings], "cost": cost.to_dict()}, indent=1))
    if use_cache:
        cache.store(key, outdir)
    return result
