"""Stage 6a: a trained reader that judges which candidate sentence answers the question.

Word coverage and sentence similarity (`answer.py`'s hybrid score) tell which sentences talk about what the
question talks about; they cannot tell the sentence that answers from the one that shares its words ("car",
"phone"), nor "sleeping in different places" from "no sole or main residence". This is a cross-encoder: the
bundled all-MiniLM-L6-v2 weights fine-tuned by the project (`training/train_reader.py`, `make train`) on its own
labelled questions to read the question and one candidate together, exported to ONNX with int8 weights
(`models/reader/MODEL_CARD.md`). Whether any candidate answers at all is still the hybrid score's threshold:
a learned answerability decision (a logistic regression over the candidates' scores and the kind of question)
was fitted on validation and measured worse, so it was not kept.
"""

from __future__ import annotations

import json
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
