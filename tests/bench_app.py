"""Bounded load checks of the web app's API (run by `make bench`, not by pytest).

Starts `policy-assistant serve` on a free 127.0.0.1 port against a fresh index of the developer documents,
then (1) 20 concurrent gradio_client clients each ask 5 questions through /ask, (2) a soak: 50 clients
ask in a loop for 60 seconds, with the server's memory read at the start and the end, and (3) the same soak with
two hostile clients beside them, asking the longest question allowed with six turns of the longest history about
a document written to be slow (a sentence listing many names before "or"). Every ordinary request must come back
as a valid Answer with the expected status; it prints p50/p95 latency and throughput, writes
bench-output/app-bench.json, stops the server by its PID and exits 1 on any error, on memory growth over 20%, or
when the ordinary clients' p95 with the hostile ones is over 1.25 times their p95 without them.
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

from assistant import Assistant  # noqa: E402
from tests.test_app import (  # noqa: E402 - after the path set-up above
    FIGURE_QUESTION,
    PERSONAL_QUESTION,
    build_index,
    free_port,
    start_server,
    stop_server,
)

CLIENTS = 20
SOAK_CLIENTS = 50
SOAK_SECONDS = 60
QUESTIONS = [  # (question, expected status)
    (FIGURE_QUESTION, "answered"),
    ("What is MAPPA?", "answered"),
    ("What must a registered sex offender tell the police before travelling abroad?", "answered"),
    ("How do I apply under Sarah's Law?", "answered"),
    (PERSONAL_QUESTION, "refused"),
]
OUT = ROOT / "bench-output" / "app-bench.json"
HOSTILE_CLIENTS = 2
HOSTILE_SLOWDOWN = 1.25  # the most the ordinary clients' p95 may grow with the hostile clients beside them
_NAMES = ", ".join(f"Ashbury{chr(65 + i % 26)}{i} Fenwick{chr(65 + i % 26)}" for i in range(40))
POISONED_DOC = f"# Bulletin\n\nVisits were made across {_NAMES} or in the wider county, with 41 registered " \
               "sex offenders checked.\n"
HOSTILE_QUESTION = ("How many registered sex offenders were checked in " + _NAMES)[:2_000]
HOSTILE_HISTORY = [{"role": "user" if i % 2 == 0 else "assistant", "content": ("And " + _NAMES + " or ") * 4}
                   for i in range(6)]


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


def soak_run(url: str, barrier: threading.Barrier, deadline_after: float,
             hostile: bool = False) -> list[tuple[float, str | None]]:
    """One visitor asking again and again until the soak ends; a hostile one asks the slowest request it can
    make (any clear outcome is fine for it: it is timed, not checked)."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    barrier.wait()
    deadline = time.perf_counter() + deadline_after
    results, i = [], 0
    while time.perf_counter() < deadline:
        question, expected = (HOSTILE_QUESTION, None) if hostile else QUESTIONS[i % len(QUESTIONS)]
        i += 1
        started = time.perf_counter()
        try:
            answer = client.predict(question, HOSTILE_HISTORY if hostile else [], api_name="/ask")
            error = None if expected in (None, answer.get("status")) else f"{question!r}: {answer.get('status')}"
        except Exception as exc:
            error = None if hostile else f"{question!r}: {type(exc).__name__}: {exc}"
        results.append((time.perf_counter() - started, error))
    return results


def soak(url: str, hostile: int) -> tuple[dict, dict | None]:
    """SOAK_CLIENTS ordinary visitors (and `hostile` hostile ones) for SOAK_SECONDS: each group's summary."""
    barrier = threading.Barrier(SOAK_CLIENTS + hostile)
    started = time.perf_counter()
    with ThreadPoolExecutor(SOAK_CLIENTS + hostile) as pool:
        runs = list(pool.map(lambda n: soak_run(url, barrier, SOAK_SECONDS, hostile=n >= SOAK_CLIENTS),
                             range(SOAK_CLIENTS + hostile)))
    wall = time.perf_counter() - started
    with_ = f" beside {hostile} hostile clients" if hostile else ""
    ordinary = summary(f"soak, {SOAK_CLIENTS} clients for {SOAK_SECONDS} s{with_}",
                       [r for run in runs[:SOAK_CLIENTS] for r in run], wall)
    return ordinary, summary(f"  the {hostile} hostile clients", [r for run in runs[SOAK_CLIENTS:] for r in run],
                             wall) if hostile else None


def rss_mb(pid: int) -> float:
    """Resident memory of the server process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def summary(name: str, results: list[tuple[float, str | None]], wall: float) -> dict:
    seconds = [s for s, _ in results]
    errors = [e for _, e in results if e]
    report = {"requests": len(results), "errors": len(errors),
              "p50_ms": round(statistics.median(seconds) * 1000, 1),
              "p95_ms": round(percentile(seconds, 0.95) * 1000, 1), "max_ms": round(max(seconds) * 1000, 1),
              "wall_s": round(wall, 1), "requests_per_s": round(len(results) / wall, 2),
              "error_messages": errors[:20]}
    print(f"{name}: {len(results)} requests in {report['wall_s']} s ({report['requests_per_s']}/s); "
          f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms; {len(errors)} errors")
    for e in errors[:20]:
        print("  error:", e)
    return report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="app-bench-") as tmp:
        folder = Path(tmp)
        poisoned = folder / "poisoned"
        poisoned.mkdir()
        (poisoned / "bulletin.md").write_text(POISONED_DOC, encoding="utf-8")
        index = build_index(folder, hostile=False)
        Assistant.open(index).ingest([poisoned])
        port = free_port()
        proc = start_server(index, port, folder / "server.log")
        try:
            url = f"http://127.0.0.1:{port}/"
            barrier = threading.Barrier(CLIENTS)
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                runs = list(pool.map(lambda _: client_run(url, barrier), range(CLIENTS)))
            load = summary(f"load check, {CLIENTS} clients x {len(QUESTIONS)} questions",
                           [r for run in runs for r in run], time.perf_counter() - started)
            memory_start = rss_mb(proc.pid)
            plain, _ = soak(url, hostile=0)
            memory_end = rss_mb(proc.pid)
            beside, hostile = soak(url, hostile=HOSTILE_CLIENTS)
        finally:
            stop_server(proc)
    growth = memory_end / memory_start - 1 if memory_start else 0.0
    plain.update(memory_start_mb=round(memory_start, 1), memory_end_mb=round(memory_end, 1),
                 memory_growth=round(growth, 3))
    slowdown = beside["p95_ms"] / plain["p95_ms"]
    print(f"server memory: {memory_start:.0f} MB after the load check, {memory_end:.0f} MB after the soak "
          f"({100 * growth:+.1f}%)")
    print(f"ordinary clients' p95 beside {HOSTILE_CLIENTS} hostile clients: {slowdown:.2f} x their p95 without "
          f"them (allowed: {HOSTILE_SLOWDOWN})")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"load": load, "soak": plain, "soak_beside_hostile": beside, "hostile": hostile,
                               "hostile_slowdown_p95": round(slowdown, 3)}, indent=2) + "\n", encoding="utf-8")
    failed = load["errors"] or plain["errors"] or beside["errors"] or growth > 0.2 or slowdown > HOSTILE_SLOWDOWN
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
