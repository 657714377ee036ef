"""The Medic's accuracy on failure texts it has never seen, leaving one collected batch out at a time.

    python bench/medic_accuracy.py [--thresholds 0,0.2,0.3,0.4,0.5] [--batch heldout8]

The corpus (hivemind/medic/data/corpus.json) was collected in batches (entry ids `heldout-…`, `heldout2-…`,
…); an entry later moved to train still belongs to the batch its id names. For each batch B, "train" is
the train entries plus every other batch and "test" is B as first collected. Measured:

- catalogue: the rule catalogue as it is now (specific rules, then the generic tier). It was tuned on
  every batch, so its figures here are optimistic: the honest ones are the first measurements recorded
  in the corpus;
- classifier: the text classifier alone, trained on the train side only (the fair generalisation figure);
- the classifier as the catalogue's fallback (specific rules first; the specific rules too were tuned on
  every batch, so these figures are optimistic by as much as those rules match in B):
    specific>clf          the generic tier replaced by the classifier,
    specific>generic>clf  the generic tier first, the classifier where nothing matched,
    specific>clf>generic  the classifier first when it reaches the threshold, else the generic tier;
- the retry verdict of a classifier answer: the category's default (`default`) or a second classifier
  over the same features (`model`).
With --batch, only that batch is measured (trained on everything else): a fresh batch's first measurement.

With --as-then, the honest comparison on the batches whose rules of the time are known: each batch is
measured with the catalogue as it was when the batch was collected (its commit, read with `git archive`
into a temporary folder) and with a classifier trained only on what existed then (train + earlier
batches), alone and as that catalogue's fallback.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hivemind.medic import rules  # noqa: E402
from hivemind.medic.classifier import TextClassifier, corpus  # noqa: E402
from hivemind.medic.signatures import GENERIC  # noqa: E402


def batch_of(entry: dict) -> str:
    return entry["id"].rsplit("-", 1)[0]


def _rule_answer(text: str, catalogue) -> tuple[str, object] | None:
    found = rules.diagnose(rules.Context(message=text), catalogue=catalogue)
    return (found.category, found.retry_alone_fixes) if found else None


def _clf_answer(model: TextClassifier, text: str) -> tuple[str, object] | None:
    p = model.predict(text)
    return None if p.category == "unknown" and p.best != "unknown" else (p.category, p.retry)


def answer(variant: str, model: TextClassifier | None, text: str) -> tuple[str, object]:
    unknown = ("unknown", False)
    if variant == "catalogue":
        return _rule_answer(text, None) or unknown
    if variant == "classifier":
        return _clf_answer(model, text) or unknown
    specific = _rule_answer(text, rules.RULES)
    if specific:
        return specific
    if variant == "specific>clf":
        return _clf_answer(model, text) or unknown
    if variant == "specific>generic>clf":
        return _rule_answer(text, GENERIC) or _clf_answer(model, text) or unknown
    if variant == "specific>clf>generic":
        return _clf_answer(model, text) or _rule_answer(text, GENERIC) or unknown
    raise ValueError(variant)


VARIANTS = ("catalogue", "classifier", "specific>clf", "specific>generic>clf", "specific>clf>generic")


def measure(entries: list[dict], batches: list[str], thresholds: list[float]) -> tuple[dict, float]:
    """{(variant, retry mode, threshold): {batch: (entries, category hits, retry hits)}}, mean train seconds."""
    results: dict = defaultdict(dict)
    train_seconds = []
    for batch in batches:
        test = [e for e in entries if batch_of(e) == batch]
        train = [e for e in entries if batch_of(e) != batch]
        for retry_mode in ("default", "model"):
            started = time.perf_counter()
            model = TextClassifier(train, retry_model=retry_mode == "model")
            train_seconds.append(time.perf_counter() - started)
            for threshold in thresholds:
                model.threshold = threshold
                for variant in VARIANTS:
                    if variant == "catalogue" and (retry_mode, threshold) != ("default", thresholds[0]):
                        continue
                    key = (variant, "rules" if variant == "catalogue" else retry_mode,
                           None if variant == "catalogue" else threshold)
                    cat = retry = 0
                    for e in test:
                        got = answer(variant, model, e["message"])
                        cat += got[0] == e["category"]
                        retry += got[1] == e["retry_alone_fixes"]
                    results[key][batch] = (len(test), cat, retry)
    return results, sum(train_seconds) / len(train_seconds)


# The commit at which each batch was collected and measured, with the rules of that time unchanged in it.
AS_THEN = {"heldout4": "6320f4b", "heldout5": "aa3df9b", "heldout6": "f8b4ef3", "heldout7": "70728a1",
           "heldout8": "39d9759"}
BATCH_ORDER = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8")

_OLD_CATALOGUE = """
import json, sys
from hivemind.medic import rules
try:
    from hivemind.medic.signatures import GENERIC
    generic = {r.id for r in GENERIC}
