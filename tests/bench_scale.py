"""`make bench-scale`: ingest throughput, memory, index size and `ask` latency at 2,000, 20,000 and 100,000
chunks of a synthetic corpus (tests/synthetic.py), embedded Chroma and a Chroma server side by side, with the
encode rate of every backend and what int8 costs on the developer cases. Not part of `make test`.

Every heavy step runs in a child process of its own (this file, `--child STEP`), so its peak memory
(ru_maxrss) is its own. Ingest at 2,000 and 20,000 chunks embeds for real with the default backend
(config.DEFAULT_BACKEND), and at 2,000 (20,000 if time is left) with the fp32 reference too; each is compared
with its bare encoder on the same search texts (`chunk.search_text(doc.title)`) in the same run. The 100,000-chunk index
is built from vectors computed once and kept outside git in ~/.cache/policy-assistant/bench/ (keyed by the
text's SHA-1, the model, its weights and the backend); `ingest` runs unchanged except that the encoder's
`encode` for passages reads that cache, so its rate there is storage only. The run keeps to a time budget
(--budget-min, default 45): a step whose estimate does not fit is skipped and reported as such. Vectors
missing from the cache are computed with whatever time is left, saved as they go, and a later run resumes.

    .venv/bin/python tests/bench_scale.py [--sizes 2000,20000,100000] [--budget-min 45] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import OrderedDict
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(ROOT))

import synthetic  # noqa: E402

from assistant import config  # noqa: E402

config.apply_offline_env()
CACHE_ROOT = config.MODEL_CACHE / "bench"
SHARD = 1000  # vectors per cache file
CHROMA = ROOT / ".venv" / "bin" / "chroma"
STORE_RATE = 300  # chunks/s of a storage-only ingest, for estimates (measured 640-660 at 20,000 chunks, quiet)
DEFAULT = config.DEFAULT_BACKEND  # what ingest and ask use unless told otherwise
REFERENCE = "onnx"  # fp32: the model's exact vectors, the yardstick of the int8 default


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {msg}", file=sys.stderr, flush=True)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def search_texts(corpus: Path) -> list[str]:
    """Exactly what the index embeds, in the order it meets the documents."""
    from assistant.chunking import chunk_document
    from assistant.documents import Document, load_paths

    return [c.search_text(d.title) for d in load_paths([corpus]) if isinstance(d, Document)
            for c in chunk_document(d)]


# --- the vector cache -----------------------------------------------------------------------------------

def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode()).digest()


class VectorCache:
    """Vectors by SHA-1 of the text, in shards of SHARD (keys .npy + vectors .npy), one folder per model,
    weights and backend. Lookups keep a few shards in memory, so reading 100,000 vectors costs megabytes."""

    def __init__(self, encoder):
        weights = next(Path(encoder.path).glob("*.safetensors"), None) or next(Path(encoder.path).glob("*.bin"))
        stamp = hashlib.sha256(f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}".encode()).hexdigest()[:12]
        variant = getattr(encoder, "model_file", Path(encoder.backend)).name  # which export: int8 has had two
        self.dir = CACHE_ROOT / f"{encoder.name}-{stamp}-{encoder.backend}-{variant}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.where: dict[bytes, tuple[str, int]] = {}
        for keys_file in sorted(self.dir.glob("*.keys.npy")):
            shard = keys_file.name.removesuffix(".keys.npy")
            for row, k in enumerate(np.load(keys_file)):
                self.where[k.tobytes()] = (shard, row)
        self._loaded: OrderedDict[str, np.ndarray] = OrderedDict()

    def missing(self, texts: list[str]) -> list[str]:
        return list(dict.fromkeys(t for t in texts if _key(t) not in self.where))

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        keys = np.frombuffer(b"".join(_key(t) for t in texts), dtype=np.uint8).reshape(len(texts), 20)
        shard = hashlib.sha1(keys.tobytes()).hexdigest()[:16]
        np.save(self.dir / f"{shard}.vectors.npy", vectors.astype(np.float32))
        np.save(self.dir / f"{shard}.keys.npy.partial.npy", keys)  # keys last: a shard without keys is unused
        (self.dir / f"{shard}.keys.npy.partial.npy").replace(self.dir / f"{shard}.keys.npy")
        for row, k in enumerate(keys):
            self.where[k.tobytes()] = (shard, row)

    def get(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            shard, row = self.where[_key(text)]
            if shard not in self._loaded:
                self._loaded[shard] = np.load(self.dir / f"{shard}.vectors.npy")
                while len(self._loaded) > 4:
                    self._loaded.popitem(last=False)
            out.append(self._loaded[shard][row])
        return np.asarray(out, dtype=np.float32)


class CachedPassages:
    """Stands in for the index's encoder during ingest only: passages come from the cache (misses are
    encoded for real), everything else is the real encoder's."""

    def __init__(self, real, cache: VectorCache):
        self.real, self.cache, self.misses = real, cache, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def encode(self, texts, *, query=False):
        if query:
            return self.real.encode(texts, query=True)
        missing = self.cache.missing(texts)
        if missing:
            self.misses += len(missing)
            self.cache.add(missing, self.real.encode(missing))
        return self.cache.get(texts)


