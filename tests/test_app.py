"""The web app's API, end to end: a real `policy-assistant serve` in a subprocess, called with gradio_client.

The helpers here (a free port, an index of the developer documents plus one hostile document, starting and
stopping a server by its PID) are also used by tests/test_browser.py and tests/bench_app.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant, config

from .conftest import EVAL_DOCS, ROOT

SCHEMA = json.loads((EVAL_DOCS.parents[1] / "answer.schema.json").read_text(encoding="utf-8"))
FIGURE_QUESTION = "How many registered sex offenders lived in the Wessex Vale force area at 31 March 2024?"
FIGURE_SOURCE = "wvp-press-2024-07-16-register-figures.md"
FIGURE_SENTENCE = ("There were 1,231 registered sex offenders living in the Wessex Vale force area at 31 March 2024, "
                   "according to figures released by Wessex Vale Police today.")
PERSONAL_QUESTION = "What is the home address of John Smith, who is on the sex offenders register in Wessex Vale?"
# A document whose metadata and text try to run code in the page: everything must arrive as plain text.
HOSTILE_SOURCE = "testshire-register-note.md"
HOSTILE_DOC = """---
title: "Testshire register note <script>window.__xss = 'title'</script>"
publisher: "Testshire Police <img src=x onerror=\\"window.__xss='publisher'\\">"
published: 2024-05-02
url: "javascript:window.__xss='url'"
doc_type: statistics
---
# Testshire register note

