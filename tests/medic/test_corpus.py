"""The rule catalogue on real AWS / CloudFormation failure texts (tests/medic/data/corpus.json), no key.

Held-out entries were collected in batches (heldout, heldout2..heldout6), each after the rules of its time were
written, and measured before any rule change: those first-measurement figures are the honest accuracy on text never
seen (recorded in the corpus' "first_measurement" and "about", printed below). Entries a later rule was widened for
moved to train. The issue's bar, category >= 85 % and retry_alone_fixes >= 80 %, is kept here on the entries still
held out: a guard that a rule change does not break what was never tuned on, not a measure of generalisation."""
from __future__ import annotations

import re

from hivemind.medic import CATEGORIES, diagnose_message
from hivemind.medic.rules import tiers

from .conftest import CORPUS, FIRST_MEASUREMENT


def _accuracy(split: str) -> tuple[float, float, list[str]]:
    entries = [e for e in CORPUS if e["split"] == split]
    misses, category, retry = [], 0, 0
    for entry in entries:
        got = diagnose_message(entry["message"], use_agent=False)
        category += got.category == entry["category"]
        retry += got.retry_alone_fixes == entry["retry_alone_fixes"]
        if got.category != entry["category"] or got.retry_alone_fixes != entry["retry_alone_fixes"]:
            misses.append(f"{entry['id']}: {entry['category']}/{entry['retry_alone_fixes']} -> "
                          f"{got.category}/{got.retry_alone_fixes} ({got.rule})")
    return category / len(entries), retry / len(entries), misses


def test_corpus_is_sourced_and_covers_every_category():
    assert len(CORPUS) >= 120
    for entry in CORPUS:
        assert entry["category"] in CATEGORIES and entry["retry_alone_fixes"] in (True, False, "sometimes")
        assert re.match(r"https://(github\.com|docs\.aws\.amazon\.com|repost\.aws)/", entry["source"]), entry["id"]
        assert entry["message"].strip() and entry["split"] in ("train", "heldout")
    assert {e["category"] for e in CORPUS} == set(CATEGORIES)
    heldout = [e for e in CORPUS if e["split"] == "heldout"]
    assert len(heldout) >= 50 and len({e["category"] for e in heldout}) >= 12


def _batch(entry_id: str) -> str:
    return entry_id.rsplit("-", 1)[0]


def test_heldout_accuracy_meets_the_bar(capsys):
    """The guard on the entries still held out; the honest figures are the first measurements, printed per batch."""
    category, retry, misses = _accuracy("heldout")
    first = FIRST_MEASUREMENT
    with capsys.disabled():
        print(f"\nmedic held-out now: category {category:.1%}, retry_alone_fixes {retry:.1%}; misses: {misses}")
        for batch, m in first.items():
            print(f"medic {batch} at first measurement: category {m['category']}/{m['entries']} "
                  f"({m['category'] / m['entries']:.0%}), retry_alone_fixes {m['retry']}/{m['entries']} "
                  f"({m['retry'] / m['entries']:.0%})")
        total = {k: sum(m[k] for m in first.values()) for k in ("entries", "category", "retry")}
        print(f"medic pooled at first measurement: category {total['category'] / total['entries']:.0%}, "
              f"retry_alone_fixes {total['retry'] / total['entries']:.0%}")
    assert category >= 0.85, misses
    assert retry >= 0.80, misses


def test_first_measurements_are_recorded_for_every_batch():
    batches = {_batch(e["id"]) for e in CORPUS if not e["id"].startswith("train-")}
    assert batches == set(FIRST_MEASUREMENT)
    for batch, m in FIRST_MEASUREMENT.items():
        assert 0 <= m["category"] <= m["entries"] and 0 <= m["retry"] <= m["entries"], batch
        # every entry collected in a batch is still in the corpus (held out, or moved to train with a note)
        assert m["entries"] == sum(_batch(e["id"]) == batch for e in CORPUS), batch


def test_training_texts_are_all_recognised():
    category, retry, misses = _accuracy("train")
    assert category == 1.0 and retry == 1.0, misses


def test_a_message_matching_nothing_is_unknown_with_the_raw_text():
    raw = "The flux capacitor reported an unexpected quantum state while reticulating splines"
    diagnosis = diagnose_message(raw, use_agent=False)
    assert (diagnosis.category, diagnosis.rule, diagnosis.retry_alone_fixes) == ("unknown", "unknown", False)
    assert diagnosis.evidence.reason == raw and raw in diagnosis.root_cause
    assert diagnosis.plan_patch is None and diagnosis.commands == []


def test_every_rule_cites_the_aws_page_it_follows_and_names_it_in_the_fix():
    for rule in tiers():  # the specific rules and the generic tier
        assert re.match(r"https://(docs\.aws\.amazon\.com|repost\.aws)/", rule.source), rule.id
        assert rule.category in CATEGORIES and rule.category != "unknown"
    diagnosis = diagnose_message("Throttling: Rate exceeded", use_agent=False)
    assert diagnosis.rule == "throttling.rate-exceeded" and "docs.aws.amazon.com" in diagnosis.fix


def test_secrets_in_failure_texts_never_reach_the_diagnosis():
    diagnosis = diagnose_message("Invalid parameter: password=Sup3rS3cret! for AWS::RDS::DBInstance; "
                                 "AKIAABCDEFGHIJKLMNOP was denied", use_agent=False)
    dumped = diagnosis.model_dump_json()
    assert "Sup3rS3cret" not in dumped and "AKIAABCDEFGHIJKLMNOP" not in dumped


def test_the_services_words_outrank_cloudformations_coarse_handler_code():
    text = ('Resource handler returned message: "A listener already exists on this port for this load balancer" '
            "(RequestToken: 6e5ebe88-d842-db66-ff87-6c7d10bbc542, HandlerErrorCode: ServiceLimitExceeded)")
    assert diagnose_message(text, use_agent=False).category == "name_conflict"
    only_code = 'Resource handler returned message: "null" (RequestToken: 8faf28c8, HandlerErrorCode: ServiceLimitExceeded)'
    assert diagnose_message(only_code, use_agent=False).category == "quota"  # the code is all there is


def test_an_endpoint_naming_no_region_is_not_worth_a_retry():
    wrong = diagnose_message('Could not connect to the endpoint URL: "https://lambda.us-east-1a.amazonaws.com/"',
                             use_agent=False)
    assert wrong.category == "network" and wrong.retry_alone_fixes is False and "'us-east-1a'" in wrong.root_cause
    flaky = diagnose_message("Connect timeout on endpoint URL: \"https://events.ap-southeast-2.amazonaws.com/\"",
                             use_agent=False)
    assert flaky.category == "network" and flaky.retry_alone_fixes == "sometimes"
