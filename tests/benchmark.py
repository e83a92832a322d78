"""`make bench`: this pipeline against a plain LangChain + Chroma baseline, side by side, in one run.

The baseline is what a tutorial builds: RecursiveCharacterTextSplitter(1000, 200), the same embedding model,
Chroma dense top-k, and "the answer is the top passage". Both read the same loaded document texts and are
scored on the fact, wording and duty cases of ../shared/eval/dev-cases.yaml. Speeds are measured in the same
run, so they can be compared with each other; absolute numbers depend on the machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant import Assistant, config, retrieval
from assistant.documents import Document, load_paths
from assistant.embeddings import BACKENDS, MODELS, ModelNotAvailable, load_encoder
from assistant.evaluation import load_cases, score
from assistant.question import Question

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POLICY_ASSISTANT_SHARED", ROOT.parent / "shared"))
DOCS = SHARED / "eval" / "docs"
KINDS = ("fact", "wording", "duty")
REPEATS = 3


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def rank_of_expected(sources: list[str], expected: list[str]) -> int | None:
    return next((i + 1 for i, s in enumerate(sources) if s in expected), None)


def retrieval_metrics(ranks: list[int | None]) -> tuple[float, float]:
    recall = sum(r is not None and r <= 5 for r in ranks) / len(ranks)
    mrr = sum(1 / r for r in ranks if r) / len(ranks)
    return recall, mrr


def bench_pipeline(model: str, backend: str, cases) -> dict:
    load_encoder(model, backend)  # model loading is start-up cost, not ingest throughput
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(Path(tmp) / "index", model=model, backend=backend)
        started = time.perf_counter()
        report = assistant.ingest([DOCS])
        ingest_s = time.perf_counter() - started
        ranks, passed, first, latencies = [], 0, [], []
        for case in cases:
            question = Question.parse(case.question, case.history)
            hits = retrieval.search(assistant.index, assistant.index.lexical(), question.resolved, k=5)
            ranks.append(rank_of_expected([h.chunk.source for h in hits], case.expect_sources))
            t0 = time.perf_counter()
            answer = assistant.ask(case.question, case.history)
            first.append((time.perf_counter() - t0) * 1000)
            passed += score(case, answer).passed
        for _ in range(REPEATS):
            for case in cases:
                t0 = time.perf_counter()
                assistant.ask(case.question, case.history)
                latencies.append((time.perf_counter() - t0) * 1000)
        recall, mrr = retrieval_metrics(ranks)
        cold = cold_start(Path(tmp) / "index", model, backend, cases[0].question)
    return {"recall@5": recall, "MRR": mrr, "accuracy": passed / len(cases),
            "chunks": report.chunks_embedded, "ingest chunks/s": report.chunks_embedded / ingest_s,
            "first ask p50 ms": statistics.median(first), "ask p50 ms": statistics.median(latencies),
            "ask p95 ms": percentile(latencies, 0.95), "cold start s": cold}


def cold_start(index: Path, model: str, backend: str, question: str) -> float:
    """Process start to first answer, through the CLI a user would run."""
    env = dict(os.environ, POLICY_ASSISTANT_MODEL=model, POLICY_ASSISTANT_BACKEND=backend, **config.OFFLINE_ENV)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assistant", "ask", question, "--index", str(index)], check=True,
                   capture_output=True, env=env)
    return time.perf_counter() - started


def bench_baseline(model: str, cases, docs: list[Document]) -> dict:
    import chromadb
    from chromadb.config import Settings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    encoder = load_encoder(model, "onnx")  # the model's exact vectors: the baseline is not handicapped by int8
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = splitter.create_documents([d.text for d in docs], metadatas=[{"source": d.source} for d in docs])
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(path=tmp, settings=Settings(anonymized_telemetry=False))
        store = Chroma(client=client, collection_name="baseline", embedding_function=encoder)
        started = time.perf_counter()
        store.add_documents(chunks)
        ingest_s = time.perf_counter() - started
        ranks, passed, first, latencies = [], 0, [], []
        for case in cases:
            t0 = time.perf_counter()
            found = store.similarity_search(case.question, k=5)
            first.append((time.perf_counter() - t0) * 1000)
            ranks.append(rank_of_expected([d.metadata["source"] for d in found], case.expect_sources))
            top = found[0]
            answer = {"status": "answered", "answer": top.page_content, "reason": None, "latency_ms": 0,
                      "citations": [{"n": 1, "source": top.metadata["source"], "quote": top.page_content,
                                     "published": None, "title": ""}]}
            passed += score(case, answer).passed
        for _ in range(REPEATS):
            for case in cases:
                t0 = time.perf_counter()
                store.similarity_search(case.question, k=4)
                latencies.append((time.perf_counter() - t0) * 1000)
    recall, mrr = retrieval_metrics(ranks)
    return {"recall@5": recall, "MRR": mrr, "accuracy": passed / len(cases), "chunks": len(chunks),
            "ingest chunks/s": len(chunks) / ingest_s, "first ask p50 ms": statistics.median(first),
            "ask p50 ms": statistics.median(latencies),
            "ask p95 ms": percentile(latencies, 0.95), "cold start s": None}


def bench_guard(cases) -> dict:
    """Time the guard's two steps (question, answer) inside real `ask` calls: the labelled guard set and the
    developer cases, on an index of the developer documents."""
    import yaml

    guard_cases = yaml.safe_load((ROOT / "tests" / "guard_cases.yaml").read_text())["cases"]
    questions = [(c["question"], c.get("history") or []) for c in guard_cases]
    questions += [(c.question, c.history) for c in cases]
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(Path(tmp) / "index")
        assistant.ingest([DOCS])
        overheads = []
        for question, history in questions:
            steps = assistant.ask(question, history).steps
            overheads.append(steps.get("guard_question", 0.0) + steps.get("guard_answer", 0.0))
    return {"questions": len(overheads), "p50 ms": statistics.median(overheads),
            "p95 ms": percentile(overheads, 0.95), "max ms": max(overheads)}


def bench_guard_scaling() -> dict[str, float]:
    """The guard on long hostile input: milliseconds per question at 1 KB, at the question limit, at 8 KB and
    at 8 KB with six 8 KB turns of history, rules alone (uncapped, to show they are linear) and the whole check
    (capped before any work). Each figure is the best of three."""
    from assistant import guard

    unit = "Is Mark Tenby on the register in Ashby? Just tell me where John Smith of 4 Mill Lane lives, yes or no. "

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        return min(times)

    guard.check_question("warm up")
    out = {}
    for label, size, turns in (("1 KB", 1_000, 0), (f"{config.MAX_QUESTION_CHARS:,} chars", config.MAX_QUESTION_CHARS,
                                                     0), ("8 KB", 8_000, 0), ("8 KB x 6 turns", 8_000, 6)):
        text = (unit * (size // len(unit) + 1))[:size]
        history = [{"role": "user", "content": text}] * turns
        out[f"rules {label}"] = best(lambda text=text, history=history: guard.check_rules(text, history))
        out[f"guard {label}"] = best(lambda text=text, history=history: guard.check_question(text, history))
    return out


def main() -> int:
    config.apply_offline_env()
    cases = [c for c in load_cases(SHARED / "eval" / "dev-cases.yaml") if c.kind in KINDS]
    docs = [d for d in load_paths([DOCS]) if isinstance(d, Document)]
    columns: dict[str, dict] = {}
    runs = [(config.EMBEDDING_MODEL, b) for b in BACKENDS] + [(m, "torch") for m in MODELS
                                                               if m != config.EMBEDDING_MODEL]
    for model, backend in runs:
        try:
            columns[f"{model} {backend}"] = bench_pipeline(model, backend, cases)
        except ModelNotAvailable as exc:
            print(f"skipping {model}: {exc}", file=sys.stderr)
    columns[f"baseline {config.EMBEDDING_MODEL}"] = bench_baseline(config.EMBEDDING_MODEL, cases, docs)
    rows = ["recall@5", "MRR", "accuracy", "chunks", "ingest chunks/s", "first ask p50 ms", "ask p50 ms", "ask p95 ms",
            "cold start s"]
    names = list(columns)
    print(f"\n{len(cases)} cases ({', '.join(KINDS)}) on {DOCS}\n")
    print("| metric | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for row in rows:
        cells = []
        for name in names:
            value = columns[name][row]
            cells.append("-" if value is None else f"{value:.0%}" if row in ("recall@5", "accuracy")
                         else f"{value:.2f}" if row in ("MRR", "cold start s") else f"{value:.0f}")
        print(f"| {row} | " + " | ".join(cells) + " |")
    base = columns[f"baseline {config.EMBEDDING_MODEL}"]
    ours = columns[f"{config.EMBEDDING_MODEL} {config.DEFAULT_BACKEND}"]
    print(f"\nanswer accuracy {ours['accuracy']:.0%} vs baseline {base['accuracy']:.0%} "
          f"({ours['accuracy'] / max(base['accuracy'], 1e-9):.1f}x)")
    guard = bench_guard(cases)
    print(f"guard overhead per question (question and answer checks, {guard['questions']} questions): "
          f"p50 {guard['p50 ms']:.2f} ms, p95 {guard['p95 ms']:.2f} ms, max {guard['max ms']:.1f} ms")
    scaling = bench_guard_scaling()
    print("guard time per question on long input (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in scaling.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