# --- child steps ----------------------------------------------------------------------------------------

def child_encode(args) -> dict:
    """The bare encoder on the corpus's search texts: load the model first (start-up is not throughput)."""
    from assistant.embeddings import load_encoder

    texts = search_texts(args.corpus)[:args.limit or None]
    enc = load_encoder(config.EMBEDDING_MODEL, args.backend)
    enc.encode(texts[:8])
    cache = VectorCache(enc) if args.fill else None
    t0 = time.perf_counter()
    vectors = enc.encode(texts)
    seconds = time.perf_counter() - t0
    if cache is not None:
        todo = cache.missing(texts)
        index = {t: i for i, t in enumerate(texts)}
        for i in range(0, len(todo), SHARD):
            part = todo[i:i + SHARD]
            cache.add(part, vectors[[index[t] for t in part]])
    return {"chunks": len(texts), "seconds": seconds, "rate": len(texts) / seconds, "maxrss_mb": maxrss_mb(),
            "load": os.getloadavg()[0]}


def child_fill(args) -> dict:
    """Compute the vectors the cache lacks, a shard at a time, until done or out of time."""
    from assistant.embeddings import load_encoder

    texts = search_texts(args.corpus)
    enc = load_encoder(config.EMBEDDING_MODEL, args.backend)
    cache = VectorCache(enc)
    todo = cache.missing(texts)
    deadline = time.time() + args.seconds
    done, t0 = 0, time.perf_counter()
    for i in range(0, len(todo), SHARD):
        if time.time() > deadline:
            break
        part = todo[i:i + SHARD]
        cache.add(part, enc.encode(part))
        done += len(part)
        log(f"cache: {len(texts) - len(todo) + done:,}/{len(texts):,} vectors")
    return {"chunks": len(texts), "cached": len(texts) - len(todo) + done, "computed": done,
            "rate": done / max(time.perf_counter() - t0, 1e-9)}