except ImportError:  # before the generic tier existed
    generic = set()
out = []
for text in json.load(sys.stdin):
    found = rules.diagnose(rules.Context(message=text))
    out.append(None if found is None else [found.category, found.retry_alone_fixes, found.rule in generic])
print(json.dumps(out))
"""


def old_catalogue(commit: str, texts: list[str]) -> list:
    """[category, retry, matched by the generic tier] or None per text, by the rules at `commit`."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(root), "archive", commit, "hivemind"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        done = subprocess.run([sys.executable, "-c", _OLD_CATALOGUE], input=json.dumps(texts), text=True,
                              capture_output=True, check=True, cwd=tmp, env={"PYTHONPATH": tmp, "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def as_then(entries: list[dict], threshold: float) -> None:
    print(f"as then: the catalogue of each batch's time, the classifier trained on what existed then (τ {threshold})")
    rows: dict = defaultdict(dict)
    for batch, commit in AS_THEN.items():
        earlier = set(BATCH_ORDER[:BATCH_ORDER.index(batch)]) | {"train"}
        train = [e for e in entries if batch_of(e) in earlier]
        test = [e for e in entries if batch_of(e) == batch]
        old = old_catalogue(commit, [e["message"] for e in test])
        for mode in ("default", "model"):
            model = TextClassifier(train, threshold=threshold, retry_model=mode == "model")
            for e, rule in zip(test, old):
                clf = _clf_answer(model, e["message"])
                specific = rule if rule and not rule[2] else None
                answers = {
                    "catalogue then": rule[:2] if rule else None,
                    "classifier": clf,
                    "specific>clf": specific[:2] if specific else clf,
                    "specific>generic>clf": rule[:2] if rule else clf,
                    "specific>clf>generic": specific[:2] if specific else clf or (rule[:2] if rule else None),
                }
                for variant, got in answers.items():
                    if variant == "catalogue then" and mode == "model":
                        continue
                    got = tuple(got) if got else ("unknown", False)
                    n, c, r = rows[(variant, "rules" if variant == "catalogue then" else mode)].get(batch, (0, 0, 0))
                    rows[(variant, "rules" if variant == "catalogue then" else mode)][batch] = (
                        n + 1, c + (got[0] == e["category"]), r + (got[1] == e["retry_alone_fixes"]))
    _table(rows, list(AS_THEN), with_threshold=False)


def _table(results: dict, batches: list[str], with_threshold: bool = True) -> None:
    head = f"{'variant':<22}{'retry':<8}{'τ' if with_threshold else '':>5} " + " ".join(f"{b:>14}" for b in batches)
    print(head + f"{'pooled':>14}")
    for key, per in results.items():
        variant, mode, threshold = (key + (None,))[:3]
        cells = [f"{_pct(c, n)} / {_pct(r, n)}" for n, c, r in (per[b] for b in batches)]
        n, c, r = (sum(per[b][i] for b in batches) for i in range(3))
        print(f"{variant:<22}{mode:<8}{'' if threshold is None else f'{threshold:.2f}':>5} "
              + " ".join(f"{cell:>14}" for cell in cells) + f"{_pct(c, n) + ' / ' + _pct(r, n):>14}")


def _pct(hits: int, n: int) -> str:
    return f"{hits / n:4.0%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0,0.2,0.3,0.4,0.5")
    parser.add_argument("--batch", help="measure only this batch, trained on everything else")
    parser.add_argument("--as-then", action="store_true", help="each batch against the catalogue of its time")
    args = parser.parse_args(argv)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    entries = corpus()["entries"]
    batches = [b for b in BATCH_ORDER if any(batch_of(e) == b for e in entries)]
    if args.batch:
        batches = [args.batch]
    if args.as_then:
        as_then(entries, thresholds[0])
        return 0
    results, seconds = measure(entries, batches, thresholds)
    print("category / retry_alone_fixes accuracy, leave-one-batch-out (test = the batch as first collected)")
    _table(results, batches)
    print(f"entries per batch: {', '.join(f'{b} {results[next(iter(results))][b][0]}' for b in batches)}; "
          f"classifier training {seconds:.2f} s on average")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
