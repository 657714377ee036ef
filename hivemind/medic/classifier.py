"""The Medic's learned fallback: a text classifier over the labelled corpus of real AWS failure texts.

Hand-written rules are precise where they were written and miss the next phrasing; a linear model over
word and character n-grams of the message generalises better to texts never seen (bench/medic_accuracy.py
measures both, leaving one collected batch out at a time). It is consulted only when no specific rule
matched, it never proposes a plan patch, and below its confidence threshold the answer stays `unknown`.

Training takes well under a second on the shipped corpus (hivemind/medic/data/corpus.json), is
deterministic, and happens once per process on first use.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from .models import RetryVerdict

# Below this probability for its best category, the classifier's answer is `unknown`. Chosen with
# bench/medic_accuracy.py: 0.3 gave the best category accuracy measured against the catalogue of each batch's
# time (--as-then) and costs one point under leave-one-batch-out against today's catalogue.
THRESHOLD = 0.30

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ARN = re.compile(r"\barn:aws[\w-]*:[^\s\"',)]+")
_IDS = re.compile(r"\b[a-z]{1,12}-[0-9a-f]{6,}\b")  # vpc-0abc…, sg-…, subnet-…
_HEXY = re.compile(r"\b(?=[\w-]*\d)[0-9a-f-]{8,}\b|\b\d+\b")  # request ids, account ids, numbers
_URL = re.compile(r"https?://\S+")


def normalise(text: str) -> str:
    """The message as the model reads it: ids and numbers folded, CamelCase codes also as words
    (InsufficientInstanceCapacity -> 'InsufficientInstanceCapacity insufficient instance capacity')."""
    text = _URL.sub(" url ", text)
    text = _ARN.sub(" arn ", text)
    text = _IDS.sub(lambda m: " " + m.group(0).split("-", 1)[0] + "-id ", text)
    text = _HEXY.sub(" 0 ", text)
    words = []
    for token in re.findall(r"[A-Za-z][A-Za-z0-9_:.*-]*|\S", text):
        words.append(token)
        if _CAMEL.search(token):
            words.extend(_CAMEL.sub(" ", token).replace("_", " ").split())
    return " ".join(words).lower()


@dataclass(frozen=True)
class Prediction:
    category: str  # `unknown` below the threshold
    confidence: float  # the probability of the best category
    retry: RetryVerdict
    best: str  # the best category even below the threshold (for measurements)


def _verdict(label: str) -> RetryVerdict:
    return {"true": True, "false": False}.get(label, label)  # type: ignore[return-value]


class TextClassifier:
    """TF-IDF over word 1-2 grams and character 3-6 grams, logistic regression for the category; the
    retry verdict is the category's default, or a second model over the same features (`retry_model`)."""

    def __init__(self, entries: list[dict], *, threshold: float = THRESHOLD, retry_model: bool = False,
                 C: float = 20.0):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import FeatureUnion
        from threadpoolctl import threadpool_limits

        def model():  # one-vs-rest liblinear: as accurate here as multinomial lbfgs, several times faster
            return OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear", random_state=0))

        texts = [normalise(e["message"]) for e in entries]
        self.threshold = threshold
        self.features = FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                      token_pattern=r"[a-z][a-z0-9_:.*-]*")),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 6), sublinear_tf=True, min_df=2)),
        ])
        with threadpool_limits(1):  # a few hundred short texts: threads only add start-up and contention
            matrix = self.features.fit_transform(texts)
            self.category = model().fit(matrix, [e["category"] for e in entries])
            self.retry_model = None
            if retry_model:
                self.retry_model = model().fit(matrix, [str(e["retry_alone_fixes"]).lower() for e in entries])

    def predict(self, text: str) -> Prediction:
        from .signatures import CATEGORY_RETRY

        row = self.features.transform([normalise(text)])
        probabilities = self.category.predict_proba(row)[0]
        best = int(probabilities.argmax())
        category, confidence = str(self.category.classes_[best]), float(probabilities[best])
        answer = category if confidence >= self.threshold else "unknown"
        if answer == "unknown":
            retry: RetryVerdict = False
        elif self.retry_model is not None:
            retry = _verdict(str(self.retry_model.predict(row)[0]))
        else:
            retry = CATEGORY_RETRY[answer]
        return Prediction(category=answer, confidence=confidence, retry=retry, best=category)


def corpus() -> dict:
    """The shipped corpus: every labelled text with its source, batch and first measurements."""
    return json.loads(resources.files(__package__).joinpath("data/corpus.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def shipped() -> TextClassifier:
    """The classifier trained on every labelled text of the shipped corpus (once per process)."""
    return TextClassifier(corpus()["entries"], retry_model=True)
