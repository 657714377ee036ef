"""docs/examples.md: each bundled example's plan and what `hivemind synth` makes of it.

    python docs/gen_examples.py            # print the markdown
    python docs/gen_examples.py --write    # write docs/examples.md

The plan is the deterministic planner's (`hivemind plan examples/X --no-llm`, here through the same
library call with write=False, so no examples/X/hivemind.yaml is left behind); the expected output
is the stage-1 synth (`hivemind synth examples/X --json`: stacks, resource counts, monthly cost).
Synth takes a few seconds per example, so tests/docs checks every example's plan section and one
example's synth section against this generator.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLES_MD = ROOT / "docs" / "examples.md"
REGENERATE = "python docs/gen_examples.py --write"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from hivemind.plan import DeploymentPlan, dump_plan_yaml  # noqa: E402


def example_names() -> list[str]:
    """Every app under examples/ (ci/ holds workflows, not an app)."""
    return sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "ci")


def planned(name: str) -> DeploymentPlan:
    from hivemind.workflows.plan import build_plan

    # force: analyse afresh even if someone left a hivemind.yaml there; write=False: leave none.
    return build_plan(EXAMPLES / name, use_llm=False, write=False, force=True).plan


def cell(value: object) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text.replace("|", "\\|")


def plan_section(name: str, plan: DeploymentPlan) -> str:
    """What the planner found, then the whole hivemind.yaml it would write."""
    lines = [
        f"### Plan (`hivemind plan examples/{name} --no-llm`)",
        "",
        "| service | kind | runtime | framework | port | health check | start command | instance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in plan.services:
        lines.append(f"| {cell(s.name)} | {cell(s.kind)} | {cell(s.runtime)} | {cell(s.framework)} | {cell(s.port)} | "
                     f"`{s.health_check_path}` | {cell(s.start_command and f'`{s.start_command}`')} | "
                     f"{s.min_instances}-{s.max_instances} x {s.instance_type} |")
    database = (f"{plan.database.engine} {plan.database.version} on {plan.database.instance_class}, "
                f"{plan.database.storage_gb} GB" if plan.database else "none")
    cache = f"{plan.cache.engine} {plan.cache.version} on {plan.cache.node_type}" if plan.cache else "none"
    lines += [
        "",
        f"Database: {database}. Cache: {cache}. Stage: {plan.stage}, region {plan.region}.",
        "",
        "<details><summary>hivemind.yaml</summary>",
        "",
        "```yaml",
        dump_plan_yaml(plan).rstrip("\n"),
        "```",
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def synthesized(plan: DeploymentPlan):
    from hivemind.synth import synthesize

    with tempfile.TemporaryDirectory(prefix="hivemind-docs-") as outdir:
        result = synthesize(plan, outdir=Path(outdir), use_cache=False)
        # Templates are read lazily: count resources while the assembly still exists.
        stacks = [(s.name, s.resource_count, list(s.dependencies)) for s in result.stacks]
    return stacks, result


def synth_section(name: str, stacks: list[tuple[str, int, list[str]]], result) -> str:
    """Expected `hivemind synth --json` output: stacks, resource counts, checks, monthly cost."""
    cost = result.cost
    open_findings = [f for f in result.findings if not f.acknowledged]
    acknowledged = len(result.findings) - len(open_findings)
    lines = [
        f"### Expected synth (`hivemind synth examples/{name} --stage-1 --json`)",
        "",
        "| stack | resources | depends on |",
        "|---|---|---|",
    ]
    lines += [f"| `{stack}` | {count} | {', '.join(deps) or '-'} |" for stack, count, deps in stacks]
    lines += [
        f"| total | {sum(count for _, count, _ in stacks)} | |",
        "",
        f"Checks: {'ok' if result.ok else 'BLOCKED'}, {len(open_findings)} open finding(s), "
        f"{acknowledged} acknowledged with a reason (cdk-nag AwsSolutions, cfn-lint).",
        "",
        f"Monthly cost estimate: **${cost.total_usd:,.2f}** on-demand, ${cost.free_tier_total_usd:,.2f} after "
        f"always-free allowances ({cost.price_region} list prices as of {cost.as_of}, compiled offline).",
        "",
        "| stack | item | USD/month |",
        "|---|---|---|",
    ]
    grouped: dict[tuple[str, str], list[float]] = {}
    for line in cost.lines:
        grouped.setdefault((line.stack, line.description), []).append(line.monthly_usd)
    for (stack, description), amounts in grouped.items():
        label = description if len(amounts) == 1 else f"{description} x{len(amounts)}"
        lines.append(f"| `{stack}` | {cell(label)} | {sum(amounts):,.2f} |")
    lines.append("")
    return "\n".join(lines)


# Production needs TLS (or a stated reason for plain HTTP); a placeholder certificate renders the
# HTTPS listener the way a real one would, without any lookup.
EXAMPLE_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/example"


def production(plan: DeploymentPlan) -> DeploymentPlan:
    from hivemind.plan import apply_stage

    data = apply_stage(plan, "production").model_dump()
    data["certificate_arn"] = EXAMPLE_CERTIFICATE
    return DeploymentPlan.model_validate(data)


def production_section(stacks: list[tuple[str, int, list[str]]], result) -> str:
    """One paragraph: what the same app costs at production sizing."""
    resources = ", ".join(f"`{stack}` {count}" for stack, count, _ in stacks)
    return "\n".join([
        f"At production sizing (`--production`, with a `certificate_arn`): {len(stacks)} stacks, "
        f"{sum(count for _, count, _ in stacks)} resources ({resources}); checks "
        f"{'ok' if result.ok else 'BLOCKED'}; **${result.cost.total_usd:,.2f}**/month on-demand.",
        "",
    ])


def header() -> str:
    return "\n".join([
        "# Examples: plans and expected output",
        "",
        f"<!-- Generated by `{REGENERATE}`: do not edit by hand; tests/docs checks it. -->",
        "",
        "Each app under [`examples/`](../examples) with the plan the deterministic planner writes for it",
        "(no API key, no AWS) and what `hivemind synth` renders at stage 1: the CloudFormation stacks,",
        "their resource counts, the checks and the monthly cost estimate, then the same app at production",
        "sizing (NAT gateway per AZ, 2+ instances, Multi-AZ database with a replica: `--production`, which",
        "needs `certificate_arn`, `domain` + `hosted_zone_id` or `http_only_reason` in the plan).",
        "",
        "Try one without touching this tree: `cp -r examples/go-api /tmp/ && hivemind plan /tmp/go-api`.",
        "",
        "| example | services | database | cache |",
        "|---|---|---|---|",
    ])


def render(synth: bool = True) -> str:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    plans = {name: planned(name) for name in example_names()}
    parts = [header()]
    for name, plan in plans.items():
        services = ", ".join(f"{s.name} ({s.runtime}{', ' + s.framework if s.framework else ''})" for s in plan.services)
        parts.append(f"| [{name}](#{name}) | {services} | {plan.database.engine if plan.database else '-'} | "
                     f"{plan.cache.engine if plan.cache else '-'} |")
    parts.append("")
    for name, plan in plans.items():
        parts += [f"## {name}", "", plan_section(name, plan)]
        if synth:
            parts.append(synth_section(name, *synthesized(plan)))
            parts.append(production_section(*synthesized(production(plan))))
    return "\n".join(parts).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--write"]):
        print(f"usage: python docs/gen_examples.py [--write]   (--write: {EXAMPLES_MD})", file=sys.stderr)
        return 2
    text = render()
    if args == ["--write"]:
        EXAMPLES_MD.write_text(text, encoding="utf-8")
        print(f"wrote {EXAMPLES_MD}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