def child_ingest(args) -> dict:
    """Ingest the corpus into a fresh index (embedded or server), then ask every question twice."""
    from assistant import Assistant
    from assistant.embeddings import load_encoder

    real = load_encoder(config.EMBEDDING_MODEL, args.backend)
    real.encode(["warm up"])
    assistant = Assistant.open(args.index, chroma_url=args.chroma_url, backend=args.backend)
    index = assistant.index
    base_rss = maxrss_mb()
    encode_s = [0.0]
    target = CachedPassages(real, VectorCache(real)) if args.cached else real
    inner = target.encode

    def timed(texts, **kw):
        t = time.perf_counter()
        try:
            return inner(texts, **kw)
        finally:
            encode_s[0] += time.perf_counter() - t

    target.encode = timed  # time the encoder's share of ingest
    index._encoder = target
    t0 = time.perf_counter()
    report = assistant.ingest([args.corpus])
    ingest_s = time.perf_counter() - t0
    ingest_rss = maxrss_mb()
    del target.encode
    misses = target.misses if args.cached else None
    index._encoder = real  # questions use the real encoder
    questions = synthetic.questions()
    first, second, right, statuses = [], [], 0, {}
    t0 = time.perf_counter()
    assistant.ask(questions[0].question)
    first_ask = time.perf_counter() - t0  # includes building BM25 from what Chroma holds
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q.question)
        first.append(time.perf_counter() - t)
    steps: dict[str, list[float]] = {}
    for q in questions:
        t = time.perf_counter()
        answer = assistant.ask(q.question)
        second.append(time.perf_counter() - t)
        for k, v in (answer.steps or {}).items():
            steps.setdefault(k, []).append(v)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        cited = {c.source for c in answer.citations}
        right += answer.status == "answered" and q.expect in answer.answer and q.source in cited
    return {"chunks": report.chunks_embedded, "documents": len(report.added), "ingest_s": ingest_s,
            "rate": report.chunks_embedded / ingest_s, "encode_s": encode_s[0], "cache_misses": misses,
            "base_rss_mb": base_rss, "ingest_rss_mb": ingest_rss, "ask_rss_mb": maxrss_mb(),
            "first_ask_s": first_ask, "ask_ms": [s * 1000 for s in second], "first_pass_ms": [s * 1000 for s in first],
            "steps_ms": {k: float(np.median(v)) for k, v in steps.items()}, "right": right,
            "questions": len(questions), "statuses": statuses, "load": os.getloadavg()[0]}


def child_devcases(args) -> dict:
    """recall@5 and answer accuracy on the developer cases for one backend (benchmark.py's scoring)."""
    import benchmark

    from assistant import Assistant, retrieval
    from assistant.embeddings import load_encoder
    from assistant.evaluation import load_cases, score
    from assistant.question import Question

    cases = [c for c in load_cases(benchmark.SHARED / "eval" / "dev-cases.yaml") if c.kind in benchmark.KINDS]
    load_encoder(config.EMBEDDING_MODEL, args.backend)
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(Path(tmp) / "index", backend=args.backend)
        assistant.ingest([benchmark.DOCS])
        ranks, passed = [], 0
        for case in cases:
            hits = retrieval.search(assistant.index, assistant.index.lexical(),
                                    Question.parse(case.question, case.history).resolved, k=5)
            ranks.append(benchmark.rank_of_expected([h.chunk.source for h in hits], case.expect_sources))
            passed += score(case, assistant.ask(case.question, case.history)).passed
    recall, mrr = benchmark.retrieval_metrics(ranks)
    return {"cases": len(cases), "recall@5": recall, "MRR": mrr, "accuracy": passed / len(cases)}


CHILDREN = {"encode": child_encode, "fill": child_fill, "ingest": child_ingest, "devcases": child_devcases}


# --- the parent ---------------------------------------------------------------------------------------

