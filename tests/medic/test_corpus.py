"""The Medic on real AWS / CloudFormation failure texts (hivemind/medic/data/corpus.json), no key.

Held-out entries were collected in batches (heldout, heldout2..heldout8; an entry's id names its batch, also after
it moved to train), each measured before any change prompted by it: those first measurements are the honest accuracy
on text never seen (recorded in the corpus' "first_measurement" and "about", printed below).

The bar of the issue (category >= 85 %, retry_alone_fixes >= 80 %) is asserted leaving one batch out at a time: for
each batch, the text classifier is trained on every other entry and the batch is diagnosed as first collected. The
rules were written with batches heldout..heldout7 in view, so for those only the classifier's part is out of sample;
heldout8 was measured once, with nothing tuned on it (the corpus records that figure)."""
from __future__ import annotations

import re

import time

from hivemind.medic import CATEGORIES, diagnose_message
from hivemind.medic.classifier import TextClassifier
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


def test_leave_one_batch_out_meets_the_bar(capsys):
    """Every batch diagnosed by the shipped Medic path, with a classifier trained without that batch."""
    per_batch, misses, seconds = {}, [], []
    for batch in sorted({_batch(e["id"]) for e in CORPUS} - {"train"}, key=lambda b: (len(b), b)):
        started = time.perf_counter()
        model = TextClassifier([e for e in CORPUS if _batch(e["id"]) != batch], retry_model=True)
        seconds.append(time.perf_counter() - started)
        tested = [e for e in CORPUS if _batch(e["id"]) == batch]
        category = retry = 0
        for entry in tested:
            got = diagnose_message(entry["message"], use_agent=False, classifier=model)
            category += got.category == entry["category"]
            retry += got.retry_alone_fixes == entry["retry_alone_fixes"]
            if got.category != entry["category"] or got.retry_alone_fixes != entry["retry_alone_fixes"]:
                misses.append(f"{entry['id']}: {entry['category']}/{entry['retry_alone_fixes']} -> "
                              f"{got.category}/{got.retry_alone_fixes} ({got.rule})")
        per_batch[batch] = (len(tested), category, retry)
    n, category, retry = (sum(v[i] for v in per_batch.values()) for i in range(3))
    with capsys.disabled():
        for batch, (size, c, r) in per_batch.items():
            first = FIRST_MEASUREMENT[batch]
            print(f"\nmedic {batch}: leave-one-batch-out category {c / size:.0%}, retry_alone_fixes {r / size:.0%}; "
                  f"at first measurement {first['category'] / size:.0%} / {first['retry'] / size:.0%}", end="")
        total = {k: sum(m[k] for m in FIRST_MEASUREMENT.values()) for k in ("entries", "category", "retry")}
        print(f"\nmedic pooled: leave-one-batch-out category {category / n:.1%}, retry_alone_fixes {retry / n:.1%}; at "
              f"first measurement {total['category'] / total['entries']:.0%} / {total['retry'] / total['entries']:.0%}; "
              f"classifier training {max(seconds):.2f} s at most; misses: {misses}")
    assert category / n >= 0.85, misses
    assert retry / n >= 0.80, misses


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
