"""The text classifier behind the catalogue (hivemind/medic/classifier.py): it answers only texts no rule matches,
says how confident it is, proposes no plan change, stays `unknown` below its threshold, and never breaks the Medic."""
from __future__ import annotations

import time

import pytest

from hivemind.medic import classifier, diagnose_message, rules
from hivemind.medic.classifier import THRESHOLD, TextClassifier, normalise, shipped

from .conftest import CORPUS

# No rule names this phrasing; the corpus' capacity texts ("not supported in your requested Availability Zone") do.
NOT_OFFERED = "Your requested instance type (c7i.8xlarge) is not offered in us-east-1e"


def test_a_text_no_rule_matches_gets_the_classifiers_category_its_confidence_and_no_patch():
    assert rules.diagnose(rules.Context(message=NOT_OFFERED)) is None
    diagnosis = diagnose_message(NOT_OFFERED, use_agent=False)
    assert (diagnosis.category, diagnosis.rule) == ("capacity", "classifier:capacity")
    assert THRESHOLD <= diagnosis.confidence <= 1 and f"{diagnosis.confidence:.0%}" in diagnosis.root_cause
    assert diagnosis.plan_patch is None and diagnosis.commands == []
    assert NOT_OFFERED in diagnosis.root_cause and ("docs.aws.amazon.com" in diagnosis.fix or "repost.aws" in diagnosis.fix)
    assert diagnosis.evidence.reason == NOT_OFFERED


def test_a_rule_match_never_consults_the_classifier(monkeypatch):
    monkeypatch.setattr(classifier, "shipped", lambda: pytest.fail("the classifier was consulted"))
    diagnosis = diagnose_message("Throttling: Rate exceeded", use_agent=False)
    assert diagnosis.rule == "throttling.rate-exceeded" and diagnosis.confidence is None


def test_below_the_threshold_the_answer_stays_unknown():
    strict = TextClassifier(CORPUS, threshold=0.999)
    diagnosis = diagnose_message(NOT_OFFERED, use_agent=False, classifier=strict)
    assert (diagnosis.category, diagnosis.rule, diagnosis.confidence) == ("unknown", "unknown", None)


@pytest.mark.parametrize("trouble", [ImportError("No module named 'sklearn'"), ValueError("bad model")])
def test_a_classifier_that_cannot_load_leaves_the_catalogues_answer(monkeypatch, trouble):
    def broken():
        raise trouble

    monkeypatch.setattr(classifier, "shipped", broken)
    assert diagnose_message(NOT_OFFERED, use_agent=False).rule == "unknown"
    assert diagnose_message("Throttling: Rate exceeded", use_agent=False).rule == "throttling.rate-exceeded"


def test_training_is_deterministic_fast_and_done_once_per_process(capsys):
    started = time.perf_counter()
    again = TextClassifier(CORPUS, retry_model=True)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nmedic classifier trained on {len(CORPUS)} texts in {seconds:.2f} s")
    assert seconds < 5  # ~0.7 s on an idle 2-core machine; the bound leaves room for a loaded CI runner
    for entry in CORPUS[::25]:
        assert again.predict(entry["message"]) == shipped().predict(entry["message"])
    assert shipped() is shipped()


def test_the_model_reads_codes_as_words_and_ignores_ids():
    text = normalise("InsufficientInstanceCapacity for vpc-0a1b2c3d4e5f in 123456789012 (RequestId: 4b1c9e2a-7d3f)")
    assert "insufficientinstancecapacity insufficient instance capacity" in text
    assert "vpc-id" in text and "123456789012" not in text and "4b1c9e2a" not in text
