"""Bad input, bad documents, crashes and a vector store that goes away: nothing lost, nothing leaked, and a
clear message instead of a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import Assistant, AssistantError
from assistant.documents import Document, LoadError, load_file

from .conftest import EVAL_DOCS
from .test_cli import ENV

# --- bad questions -------------------------------------------------------------------------------------

STRANGE_QUESTIONS = [
    "How many registered sex offenders\x00\x07 lived in Wessex Vale at 31 March 2024?",  # control characters
    "\u202eHow many registered sex offenders lived in Wessex Vale at 31 March 2024?\u202c",  # right-to-left
    "How\u200b many registered sex offenders lived in Wessex Vale at 31 March 2024?",  # zero-width space
    "<script>alert(1)</script> What is MAPPA?",
    "**What** is `MAPPA`? [click](javascript:alert(1))",
    "¿Cuántos delincuentes sexuales registrados hay en Wessex Vale?",
    "登记的性犯罪者有多少人？",
    "?" * 50,
    "a",
]


@pytest.mark.parametrize("question", STRANGE_QUESTIONS)
def test_strange_questions_get_an_answer_or_a_clear_status(eval_assistant, question):
    answer = eval_assistant.ask(question)
    assert answer.status in ("answered", "refused", "no_answer")
    assert "<script>" not in answer.answer


def test_control_and_invisible_characters_do_not_change_the_answer(eval_assistant):
    plain = eval_assistant.ask("How many registered sex offenders lived in Wessex Vale at 31 March 2024?")
    for noisy in STRANGE_QUESTIONS[:3]:
        assert eval_assistant.ask(noisy).answer == plain.answer


def test_oversized_question_is_refused_with_the_limit(eval_assistant):
    with pytest.raises(AssistantError, match="limit is 2,000"):
        eval_assistant.ask("How many? " * 10_000)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300), st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "x"]),
                                                               "content": st.text(max_size=80)}), max_size=3))
def test_fuzz_question_path_never_raises_anything_unexpected(eval_assistant, question, history):
    try:
        answer = eval_assistant.ask(question, history)
    except AssistantError as exc:
        assert "empty" in str(exc)
        return
    assert answer.status in ("answered", "refused", "no_answer")
    for c in answer.citations:
        assert eval_assistant.index.document_text(c.source)[c.start:c.end] == c.quote


# --- bad documents -------------------------------------------------------------------------------------

def test_hostile_and_broken_documents_are_reported_and_the_rest_is_indexed(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(EVAL_DOCS / "wvp-guidance-notification-requirements.md", docs)
    (docs / "latin1.txt").write_bytes("Guidance for caf\xe9 owners\n\nOpen daily.".encode("cp1252"))
    (docs / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 100)
    (docs / "tags.md").write_text("---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\nx\n")
    (docs / "huge-title.md").write_text("---\ntitle: " + "A" * 50_000 + "\n---\nBody text here.\n")
    (docs / "empty.md").write_text("")
    (docs / "big.txt").write_bytes(b"word " * (11 * 1024 * 1024))  # 55 MB
    (docs / "page.html").write_text(
        "<html><head><script>document.write('INJECTED')</script></head><body><nav>Menu</nav><main><article>"
        "<h1>Safe page</h1><p>Registered offenders must notify the police of foreign travel.</p>"
        "<iframe src='http://evil.example'></iframe><script>alert('x')</script></article></main></body></html>")
    assistant = Assistant.open(tmp_path / "index")
    report = assistant.ingest([docs])
    skipped = {s.source: s.reason for s in report.skipped}
    assert set(skipped) == {"image.md", "tags.md", "huge-title.md", "empty.md", "big.txt"}
    assert "binary" in skipped["image.md"] and "limit" in skipped["big.txt"]
    assert sorted(report.added) == ["latin1.txt", "page.html", "wvp-guidance-notification-requirements.md"]
    assert not Path("/tmp/pwned").exists()
    page = assistant.index.document_text("page.html")
    assert "INJECTED" not in page and "alert" not in page and "evil.example" not in page
    assert assistant.index.check().ok


def test_links_fifos_and_random_bytes_are_reported_and_never_read(tmp_path):
    """A link out of the folder (here to the guidance beside it and to /etc/passwd) is not followed; a FIFO is
    not opened (reading one hangs); random bytes without a NUL are not indexed as text."""
    import random

    docs = tmp_path / "docs"
    docs.mkdir()
    outside = tmp_path / "outside.md"
    shutil.copy(EVAL_DOCS / "wvp-guidance-notification-requirements.md", outside)
    shutil.copy(EVAL_DOCS / "wvp-guidance-notification-requirements.md", docs / "guidance.md")
    (docs / "passwd.md").symlink_to("/etc/passwd")
    (docs / "outside.md").symlink_to(outside)
    (docs / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(docs / "pipe.txt")
    os.mkfifo(tmp_path / "named.md")
    rng = random.Random(7)
    (docs / "noise.txt").write_bytes(bytes(rng.choice([b for b in range(1, 256) if b != 0]) for _ in range(5000)))
    assistant = Assistant.open(tmp_path / "index")
    report = assistant.ingest([docs, tmp_path / "named.md"])
    skipped = {s.source: s.reason for s in report.skipped}
    assert report.added == ["guidance.md"]
    assert {"passwd.md", "outside.md", "linked-folder", "pipe.txt", "named.md", "noise.txt"} == set(skipped)
    assert "link" in skipped["passwd.md"] and "regular file" in skipped["pipe.txt"]
    assert "binary" in skipped["noise.txt"]
    assert not any("root:" in assistant.index.document_text(s) for s in report.added)


def test_an_unreadable_folder_is_reported_and_prune_keeps_its_documents(tmp_path, monkeypatch):
    """Root reads every folder, so the operating system's refusal is simulated at the one call that lists a
    folder; everything else (ingest, prune, the index) is real."""
    docs = tmp_path / "docs"
    (docs / "archive").mkdir(parents=True)
    shutil.copy(EVAL_DOCS / "wvp-guidance-notification-requirements.md", docs / "guidance.md")
    shutil.copy(EVAL_DOCS / "wvp-guidance-notification-requirements.md", docs / "archive" / "old-guidance.md")
    assistant = Assistant.open(tmp_path / "index")
    assert sorted(assistant.ingest([docs]).added) == ["archive/old-guidance.md", "guidance.md"]
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == docs / "archive":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = assistant.ingest([docs], prune=True)
    assert [s.source for s in report.skipped] == ["archive/"] and "cannot be read" in report.skipped[0].reason
    assert report.removed == []
    assert "archive/old-guidance.md" in {r["source"] for r in assistant.index.document_records()}


def test_an_unpaired_surrogate_is_read_past(eval_assistant):
    answer = eval_assistant.ask("What is MAPPA?\ud800", [{"role": "user", "content": "hello \udfff"}])
    assert answer.status in ("answered", "no_answer")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([".md", ".txt", ".html", ".pdf"]))
def test_fuzz_loaders_load_or_explain(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"file{suffix}"
    path.write_bytes(data)
    try:
        doc = load_file(path)
    except LoadError as exc:
        assert str(exc)
        return
    assert isinstance(doc, Document) and doc.text.strip()


# --- crashes -------------------------------------------------------------------------------------------

def _slow_pdf(path: Path, pages: int) -> None:
    """A small PDF that is slow to read: thousands of separately placed words (about 2 s a page here)."""
    import random

    from fpdf import FPDF

    words = random.Random(1).choices(["register", "offender", "notify", "police", "address", "travel"], k=4000)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=4)
    for _ in range(pages):
        pdf.add_page()
        for i, word in enumerate(words):
            pdf.text(6 * (i % 34), 2 + 2 * (i // 34 % 140), word[:4])
    pdf.output(str(path))


def test_a_file_not_read_within_its_budget_is_skipped_and_the_rest_is_indexed(tmp_path, monkeypatch):
    """A PDF is read in a worker process that is stopped when the file's time budget runs out; the ingest
    goes on with a fresh worker, so the PDF after it and the other files are indexed."""
    from assistant import config

    docs = tmp_path / "docs"
    docs.mkdir()
    _slow_pdf(docs / "a-slow.pdf", pages=8)
    shutil.copy(EVAL_DOCS / "wv-community-safety-partnership-report-2024.pdf", docs / "b-report.pdf")
    shutil.copy(EVAL_DOCS / "seed-oxfordshire-register.md", docs / "c-register.md")
    monkeypatch.setattr(config, "FILE_SECONDS", 4.0)
    report = Assistant.open(tmp_path / "index").ingest([docs])
    assert [(s.source, s.reason) for s in report.skipped] == [
        ("a-slow.pdf", "not read within 4 s (a damaged or hostile file?); skipped")]
    assert sorted(report.added) == ["b-report.pdf", "c-register.md"]


def test_kill_during_ingest_then_ingest_again_leaves_every_document_once(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):  # enough documents that the kill lands mid-way
        for src in EVAL_DOCS.iterdir():
            shutil.copy(src, docs / f"{i}-{src.name}")
    index = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(docs), "--index", str(index)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    seen = 0
    for line in proc.stdout:  # wait until some documents are in, then kill without warning
        seen += line.strip().startswith("added")
        if seen >= 8:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    again = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(docs), "--index", str(index),
                            "--json"], capture_output=True, text=True, env=ENV, timeout=600)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert len(report["unchanged"]) >= 7 and not report["skipped"]
    assistant = Assistant.open(index, create=False)
    check = assistant.index.check()
    assert check.ok, check.lines()
    assert check.documents == 6 * len(list(EVAL_DOCS.iterdir()))
    got = assistant.index.chunks.get(include=["metadatas"])
    keys = [(m["source"], m["start"], m["end"]) for m in got["metadatas"]]
    assert len(keys) == len(set(keys)), "a passage is stored twice"


def test_a_crash_between_passages_and_record_serves_nothing_broken_and_ingest_repairs_it(tmp_path):
    """Simulated at that exact point: the new passages of a changed document are written, then the write of
    its record fails (a kill -9 or a full disk). Nothing of the unfinished version is served, `check` says so
    and how to repair it, and the next ingest does."""
    docs = tmp_path / "docs"
    docs.mkdir()
    release = docs / "release.md"
    release.write_text("---\ntitle: Register figures\npublisher: Testshire Police\npublished: 2024-07-01\n---\n"
                       "There were 412 registered sex offenders living in Testshire at 31 March 2024.\n")
    index = tmp_path / "index"
    assistant = Assistant.open(index)
    assistant.ingest([docs])
    release.write_text(release.read_text().replace("412", "415") + "\nThe corrected figure replaces 412.\n")
    store = assistant.index.documents

    def crash(**_):
        raise OSError("No space left on device")

    original, store.upsert = store.upsert, crash
    try:
        with pytest.raises(OSError):
            assistant.ingest([docs])
    finally:
        store.upsert = original
    reopened = Assistant.open(index, create=False)  # a server started after the crash
    check = reopened.index.check()
    assert not check.ok and any("belong to no current document" in p for p in check.problems), check.lines()
    for a in (reopened.ask("How many registered sex offenders lived in Testshire at 31 March 2024?"),
              assistant.ask("How many registered sex offenders lived in Testshire at 31 March 2024?")):
        assert a.status == "answered" and "412" in a.answer and "415" not in a.answer, a.answer
        for c in a.citations:
            assert reopened.index.document_text(c.source)[c.start:c.end] == c.quote != ""
    assistant.ingest([docs])  # the repair `check` names
    assert reopened.index.check().ok
    assert "415" in Assistant.open(index, create=False).ask(
        "How many registered sex offenders lived in Testshire at 31 March 2024?").answer


def test_the_same_questions_get_the_same_answers_in_any_order_and_any_process(eval_assistant):
    """The developer questions asked forwards here, after whatever other tests asked, and backwards in a fresh
    process: every answer is the same. Vectors cached from one question's candidates used to depend on the
    batch they were encoded in, so order changed answers."""
    import yaml

    from .conftest import EVAL_CASES

    questions = [c["question"] for c in yaml.safe_load(EVAL_CASES.read_text())["cases"]
                 if not c.get("history") and c.get("kind") in ("fact", "wording", "duty", "abstain")][:25]
    forwards = [eval_assistant.ask(q).to_dict() for q in questions]
    script = ("import json, sys\nfrom assistant import Assistant\na = Assistant.open(sys.argv[1], create=False)\n"
              "qs = json.loads(sys.stdin.read())\nprint(json.dumps([a.ask(q).to_dict() for q in qs[::-1]][::-1]))")
    run = subprocess.run([sys.executable, "-c", script, str(eval_assistant.index.path)], input=json.dumps(questions),
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    backwards = json.loads(run.stdout)
    keep = ("status", "answer", "citations")
    assert [{k: a[k] for k in keep} for a in backwards] == [{k: a[k] for k in keep} for a in forwards]


# --- a Chroma server that goes away and comes back -----------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_chroma(path: Path, port: int) -> subprocess.Popen:
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture()
def chroma_server(tmp_path):
    port = _free_port()
    procs = [_start_chroma(tmp_path / "chroma", port)]
    yield port, tmp_path / "chroma", procs
    for proc in procs:
        if proc.poll() is None:
            _stop(proc)


def test_server_mode_survives_the_server_going_away(chroma_server):
    port, data, procs = chroma_server
    url = f"http://127.0.0.1:{port}"
    question = "How many registered sex offenders lived in the Wessex Vale force area at 31 March 2024?"
    assistant = Assistant.open("unused", chroma_url=url)
    assistant.ingest([EVAL_DOCS])
    assert "1,231" in assistant.ask(question).answer
    # A second process shares the same server and gives the same answer.
    other = subprocess.run([sys.executable, "-m", "assistant", "ask", question, "--chroma-url", url, "--json"],
                           capture_output=True, text=True, env=ENV, timeout=300)
    assert json.loads(other.stdout)["answer"] == assistant.ask(question).answer
    _stop(procs[0])
    with pytest.raises(AssistantError, match="not answering"):
        assistant.ask(question)
    procs.append(_start_chroma(data, port))  # restarted on the same data
    assert "1,231" in assistant.ask(question).answer
    assert assistant.index.check().ok


def _finishes_within(seconds: float, work) -> bool:
    import threading

    done = threading.Event()
    threading.Thread(target=lambda: (work(), done.set()), daemon=True).start()
    return done.wait(seconds)


def test_a_sentence_listing_many_names_is_answered_promptly(tmp_path):
    """Twenty capitalised names before 'and'/'or' made the list check backtrack exponentially (one question ran
    past 120 s and froze the server); it is now one pass over the names."""
    from assistant import Assistant

    names = ", ".join(f"Ashbury{chr(65 + i)} Fenwick{chr(65 + i)}" for i in range(20))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bulletin.md").write_text(f"# Bulletin\n\nVisits were made across {names} or in the wider county "
                                        "area, with 41 registered sex offenders checked.\n")
    assistant = Assistant.open(tmp_path / "index")
    assistant.ingest([folder])
    assert _finishes_within(30, lambda: assistant.ask("How many registered sex offenders were checked in "
                                                      "AshburyC FenwickC?"))


def test_sentence_splitting_is_linear_in_a_paragraph_s_length():
    """A long paragraph whose stops are followed by lower-case words was re-scanned after every stop (184 KB:
    60 s); it now reads a short window before each stop."""
    from assistant.chunking import split_units

    text = "The register grew. it was said. " * 12_000  # 384 KB, one paragraph
    assert _finishes_within(20, lambda: split_units(text))


# --- time grows with the input, never faster ------------------------------------------------------------

# Pieces that the patterns work on: capitalised runs, lists with "and"/"or", stops before lower case, numbers,
# dates, table bars, markdown marks, quotes, spaced letters and invisible characters.
_PIECES = st.sampled_from(["Ashby", "Kerr", "O'Neill", "and", "or", ", ", ". ", ".", " it", "2,154", "31 March 2024",
                           "2023/24", "|", " | ", "- ", "# ", "**", "\"", "said", "J. ", "S M I T H", "\u200b", "\n",
                           "\n\n", "register", "Close", "Street", "aged 34", "PC", "St. ", "(", ")", ":", "?"])


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _grows_linearly(make, small: int, times: int) -> tuple[float, float]:
    """(seconds at `small` repeats, seconds at `times` x that); the larger run may cost `times` x 4 the smaller
    (linear, with room for a noisy machine) plus a fixed 0.3 s, far below what a quadratic pattern costs."""
    make(small)  # first calls compile patterns and warm caches
    return _seconds(lambda: make(small)), _seconds(lambda: make(small * times))


@settings(max_examples=20, deadline=None)
@given(st.lists(_PIECES, min_size=3, max_size=30).map("".join))
def test_fuzz_reading_and_chunking_a_document_take_time_linear_in_its_size(tmp_path_factory, fragment):
    """Loading (markdown and plain text), chunking, and reading a document for private names, on a document of
    a repeated hostile fragment: 16 times the size costs at most about 16 times the time."""
    from assistant import chunking, redact

    folder = tmp_path_factory.mktemp("fuzz")

    def run(repeats: int) -> None:
        text = "# Notice\n\n" + " ".join([fragment] * repeats)
        for name in ("doc.md", "doc.txt"):
            (folder / name).write_text(text, encoding="utf-8")
            try:
                doc = load_file(folder / name)
            except LoadError:
                continue
            chunking.chunk_document(doc)
            redact.private_names(doc.text)

    small, large = _grows_linearly(run, max(1, 4_000 // len(fragment)), 16)
    assert large <= 16 * 4 * small + 0.3, (fragment, small, large)


@settings(max_examples=20, deadline=None)
@given(st.lists(_PIECES, min_size=3, max_size=30).map("".join))
def test_fuzz_the_guard_and_question_reading_take_time_linear_in_the_question(fragment):
    """The guard's rules (with six turns of history) and the question parser, on a question of a repeated
    hostile fragment: 8 times the length costs at most about 8 times the time."""
    from assistant import config, guard, question

    def run(repeats: int) -> None:
        text = " ".join([fragment] * repeats)[:config.MAX_QUESTION_CHARS]
        history = [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i in range(6)]
        guard.check_rules(text, history)
        question.periods(text)
        question.figures(text)
        question.proper_names(text)
        question.resolve_follow_up(text, history)

    small, large = _grows_linearly(run, max(1, 250 // len(fragment)), 8)
    assert large <= 8 * 4 * small + 0.3, (fragment, small, large)


def test_spaced_letters_are_read_in_time_linear_in_their_length():
    """A first pattern for "i s   k e v i n" (letters apart, words further apart) backtracked over a long run of
    spaced letters: 8 times the run cost 60 times the time."""
    from assistant import guard

    guard.normalise("S M I T H " * 100)  # the first call compiles the patterns
    small = _seconds(lambda: guard.normalise("S M I T H " * 100))
    large = _seconds(lambda: guard.normalise("S M I T H " * 800))
    assert large <= 8 * 4 * small + 0.05, (small, large)
