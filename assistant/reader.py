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

import numpy as np

from . import config
from .errors import AssistantError

MODEL_DIR = Path(__file__).parent / "models" / "reader"


@dataclass(frozen=True)
class Reader:
    session: object  # onnxruntime.InferenceSession
    tokenizer: object  # tokenizers.Tokenizer
    hybrid_weight: float  # the hybrid score's weight beside the model's, chosen on validation

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> Reader:
        import onnxruntime
        from tokenizers import Tokenizer

        card = folder / "reader.json"
        if not card.exists():
            raise AssistantError(f"the trained reader is missing from {folder}: rebuild it with `make train`")
        settings = json.loads(card.read_text())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = config.ONNX_THREADS
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(folder / settings["model"]), options,
                                               providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(settings["max_length"], strategy="only_second")
        tokenizer.no_padding()  # the saved tokenizer pads every pair to max_length
        return cls(session, tokenizer, float(settings["hybrid_weight"]))

    def scores(self, question: str, passages: list[str]) -> list[float]:
        """One score per passage (higher: more likely the answer), each pair run alone and unpadded: int8
        scales each run's activations together, so in a batch a candidate's score would move with its
        neighbours (by up to 1.8 here); alone it is the same in any company, and 2.7 times faster than
        padding every pair to the longest."""
        out = []
        for e in self.tokenizer.encode_batch([(question, p) for p in passages]):
            ids = np.array([e.ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                     "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
            out.append(float(self.session.run(None, feeds)[0][0]))
        return out


@lru_cache(maxsize=1)
def load_reader() -> Reader:
    return Reader.load()
