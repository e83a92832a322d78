"""Stage 6a: a trained reader that judges which candidate sentence answers the question.

Word coverage and sentence similarity (`answer.py`'s hybrid score) tell which sentences talk about what the
question talks about; they cannot tell the sentence that answers from the one that shares its words ("car",
"phone"), nor "sleeping in different places" from "no sole or main residence". This is a cross-encoder: the
bundled all-MiniLM-L6-v2 weights fine-tuned by the project (`training/train_reader.py`, `make train`) on its own
labelled questions to read the question and one candidate together, exported to ONNX with int8 weights
(`models/reader/MODEL_CARD.md`).

Whether the best candidate answers at all is a decision of its own (`Answerability`): a logistic regression
over what the reader thinks of its best candidate and whether the question's own words are in it, its passage
and its document (`answer.answerability_features`), fitted and calibrated by `training/train_answerable.py`.
A ranking score alone cannot make it: the reader learned which of a question's candidates is the answer, not
whether there is one, so its scores are comparable within a question, not across questions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .embeddings import OnnxScorer
from .errors import AssistantError

MODEL_DIR = Path(__file__).parent / "models" / "reader"


@dataclass(frozen=True)
class Reader:
    scorer: OnnxScorer
    hybrid_weight: float  # the hybrid score's weight beside the model's, chosen on validation

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> Reader:
        card = folder / "reader.json"
        if not card.exists():
            raise AssistantError(f"the trained reader is missing from {folder}: rebuild it with `make train`")
        settings = json.loads(card.read_text())
        return cls(OnnxScorer(folder / settings["model"], settings["max_length"], pairs=True),
                   float(settings["hybrid_weight"]))

    def scores(self, question: str, passages: list[str]) -> list[float]:
        """One score per passage (higher: more likely the answer), each pair read alone."""
        return self.scorer.scores([(question, p) for p in passages])


@lru_cache(maxsize=1)
def load_reader() -> Reader:
    return Reader.load()


@dataclass(frozen=True)
class Answerability:
    """Whether the reader's best candidate answers the question: a logistic regression over
    `answer.answerability_features`."""

    features: tuple[str, ...]
    mean: tuple[float, ...]  # each feature is standardised before it is weighed
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer from this probability on: chosen on validation

    @classmethod
    def load(cls, path: Path = MODEL_DIR / "answerable.json") -> Answerability:
        if not path.exists():
            raise AssistantError(f"the answerability decision is missing ({path}): rebuild it with `make train`")
        s = json.loads(path.read_text())
        return cls(tuple(s["features"]), tuple(s["mean"]), tuple(s["scale"]), tuple(s["weights"]),
                   float(s["bias"]), float(s["threshold"]))

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * (features[f] - m) / s
                            for f, m, s, w in zip(self.features, self.mean, self.scale, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def answers(self, features: dict[str, float]) -> bool:
        return self.probability(features) >= self.threshold


@lru_cache(maxsize=1)
def load_answerability() -> Answerability:
    return Answerability.load()
