"""A bounded load check of the web app's API (run by `make bench`, not by pytest).

Starts `policy-assistant serve` on a free 127.0.0.1 port against a fresh index of the developer documents,
then 20 concurrent gradio_client clients each ask 5 questions through /ask. Every request must come back as
a valid Answer with the expected status; it prints p50/p95 latency and throughput, writes
bench-output/app-bench.json, stops the server by its PID and exits 1 on any error.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_app import (  # noqa: E402 - after the path set-up above
    FIGURE_QUESTION,
    PERSONAL_QUESTION,
    build_index,
    free_port,
    start_server,
    stop_server,
)

CLIENTS = 20
QUESTIONS = [  # (question, expected status)
    (FIGURE_QUESTION, "answered"),
    ("What is MAPPA?", "answered"),
    ("What must a registered sex offender tell the police before travelling abroad?", "answered"),
    ("How do I apply under Sarah's Law?", "answered"),
    (PERSONAL_QUESTION, "refused"),
]
OUT = ROOT / "bench-output" / "app-bench.json"


def client_run(url: str, barrier: threading.Barrier) -> list[tuple[float, str | None]]:
    """One visitor: connect, wait for the others, ask every question once. Returns (seconds, error) each."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    barrier.wait()
    results = []
    for question, expected in QUESTIONS:
        started = time.perf_counter()
        try:
            answer = client.predict(question, [], api_name="/ask")
            error = None if answer.get("status") == expected else f"{question!r}: {answer.get('status')}"
        except Exception as exc:  # counted and reported, never fatal to the other clients
            error = f"{question!r}: {type(exc).__name__}: {exc}"
        results.append((time.perf_counter() - started, error))
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="app-bench-") as tmp:
        folder = Path(tmp)
        index = build_index(folder, hostile=False)
        port = free_port()
        proc = start_server(index, port, folder / "server.log")
        try:
            url = f"http://127.0.0.1:{port}/"
            barrier = threading.Barrier(CLIENTS)
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                runs = list(pool.map(lambda _: client_run(url, barrier), range(CLIENTS)))
            wall = time.perf_counter() - started
        finally:
            stop_server(proc)
    results = [r for run in runs for r in run]
    seconds = [s for s, _ in results]
    errors = [e for _, e in results if e]
    report = {
        "clients": CLIENTS, "questions_each": len(QUESTIONS), "requests": len(results), "errors": len(errors),
        "p50_ms": round(statistics.median(seconds) * 1000, 1), "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1), "wall_s": round(wall, 1),
        "requests_per_s": round(len(results) / wall, 2),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({**report, "error_messages": errors[:20]}, indent=2) + "\n", encoding="utf-8")
    print(f"app load check: {CLIENTS} clients x {len(QUESTIONS)} questions = {len(results)} requests in "
          f"{report['wall_s']} s ({report['requests_per_s']}/s, including connecting); "
          f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms; "
          f"{len(errors)} errors")
    for e in errors[:20]:
        print("  error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