def run_child(step: str, *extra: str, env: dict | None = None, timeout: float | None = None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        result_file = out.name
    cmd = [sys.executable, __file__, "--child", step, "--result", result_file, *extra]
    proc = subprocess.Popen(cmd, env={**os.environ, **config.OFFLINE_ENV, **(env or {})})
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        if proc.returncode:
            raise RuntimeError(f"child {step} failed with exit code {proc.returncode}")
        result = json.loads(Path(result_file).read_text())
    finally:
        Path(result_file).unlink(missing_ok=True)
    result["child_maxrss_mb"] = usage.ru_maxrss / 1024
    return result


class ChromaServer:
    def __init__(self, path: Path):
        self.path = path
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(path.parent / f"{path.name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"the Chroma server did not start; see {self.log.name}") from None
                time.sleep(0.3)

    def peak_rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Budget:
    def __init__(self, minutes: float):
        self.end = time.time() + minutes * 60
        self.skipped: list[str] = []

    def left(self) -> float:
        return self.end - time.time()

    def allows(self, what: str, estimate: float) -> bool:
        if estimate <= self.left():
            return True
        self.skipped.append(f"{what}: estimated {estimate / 60:.1f} min, {max(self.left(), 0) / 60:.1f} min left")
        log(f"skipping {what} (estimated {estimate / 60:.1f} min, {self.left() / 60:.1f} min left)")
        return False


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def slope(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--budget-min", type=float, default=45.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-output" / "scale.md")
    parser.add_argument("--fill-cache", type=int, metavar="CHUNKS",
                        help="only compute the cached vectors for a corpus of this size, then exit")
    parser.add_argument("--child")
    parser.add_argument("--result")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--chroma-url")
    parser.add_argument("--backend", default=config.DEFAULT_BACKEND)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--fill", action="store_true")
    parser.add_argument("--cached", action="store_true")
    parser.add_argument("--seconds", type=float, default=1e9)
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](args)
        Path(args.result).write_text(json.dumps(result))
        return 0
    started = time.time()
    budget = Budget(args.budget_min)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        if args.fill_cache:
            corpus = work / "corpus"
            synthetic.write_corpus(corpus, args.fill_cache)
            print(run_child("fill", "--corpus", str(corpus), "--backend", DEFAULT))
            return 0
        return run_all(sizes, budget, work, args.out, started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(sizes: list[int], budget: Budget, work: Path, out_file: Path, started: float) -> int:
    loads = [os.getloadavg()]
    corpora: dict[int, tuple[Path, int, int]] = {}
    for n in sizes:
        corpus = work / f"corpus-{n}"
        docs, chunks = synthetic.write_corpus(corpus, n)
        corpora[n] = (corpus, docs, chunks)
        log(f"corpus {n:,}: {docs:,} documents, {chunks:,} chunks")
    small = min(sizes)
    rates: dict[str, dict] = {}
    # 1. the bare default encoder on the smallest corpus, then ingest it
    log(f"bare {DEFAULT} encoder on the smallest corpus")
    rates[DEFAULT] = run_child("encode", "--corpus", str(corpora[small][0]), "--backend", DEFAULT, "--fill")
    default_rate = rates[DEFAULT]["rate"]
    est_ingest = {n: corpora[n][2] / (default_rate * 0.8) + 60 for n in sizes}
    rows: dict[tuple[int, str, str], dict] = {}
    bare: dict[tuple[int, str], dict] = {(small, DEFAULT): rates[DEFAULT]}

    def ingest(n: int, mode: str, cached: bool = False, backend: str = DEFAULT) -> None:
        corpus = corpora[n][0]
        target = work / f"index-{n}-{mode}"
        extra = ["--corpus", str(corpus), "--index", str(target), "--backend", backend]
        extra += ["--cached"] if cached else []
        log(f"ingest {n:,} chunks, {mode}, {backend}{' from cached vectors' if cached else ''}")
        try:
            if mode == "server":
                server = ChromaServer(work / f"server-{n}")
                try:
                    result = run_child("ingest", *extra, "--chroma-url", server.url)
                    result["server_rss_mb"] = server.peak_rss_mb()
                finally:
                    server.stop()
                result["disk_mb"] = du_mb(server.path)
            else:
                result = run_child("ingest", *extra)
                result["disk_mb"] = du_mb(target)
        except RuntimeError as exc:  # e.g. the package failing at this size: report it, measure the rest
            budget.skipped.append(f"{n:,} chunks, {mode}, {backend}: FAILED ({exc}; the child's traceback is on "
                                  "stderr)")
            log(f"  failed: {exc}")
            return
        result["cached"] = cached
        rows[(n, mode, backend)] = result
        loads.append(os.getloadavg())
        log(f"  {result['rate']:.1f} chunks/s, ask p50 {pct(result['ask_ms'], 50):.0f} ms, "
            f"{result['right']}/{result['questions']} right")
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(work / f"server-{n}", ignore_errors=True)

    for mode in ("embedded", "server"):
        if budget.allows(f"ingest {small:,} {mode}", est_ingest[small] / (0.8 if mode == "server" else 1)):
            ingest(small, mode)
    # 2. the other backends, the reference's ingest ratio, and what int8 costs on the developer cases
    for backend, speed in ((REFERENCE, 0.6), ("torch", 0.4)):
        if budget.allows(f"{backend} encoder", corpora[small][2] / (default_rate * speed) + 30):
            log(f"bare {backend} encoder")
            rates[backend] = run_child("encode", "--corpus", str(corpora[small][0]), "--backend", backend)
    if REFERENCE in rates and budget.allows(f"ingest {small:,} embedded, {REFERENCE}", est_ingest[small] / 0.6):
        bare[(small, REFERENCE)] = rates[REFERENCE]
        ingest(small, "embedded", backend=REFERENCE)
    quality: dict[str, dict] = {}
    for backend in (REFERENCE, DEFAULT):
        if budget.allows(f"developer cases, {backend}", 150):
            log(f"developer cases, {backend}")
            quality[backend] = run_child("devcases", "--backend", backend)
    # 3. the middle sizes: bare encoder (which also fills the cache), then real ingest in both modes
    large = [max(sizes)] if len(sizes) > 2 else []  # built from cached vectors
    middle = [n for n in sizes if n != small and n not in large]
    for n in middle:
        if budget.allows(f"bare {DEFAULT} encoder at {n:,}", corpora[n][2] / default_rate + 30):
            log(f"bare {DEFAULT} encoder on {n:,} chunks")
            bare[(n, DEFAULT)] = run_child("encode", "--corpus", str(corpora[n][0]), "--backend", DEFAULT, "--fill")
        if budget.allows(f"ingest {n:,} embedded", est_ingest[n]):
            ingest(n, "embedded")
    for n in middle:
        if budget.allows(f"ingest {n:,} server (real embedding)", est_ingest[n] / 0.8):
            ingest(n, "server")
        elif budget.allows(f"ingest {n:,} server from cached vectors", corpora[n][2] / STORE_RATE + 120):
            ingest(n, "server", cached=True)
    # 4. the large sizes, from cached vectors (computing the missing ones with the time left)
    for n in large:
        cache_state = run_child("fill", "--corpus", str(corpora[n][0]), "--backend", DEFAULT, "--seconds", "0")
        missing = cache_state["chunks"] - cache_state["cached"]
        build = corpora[n][2] / STORE_RATE + 180  # storage-only ingest in one mode, asks included
        if missing:
            spare = budget.left() - 2 * build
            log(f"cache for {n:,}: {cache_state['cached']:,} cached, {missing:,} missing; "
                f"{max(spare, 0) / 60:.1f} min to compute them")
            if spare > 60:
                cache_state = run_child("fill", "--corpus", str(corpora[n][0]), "--backend", DEFAULT,
                                        "--seconds", str(spare))
                missing = cache_state["chunks"] - cache_state["cached"]
        if missing:
            budget.skipped.append(f"{n:,} chunks: {missing:,} of {cache_state['chunks']:,} vectors not cached; "
                                  f"at {default_rate:.0f} chunks/s they need {missing / default_rate / 60:.0f} min, "
                                  f"and building the index from them about {build / 60:.0f} min per mode "
                                  f"(run again: the cache resumes, or `bench_scale.py --fill-cache {n}`)")
            continue
        for mode in ("embedded", "server"):
            if budget.allows(f"ingest {n:,} {mode} from cache", build):
                ingest(n, mode, cached=True)
    # 5. with time to spare: the reference encoder's ingest ratio at a middle size too
    for n in middle:
        ref_rate = rates.get(REFERENCE, {}).get("rate", default_rate / 1.7)
        if budget.allows(f"bare {REFERENCE} encoder and ingest at {n:,}", 2.3 * corpora[n][2] / ref_rate + 90):
            bare[(n, REFERENCE)] = run_child("encode", "--corpus", str(corpora[n][0]), "--backend", REFERENCE)
            ingest(n, "embedded", backend=REFERENCE)
    loads.append(os.getloadavg())
    text = report(sizes, corpora, rows, bare, rates, quality, budget, loads, started)
    print(text)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text)
    log(f"written to {out_file}")
    return 0


def report(sizes, corpora, rows, bare, rates, quality, budget, loads, started) -> str:
    lines = [f"# Scale benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
             f"{time.time() - started:.0f} s)", "",
             "Load average (1 min) over the run: " + ", ".join(f"{x[0]:.1f}" for x in loads)
             + " — other processes on the same cores make every timing noisy.", "",
             f"Synthetic corpus: tests/synthetic.py (seed {synthetic.SEED}); "
             + "; ".join(f"{n:,}: {corpora[n][1]:,} documents, {corpora[n][2]:,} chunks" for n in sizes) + ".", "",
             "## Ingest and ask", "",
             "| chunks | mode | backend | vectors | ingest chunks/s | bare encoder chunks/s | ratio "
             "| encode share of ingest | encoder inside ingest chunks/s | peak RSS ingest (MB) "
             "| peak RSS after asks (MB) | server peak RSS (MB) "
             "| index on disk (MB) | first ask (s) | ask p50 (ms) | ask p95 (ms) | right | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in sizes:
        keys = [k for k in rows if k[0] == n] or [(n, m, DEFAULT) for m in ("embedded", "server")]
        for key in sorted(keys, key=lambda k: (k[2] != DEFAULT, k[1])):
            r = rows.get(key)
            if r is None:
                lines.append(f"| {corpora[n][2]:,} | {key[1]} | {key[2]} | not measured (see below) |" + " |" * 14)
                continue
            b = bare.get((n, key[2]))
            bare_rate = f"{b['rate']:.1f}" if b else "-"
            ratio = f"{r['rate'] / b['rate']:.0%}" if b and not r["cached"] else "-"
            vectors = "cached (storage only)" if r["cached"] else "embedded in ingest"
            server = f"{r['server_rss_mb']:.0f}" if r.get("server_rss_mb") else "-"
            inside = "-" if r["cached"] else f"{r['chunks'] / r['encode_s']:.1f}"
            lines.append(
                f"| {r['chunks']:,} | {key[1]} | {key[2]} | {vectors} | {r['rate']:.1f} | {bare_rate} "
                f"| {ratio} | {r['encode_s'] / r['ingest_s']:.0%} | {inside} | {r['ingest_rss_mb']:.0f} "
                f"| {r['ask_rss_mb']:.0f} "
                f"| {server} | {r['disk_mb']:.0f} | {r['first_ask_s']:.1f} | {pct(r['ask_ms'], 50):.0f} "
                f"| {pct(r['ask_ms'], 95):.0f} | {r['right']}/{r['questions']} | {r['load']:.1f} |")
    base = next((f"{r['base_rss_mb']:.0f}" for r in rows.values()), "?")
    lines += ["", f"`ask`: {len(synthetic.questions())} questions from tests/synthetic.py, each asked twice; the "
              "second pass is timed (the question's vector is then cached). 'first ask' includes building BM25 "
              "from Chroma. 'right': answered, with the expected figure and its source cited. Peak RSS is the "
              f"child process's ru_maxrss (model loaded, index open: {base} MB before ingest). 'ratio': ingest "
              "rate over the bare encoder's on the same search texts in one call, sorted by length over all of "
              f"them (the encoder's best case); 'encoder inside ingest': the same encoder in the calls of "
              f"EMBED_GROUP={config.EMBED_GROUP} texts that ingest makes, so what grouping costs.", ""]
    lines += ["## Against the targets", ""]
    for (n, mode, backend), r in rows.items():
        b = bare.get((n, backend))
        if b and not r["cached"]:
            lines.append(f"- ingest {r['chunks']:,}, {mode}, {backend}: {r['rate'] / b['rate']:.0%} of the bare "
                         f"encoder (target ≥ 85%): {'met' if r['rate'] >= 0.85 * b['rate'] else 'NOT met'}")
    for mode in ("embedded", "server"):
        measured = [n for n in sizes if (n, mode, DEFAULT) in rows]
        xs = [rows[(n, mode, DEFAULT)]["chunks"] for n in measured]
        exponent = slope(xs, [pct(rows[(n, mode, DEFAULT)]["ask_ms"], 50) for n in measured])
        lines.append(f"- {mode}: growth exponent of ask p50 with chunks (slope of log p50 vs log chunks over "
                     f"{', '.join(f'{x:,}' for x in xs) or 'nothing'}): "
                     + (f"{exponent:.2f}" if exponent is not None else "needs two sizes"))
        lo, hi = rows.get((min(sizes), mode, DEFAULT)), rows.get((max(sizes), mode, DEFAULT))
        if lo and hi and lo is not hi:
            ratio = pct(hi["ask_ms"], 95) / pct(lo["ask_ms"], 95)
            lines.append(f"  - ask p95 at {hi['chunks']:,} is {ratio:.2f}x its value at {lo['chunks']:,} "
                         f"(target < 3x at 100,000): {'met' if ratio < 3 else 'NOT met'}"
                         + ("" if max(sizes) >= 100_000 else " — largest size measured is below 100,000"))
        two_k = rows.get((sizes[0], mode, DEFAULT))
        twenty_k = rows.get((sizes[1], mode, DEFAULT)) if len(sizes) > 1 else None
        if two_k and twenty_k and not twenty_k["cached"]:
            growth = twenty_k["ingest_rss_mb"] / two_k["ingest_rss_mb"] - 1
            lines.append(f"  - peak RSS ingesting {twenty_k['chunks']:,} vs {two_k['chunks']:,}: {growth:+.0%} "
                         f"(target within 20%): {'met' if abs(growth) <= 0.2 else 'NOT met'}")
    ref = rates.get(REFERENCE, rates[DEFAULT])
    lines += ["", f"## Encoder backends (same {rates[DEFAULT]['chunks']:,} chunks)", "",
              f"| backend | chunks/s | vs {REFERENCE} (fp32) | load |", "|---|---|---|---|"]
    for backend, r in rates.items():
        lines.append(f"| {backend}{' (default)' if backend == DEFAULT else ''} | {r['rate']:.1f} "
                     f"| {r['rate'] / ref['rate']:.2f}x | {r['load']:.1f} |")
    if quality:
        lines += ["", "## What int8 costs on the developer cases (fact, wording, duty)", "",
                  "| backend | cases | recall@5 | MRR | answer accuracy |", "|---|---|---|---|---|"]
        for backend, q in quality.items():
            lines.append(f"| {backend} | {q['cases']} | {q['recall@5']:.0%} | {q['MRR']:.2f} | {q['accuracy']:.0%} |")
        lines.append("\n(torch gives the same vectors as onnx, so the same results.)")
    steps = {f"{n:,} {m} {b}": r["steps_ms"] for (n, m, b), r in rows.items()}
    if steps:
        names = list(dict.fromkeys(k for s in steps.values() for k in s))
        lines += ["", "## Where warm ask time goes (median ms per pipeline step)", "",
                  "| size, mode, backend | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for key, s in steps.items():
            lines.append(f"| {key} | " + " | ".join(f"{s.get(k, 0):.1f}" for k in names) + " |")
    if budget.skipped:
        lines += ["", "## Not measured in this run", ""] + [f"- {s}" for s in budget.skipped]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