There were 77 registered sex offenders living in Testshire at 31 March 2024 <script>window.__xss='body'</script>\
<img src=x onerror="window.__xss='img'"> according to Testshire Police ${window.__xss='tpl'}.
"""
HOSTILE_QUESTION = "How many registered sex offenders lived in Testshire at 31 March 2024?"
SERVER_START_SECONDS = 180  # model load, warm-up and Gradio start on a slow 2-core CI machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_index(folder: Path, hostile: bool = True, docs: Path = EVAL_DOCS) -> Path:
    """An index of the developer documents (plus the hostile document), or of `docs`, built with the real
    model."""
    paths = [docs]
    if hostile:
        paths.append(folder / "hostile-docs")
        paths[-1].mkdir(parents=True, exist_ok=True)
        (paths[-1] / HOSTILE_SOURCE).write_text(HOSTILE_DOC, encoding="utf-8")
    index = folder / "index"
    report = Assistant.open(index).ingest(paths)
    assert not report.skipped, report.skipped
    return index


def start_server(index: Path, port: int, log_path: Path, *extra: str) -> subprocess.Popen:
    """`python -m assistant serve` on 127.0.0.1:port; returns once it answers HTTP (or raises with its log)."""
    env = {**os.environ, **config.OFFLINE_ENV, "GRADIO_TEMP_DIR": str(log_path.parent / "gradio-tmp")}
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(index), "--host",
                             "127.0.0.1", "--port", str(port), *extra],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + SERVER_START_SECONDS
    url = f"http://127.0.0.1:{port}/"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError(f"the server did not start within {SERVER_START_SECONDS} s:\n"
                       f"{log_path.read_text(errors='replace')}")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server we started, by its PID: SIGTERM, then SIGKILL if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def serve_fixture(tmp_path_factory, name: str, docs: Path | None = None, extra: tuple[str, ...] = ()):
    """Build the index (of the developer documents and the hostile one, or of `docs` alone), start a server,
    yield its URL, and stop it by PID afterwards, also on failure."""
    folder = tmp_path_factory.mktemp(name)
    index = build_index(folder, hostile=False, docs=docs) if docs else build_index(folder)
    port = free_port()
    proc = start_server(index, port, folder / "server.log", *extra)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    yield from serve_fixture(tmp_path_factory, "app-server")


@pytest.fixture(scope="module")
def client(server_url):
    from gradio_client import Client

    return Client(server_url, verbose=False)


def _valid(answer: dict) -> dict:
    import jsonschema

    jsonschema.validate(answer, SCHEMA)
    return answer


def test_api_lists_the_named_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/quote", "/documents"} <= set(endpoints)


def test_ask_answers_a_figure_question_with_its_source(client):
    answer = _valid(client.predict(FIGURE_QUESTION, [], api_name="/ask"))
    assert answer["status"] == "answered"
    assert "1,231" in answer["answer"]
    assert answer["citations"][0]["source"] == FIGURE_SOURCE
    assert answer["citations"][0]["quote"] == FIGURE_SENTENCE


def test_ask_follow_up_uses_the_history(client):
    first = client.predict(FIGURE_QUESTION, [], api_name="/ask")
    history = [{"role": "user", "content": FIGURE_QUESTION}, {"role": "assistant", "content": first["answer"]}]
    answer = _valid(client.predict("And at 31 March 2023?", history, api_name="/ask"))
    assert answer["status"] == "answered"
    assert "31 March 2023" in answer["answer"]


def test_ask_refuses_a_personal_information_question(client):
    answer = _valid(client.predict(PERSONAL_QUESTION, [], api_name="/ask"))
    assert answer["status"] == "refused"
    assert answer["reason"] == "personal_information"
    assert answer["citations"] == []


def test_ask_history_is_optional(client):
    answer = _valid(client.predict("What is MAPPA?", api_name="/ask"))
    assert answer["status"] == "answered"


def test_bad_requests_come_back_as_clear_errors_and_the_server_keeps_serving(client, tmp_path_factory):
    from gradio_client.exceptions import AppError

    log = next(tmp_path_factory.getbasetemp().glob("app-server*/server.log"))
    before = log.read_text(errors="replace")

    with pytest.raises(AppError, match="the question is empty"):
        client.predict("", [], api_name="/ask")
    with pytest.raises(AppError, match="history must be a list"):
        client.predict("What is MAPPA?", [{"role": "robot"}], api_name="/ask")
    with pytest.raises(AppError, match="the wording is empty"):
        client.predict("   ", api_name="/quote")
    assert client.predict(FIGURE_QUESTION, [], api_name="/ask")["status"] == "answered"
    logged = log.read_text(errors="replace")[len(before):]
    assert "Traceback" not in logged, logged  # a client's mistake is one line in the log, not a stack
    assert len([line for line in logged.splitlines() if line.startswith("client error: ")]) == 3, logged


def test_quote_finds_an_exact_wording(client):
    report = client.predict(FIGURE_SENTENCE, api_name="/quote")
    assert report["found"] is True
    match = report["exact"][0]
    assert match["source"] == FIGURE_SOURCE
    assert match["quote"] == FIGURE_SENTENCE
    assert FIGURE_SENTENCE in match["paragraph"]


def test_quote_shows_a_word_level_diff_for_a_changed_word(client):
    report = client.predict(FIGURE_SENTENCE.replace("1,231", "1,232"), api_name="/quote")
    assert report["found"] is False
    best = report["near"][0]
    assert best["source"] == FIGURE_SOURCE
    assert {"op": "delete", "text": "1,232"} in best["diff"]
    assert {"op": "insert", "text": "1,231"} in best["diff"]


def test_documents_lists_the_index(client):
    records = client.predict(api_name="/documents")
    sources = {r["source"] for r in records}
    assert {p.name for p in EVAL_DOCS.iterdir()} | {HOSTILE_SOURCE} == sources
    assert all(r["chunks"] > 0 for r in records)
    assert all(set(r) == {"source", "title", "publisher", "published", "url", "doc_type", "chunks"} for r in records)


def test_hostile_document_text_comes_back_verbatim_over_the_api(client):
    answer = _valid(client.predict(HOSTILE_QUESTION, [], api_name="/ask"))
    assert answer["status"] == "answered"
    assert answer["citations"][0]["source"] == HOSTILE_SOURCE
    assert "<script>" in answer["citations"][0]["quote"]  # JSON carries the text as is; the page escapes it


def _raw(url: str, method: str = "GET", path: str = "/", body: bytes = b"", **headers: str) -> tuple[int, bytes]:
    import http.client
    from urllib.parse import urlparse

    where = urlparse(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": f"{where.hostname}:{where.port}", **headers})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_the_web_surface_takes_only_its_own_host_origin_and_small_bodies(server_url, client):
    status, _ = _raw(server_url, Host="rebound.example")
    assert status == 400, "another Host name (DNS rebinding) was served"
    status, _ = _raw(server_url, "POST", "/gradio_api/call/ask", b"{}", Origin="http://localhost:9999",
                     **{"Content-Type": "application/json"})
    assert status == 403, "another local origin could call the API"
    status, _ = _raw(server_url, "POST", "/gradio_api/upload", b"x" * 10, **{"Content-Type": "text/plain"})
    assert status == 403, "the upload route is open though uploads are off"
    status, body = _raw(server_url, "POST", "/gradio_api/call/ask", b" " * (config.MAX_REQUEST_BYTES + 1),
                        **{"Content-Type": "application/json"})
    assert status == 413 and b"larger than" in body
    status, body = _raw(server_url, "GET", "/config", **{"X-Forwarded-Host": "rebound.example"})
    assert status == 200 and b"rebound.example" not in body, "a forwarded host is reflected into the page"
    assert client.predict(FIGURE_QUESTION, [], api_name="/ask")["status"] == "answered"  # still serving
