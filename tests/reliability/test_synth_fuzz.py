"""Hypothesis-generated plans of a valid shape (1-3 services with runtimes, ports and instances,
a database or none, a cache or none, a stage, observability flags) through `hivemind synth --json`
gives templates, or exactly one clear error line; never a traceback.

Cost, measured: a synth with its checks (cdk-nag, cfn-lint in a child process) takes about 4-5 s
wall, without them about 0.5 s. So the 40 examples run without the checks (~30 s) and 6 more run
through the real `hivemind synth --json` with them (exit 0, or exit 1 with the blocking findings
named in the result, or one `error:` line)."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from hivemind.plan.models import SECRET_NAME_PATTERN

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", fullmatch=True),
    st.sampled_from(["ab", "orders-api", "a" * 40, "x-" * 19 + "yz", "shop2", "api-v2-internal-billing-service"]),
)
service_names = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True),
                          st.sampled_from(["web", "worker", "api", "a", "w" * 31, "job-runner"]))
INSTANCE_TYPES = ["t3.micro", "t3.small", "t4g.small", "m5.large", "c6g.medium", "c7g.large", "t2.nano"]
DB_CLASSES = ["db.t3.micro", "db.t4g.micro", "db.t4g.small", "db.m5.large", "db.r6g.large", "db.t3.medium"]
DB_VERSIONS = {"postgres": ["16", "15", "14.9", "13", "16.3", "17"], "mysql": ["8.0", "8.0.35", "8.4", "5.7"]}
NODE_TYPES = ["cache.t3.micro", "cache.t4g.micro", "cache.m6g.large", "cache.r7g.large"]
COMMANDS = st.sampled_from(["npm start", "node server.js --port $PORT", "python -m app", "./bin/server",
                            "sh -c 'echo \"it''s\" && exec app'", "gunicorn app:app -b 0.0.0.0:${PORT:-8000}",
                            "bundle exec rails db:migrate", "echo %s {{ x }} `id` \\", "a && b || c; d | e > /tmp/f"])
ENV_VALUES = st.one_of(st.sampled_from(["production", "1", "", "a b c", "https://example.com/x?y=1&z=2",
                                        "{{ jinja }}", "$HOME", "'quoted'", "\"dq\"", "line1\nline2", "é ü ß"]),
                       st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))
SECRET_REFS = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url-AbCdEf", "/orders/db-url", "db-url",
               "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-url"]


@st.composite
def services(draw) -> list[dict]:
    chosen = draw(st.lists(service_names, min_size=1, max_size=3, unique=True))
    out = []
    for name in chosen:
        kind = draw(st.sampled_from(["web", "worker"]))
        lo = draw(st.integers(min_value=0, max_value=3))
        service = {
            "name": name, "kind": kind,
            "runtime": draw(st.sampled_from(["node", "python", "go", "java", "ruby", "php", "static", "docker"])),
            "port": draw(st.one_of(st.none(), st.sampled_from([80, 443, 3000, 8080]),
                                   st.integers(min_value=1, max_value=65535))) if kind == "web" else None,
            "instance_type": draw(st.sampled_from(INSTANCE_TYPES)),
            "min_instances": lo, "max_instances": lo + draw(st.integers(min_value=max(0, 1 - lo), max_value=3)),
            "health_check_path": draw(st.sampled_from(["/", "/health", "/api/v1/status", "/healthz?full=1"])),
        }
        # Optional fields a user writes by hand: commands with shell syntax, env, secret references.
        if draw(st.booleans()):
            service["start_command"] = draw(COMMANDS)
            service["build_command"] = draw(st.one_of(st.none(), COMMANDS))
        if draw(st.booleans()):
            service["release_command"] = draw(COMMANDS)
        if draw(st.booleans()):
            service["env"] = draw(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True).filter(
                lambda k: not SECRET_NAME_PATTERN.search(k)), ENV_VALUES, max_size=3))
        if draw(st.booleans()):
            service["secrets"] = {"DATABASE_URL": draw(st.sampled_from(SECRET_REFS))}
        out.append(service)
    return out


@st.composite
def plans(draw) -> dict:
    plan = {
        "name": draw(names),
        "stage": draw(st.sampled_from(["stage-1", "production"])),
        "region": draw(st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"])),
        "services": draw(services()),
        "strategy": draw(st.sampled_from(["blue-green", "rolling"])),
        "observability": {"dashboard": draw(st.booleans()), "xray": draw(st.booleans()),
                          "alarms": draw(st.booleans())},
    }
    if draw(st.booleans()):
        engine = draw(st.sampled_from(["postgres", "mysql"]))
        plan["database"] = {
            "engine": engine, "version": draw(st.sampled_from(DB_VERSIONS[engine])),
            "instance_class": draw(st.sampled_from(DB_CLASSES)),
            "storage_gb": draw(st.integers(min_value=20, max_value=500)),
            "multi_az": draw(st.booleans()), "read_replicas": draw(st.integers(min_value=0, max_value=2)),
            "backup_retention_days": draw(st.integers(min_value=0, max_value=14)),
            "deletion_protection": draw(st.booleans()),
            "name": draw(st.sampled_from(["app", "orders", "orders_db", "a" * 63, "Shop2"])),
        }
    if draw(st.booleans()):
        plan["cache"] = {"node_type": draw(st.sampled_from(NODE_TYPES)),
                         "version": draw(st.sampled_from(["7.1", "7.0", "6.2", "6.x", "5.0.6", "7"])),
                         "num_nodes": draw(st.integers(min_value=1, max_value=6))}
    if plan["stage"] == "production" and draw(st.booleans()):
        plan["http_only_reason"] = "internal tool behind the VPN"
    if draw(st.booleans()):
        plan["observability"]["log_retention_days"] = draw(st.integers(min_value=-5, max_value=4000))
        plan["observability"]["alarm_email"] = draw(st.sampled_from([None, "ops@example.com", "a+b@x.io"]))
    if draw(st.booleans()):
        plan["certificate_arn"] = "arn:aws:acm:us-east-1:123456789012:certificate/0f8d6a52-1c2e-4a3b-9d4e-5f6a7b8c9d0e"
    if draw(st.booleans()):
        plan["domain"] = draw(st.sampled_from(["app.example.com", "example.com", "a.b.c.example.co.uk"]))
        if draw(st.booleans()):
            plan["hosted_zone_id"] = "Z0123456789ABCDEFGHIJ"
    # About one plan in six carries a hand-editing slip the loader must refuse in one line.
    slip = draw(st.sampled_from([None] * 25 + ["worker port", "min over max", "same names", "zone alone", "http"]))
    first = plan["services"][0]
    if slip == "worker port":
        first.update(kind="worker", port=8080)
    elif slip == "min over max":
        first.update(min_instances=3, max_instances=2)
    elif slip == "same names":
        plan["services"].append(dict(first))
    elif slip == "zone alone":
        plan.pop("domain", None)
        plan["hosted_zone_id"] = "Z0123456789ABCDEFGHIJ"
    elif slip == "http":
        first["health_check_path"] = "health"
    return plan


def _write(tmp_path_factory, plan: dict) -> Path:
    work = tmp_path_factory.mktemp("fuzz")
    path = work / "hivemind.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


@FUZZ
@given(plan=plans())
def test_a_fuzzed_plan_synthesizes_or_is_one_clear_line(tmp_path_factory, plan):
    """The 40 plans through what `hivemind synth` runs (load the file, synthesize), checks off:
    the CLI prints a HivemindError as its one `error:` line, and anything else would be a traceback."""
    from hivemind.errors import HivemindError
    from hivemind.synth import load_plan_arg, synthesize

    path = _write(tmp_path_factory, plan)
    try:
        result = synthesize(load_plan_arg(path), outdir=path.parent / "cdk.out", checks=False, use_cache=False)
    except HivemindError as exc:
        event(f"refused: {type(exc).__name__}")
        assert str(exc) and "\n" not in str(exc) and "Traceback" not in str(exc), repr(str(exc))
        return
    event("synthesized")
    assert result.stacks
    for stack in result.stacks:
        assert json.loads(stack.template_path.read_text())["Resources"], stack.name


@settings(FUZZ, max_examples=6)
@given(plan=plans())
@example(plan={"name": "orders-api", "services": [{"name": "jobs", "kind": "worker", "runtime": "python",
                                                   "port": 8080}]})   # the one-line path, every run
def test_fuzzed_plans_through_the_cli_with_its_checks(cli, tmp_path_factory, plan):
    """A few through the real command, cdk-nag and cfn-lint included (about 4-5 s each)."""
    path = _write(tmp_path_factory, plan)
    code, out, err = cli("synth", str(path), "--json", "-o", str(path.parent / "cdk.out"))
    assert "Traceback" not in out + err, err
    if code in (0, 1) and out.strip():
        document = json.loads(out)
        assert document["stacks"], document
        for stack in document["stacks"]:
            assert json.loads(Path(stack["template_path"]).read_text())["Resources"], stack["name"]
        # exit 1 = the checks failed it, and the result names the blocking findings
        assert document["ok"] is (code == 0)
        assert any(f["blocking"] for f in document["findings"]) is (code == 1), document["findings"]
        event(f"exit {code}")
        return
    event("one error line")
    assert code not in (0, None), (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert out == "", out


def test_an_emoji_in_an_env_value_is_not_a_template_parse_error(cli, tmp_path_factory):
    # Found by the fuzzing: cfn-lint was handed ASCII-escaped JSON, whose surrogate pairs (any
    # character beyond the BMP) its decoder refuses: a blocking E0000 "found invalid Unicode
    # character escape code" on a valid template.
    plan = {"name": "orders-api", "services": [{"name": "web", "runtime": "node", "port": 3000,
                                                "env": {"GREETING": "hello 🚀", "MARK": "\U00076d6d"}}]}
    path = _write(tmp_path_factory, plan)
    code, out, err = cli("synth", str(path), "--json", "-o", str(path.parent / "cdk.out"))
    document = json.loads(out)
    assert not [f for f in document["findings"] if f["rule_id"] == "E0000"], document["findings"]
    assert code == 0 and document["ok"], [f for f in document["findings"] if f["blocking"]]
    blue = next(s for s in document["stacks"] if s["name"] == "orders-api-app-blue")
    assert "hello 🚀" in Path(blue["template_path"]).read_text(encoding="utf-8")
