"""Stage 6a: a trained reader says how well each candidate sentence, list item or table row answers.

Word overlap and sentence similarity cannot tell the sentence that answers from the one that merely shares
the question's words ("car", "phone"), nor "sleeping in different places" from "no sole or main residence".
A cross-encoder reads the question and the candidate together and can. No such model ships with its weights
in any package these machines can install, so the project trains its own (`training/`, `make train`): the
bundled all-MiniLM-L6-v2 encoder with a head on its mean-pooled tokens, trained on labelled questions from
many invented jurisdictions, exported to ONNX int8 and committed beside this file with its model card.

Two decisions come from it: the reader's score ranks the candidates, and a small calibrated model over the
scores of the best candidates (`answerable`) decides whether the documents answer the question at all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import config
from .errors import AssistantError

MODEL_DIR = Path(__file__).parent / "models" / "reader"


def passage_text(*, title: str, publisher: str | None, published: str | None, headings: tuple[str, ...] | list[str],
                 lead: str, text: str) -> str:
    """What the reader sees of a candidate: who published it and when (the same measure for another force or
    year must be told apart), where it sits (heading path), what introduces it (a table's header, a list's
    lead-in, the "X said:" line) and the unit itself. Training and answering both build it here."""
    where = " > ".join(h for h in headings if h and h != title)
    about = " · ".join(p for p in (publisher or "", published or "", title) if p)
    return "\n".join(p for p in (about, where, lead, text) if p)


@dataclass(frozen=True)
class Answerability:
    """Logistic regression over a question's best reader scores, fitted on the validation split."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    @staticmethod
    def features(scores: list[float], wants: str) -> list[float]:
        ordered = sorted(scores, reverse=True) + [-10.0, -10.0]
        top, second = ordered[0], ordered[1]
        return [top, top - second, math.log1p(len(scores)), float(wants in ("count", "rate", "duration")),
                float(wants == "wording")]

    def probability(self, scores: list[float], wants: str) -> float:
        if not scores:
            return 0.0
        z = self.bias + sum(w * x for w, x in zip(self.weights, self.features(scores, wants), strict=True))
        return 1.0 / (1.0 + math.exp(-z))


class Reader:
    def __init__(self, folder: Path = MODEL_DIR):
        import onnxruntime
        from tokenizers import Tokenizer

        card = folder / "reader.json"
        if not card.exists():
            raise AssistantError(f"the trained reader is missing from {folder}: rebuild it with `make train`")
        settings = json.loads(card.read_text())
        self.max_length = int(settings["max_length"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length, strategy="only_second")
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = config.ONNX_THREADS
        self.session = onnxruntime.InferenceSession(str(folder / settings["model"]), options,
                                                    providers=["CPUExecutionProvider"])
        a = settings["answerability"]
        self.answerability = Answerability(tuple(a["weights"]), float(a["bias"]), float(a["threshold"]))

    def scores(self, question: str, passages: list[str]) -> list[float]:
        """One logit per passage: higher answers the question better. Batched by similar length."""
        out = [0.0] * len(passages)
        order = sorted(range(len(passages)), key=lambda i: len(passages[i]))
        for i in range(0, len(order), config.READER_BATCH):
            batch = order[i:i + config.READER_BATCH]
            encodings = self.tokenizer.encode_batch([(question, passages[j]) for j in batch])
            feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                     "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                     "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
            for j, logit in zip(batch, self.session.run(None, feeds)[0].reshape(-1), strict=True):
                out[j] = float(logit)
        return out


@lru_cache(maxsize=1)
def load_reader() -> Reader:
    """One reader per process: loading costs about a second, scoring a question's candidates milliseconds."""
    return Reader()
