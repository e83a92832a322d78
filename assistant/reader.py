"""Stage 6a: a trained reader says how well each candidate sentence, list item or table row answers.

The hand-weighted scorer this replaces added word coverage, 0.6 x sentence similarity, 0.3 x heading similarity
and a dozen nudges with weights tuned on the developer cases, and reached its ceiling there. Here the same kinds
of evidence (how much of the question a unit covers, how close it is in meaning, whether its heading asks the
question, whether it is about the place and period asked, whether it holds the kind of figure wanted, where
retrieval ranked it) are features, and their weights are learned by the project from thousands of labelled
questions over many invented jurisdictions (`training/train_reader.py`, `make train`), not set by hand.

Two decisions come from it: the score ranks the candidates, and a second small model over the best scores and
the hard checks (`Answerability`) decides whether the documents answer the question at all. Both are logistic
regressions: their weights are in `models/reader/reader.json`, with a model card beside it.

(A MiniLM cross-encoder was tried first, as the issue proposed; in the time one session allows on two cores it
did not learn to rank above chance: see the model card.)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import AssistantError

MODEL_DIR = Path(__file__).parent / "models" / "reader"

# The features of a candidate unit, in the order of the learned weights (`answer.unit_features` computes them).
FEATURES = (
    "coverage",  # IDF-weighted share of the question's words in the unit and its surroundings
    "similarity",  # cosine of question and unit (with heading and lead-in), bundled MiniLM
    "heading_similarity",  # cosine of question and the unit's section heading
    "passes",  # the hard checks: a count of the right thing, for the right period and place
    "place_named",  # a place the question is about is named in the unit's document metadata or passage
    "wanted_figure",  # the unit holds the kind of figure the question wants (count, rate, duration)
    "wants_figure",  # the question wants a figure at all
    "lead_or_question",  # the unit ends in ':' or '?': it introduces an answer rather than being one
    "quotes",  # the unit holds quoted speech
    "wants_wording",  # the question asks for exact wording
    "quotes_for_wording",  # both of the above
    "retrieval_rank",  # 1 / (1 + rank of the passage among the hits)
    "table_row",
    "list_item",
    "log_length",  # log of the unit's length in characters
    "metadata_line",  # a byline, reference, "Made by:", "Published", contact line
)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Answerability:
    """Logistic regression over a question's best reader scores and the hard checks, fitted on the validation
    split: whether the best candidates answer the question."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    @staticmethod
    def features(scores: list[float], passes: list[bool], wants: str) -> list[float]:
        ranked = sorted(zip(scores, passes, strict=True), reverse=True) + [(-10.0, False)] * 2
        passing = [s for s, ok in ranked if ok]
        return [ranked[0][0], ranked[0][0] - ranked[1][0], passing[0] if passing else -10.0, float(ranked[0][1]),
                math.log1p(len(passing)), float(wants in ("count", "rate", "duration")), float(wants == "wording")]

    def probability(self, scores: list[float], passes: list[bool], wants: str) -> float:
        if not scores:
            return 0.0
        z = self.bias + sum(w * x for w, x in zip(self.weights, self.features(scores, passes, wants), strict=True))
        return _sigmoid(z)

    def answers(self, scores: list[float], passes: list[bool], wants: str) -> bool:
        return self.probability(scores, passes, wants) >= self.threshold


class Reader:
    def __init__(self, folder: Path = MODEL_DIR):
        card = folder / "reader.json"
        if not card.exists():
            raise AssistantError(f"the trained reader is missing from {folder}: rebuild it with `make train`")
        settings = json.loads(card.read_text())
        if tuple(settings["features"]) != FEATURES:
            raise AssistantError(f"the reader in {folder} was trained on other features: rebuild it with `make train`")
        self.weights = tuple(float(w) for w in settings["weights"])
        self.bias = float(settings["bias"])
        a = settings["answerability"]
        self.answerability = Answerability(tuple(a["weights"]), float(a["bias"]), float(a["threshold"]))

    def scores(self, features: list[list[float]]) -> list[float]:
        """One logit per candidate: higher answers the question better."""
        return [self.bias + sum(w * x for w, x in zip(self.weights, f, strict=True)) for f in features]

    @staticmethod
    def probability(logit: float) -> float:
        return _sigmoid(logit)


@lru_cache(maxsize=1)
def load_reader() -> Reader:
    return Reader()
