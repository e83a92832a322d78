"""The Chroma index: idempotent, incremental re-ingest on the real model, nothing duplicated."""

from __future__ import annotations

import shutil

import pytest

from assistant import Assistant, AssistantError, config

from .conftest import EVAL_DOCS


@pytest.fixture()
def docs(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(EVAL_DOCS, folder)
    return folder


def _chunk_ids_by_source(assistant: Assistant) -> dict[str, list[str]]:
    got = assistant.index.chunks.get(include=["metadatas"])
    out: dict[str, list[str]] = {}
    for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
        out.setdefault(meta["source"], []).append(chunk_id)
    return out


def test_second_ingest_embeds_nothing_and_changed_document_is_replaced(tmp_path, docs):
    assistant = Assistant.open(tmp_path / "index")
    first = assistant.ingest([docs])
    assert len(first.added) == 9 and first.chunks_embedded == assistant.index.count() > 0

    second = assistant.ingest([docs])
    assert second.chunks_embedded == 0
    assert sorted(second.unchanged) == sorted(first.added)
    count = assistant.index.count()

    seed = docs / "seed-oxfordshire-register.md"
    seed.write_text(seed.read_text().replace("There are 310 registered", "There are 311 registered"))
    third = assistant.ingest([docs])
    assert third.updated == ["seed-oxfordshire-register.md"]
    assert 0 < third.chunks_embedded <= 2, "only the changed passage is embedded again"
    assert assistant.index.count() == count
    text = assistant.index.document_text("seed-oxfordshire-register.md")
    assert "311 registered" in text and "310 registered" not in text
    by_source = _chunk_ids_by_source(assistant)
    assert all(len(ids) == len(set(ids)) for ids in by_source.values())
    answer = assistant.ask("According to the news report, how many registered sex offenders live in Oxfordshire?")
    assert "311" in answer.answer and "310" not in answer.answer


def test_reopened_index_answers_without_reingest(tmp_path, docs):
    Assistant.open(tmp_path / "index").ingest([docs / "wvp-guidance-notification-requirements.md"])
    reopened = Assistant.open(tmp_path / "index", create=False)
    answer = reopened.ask("What is the maximum penalty for failing to comply with notification requirements?")
    assert answer.status == "answered"
    assert answer.citations[0].source == "wvp-guidance-notification-requirements.md"


def test_missing_index_says_to_ingest(tmp_path):
    with pytest.raises(AssistantError, match="ingest"):
        Assistant.open(tmp_path / "nothing-here", create=False)


def test_empty_index_says_to_ingest(tmp_path):
    with pytest.raises(AssistantError, match="ingest"):
        Assistant.open(tmp_path / "empty").ask("How many people are on the register?")


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(AssistantError, match="no such file"):
        Assistant.open(tmp_path / "index").ingest([tmp_path / "does-not-exist"])


def test_check_finds_orphans_and_says_how_to_repair(tmp_path, docs):
    assistant = Assistant.open(tmp_path / "index")
    assistant.ingest([docs])
    assert assistant.index.check().ok
    assistant.index.documents.delete(ids=["seed-oxfordshire-register.md"])  # as if a crash lost the record
    report = assistant.index.check()
    assert not report.ok
    assert any("belong to no current document" in p for p in report.problems)
    assert any("ingest" in r for r in report.repairs)
    assistant.ingest([docs])
    assert assistant.index.check().ok


def test_prune_removes_deleted_files_and_only_with_prune(tmp_path, docs):
    assistant = Assistant.open(tmp_path / "index")
    assistant.ingest([docs])
    (docs / "seed-oxfordshire-register.md").unlink()
    kept = assistant.ingest([docs])
    assert kept.removed == [] and "seed-oxfordshire-register.md" in assistant.index.documents.get()["ids"]
    pruned = assistant.ingest([docs], prune=True)
    assert pruned.removed == ["seed-oxfordshire-register.md"]
    assert "seed-oxfordshire-register.md" not in _chunk_ids_by_source(assistant)
    assert assistant.index.check().ok
    answer = assistant.ask("According to the news report, how many registered sex offenders live in Oxfordshire?")
    assert answer.status == "no_answer"


def test_a_second_writer_is_told_who_holds_the_index(tmp_path, docs):
    import fcntl

    assistant = Assistant.open(tmp_path / "index")
    with (tmp_path / "index" / ".ingest.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 4242")
        held.flush()
        with pytest.raises(AssistantError, match="another ingest"):
            assistant.ingest([docs])


def test_whole_collection_reads_are_paged(tmp_path, docs, monkeypatch):
    """SQLite refuses a single read of ~32k records: scans go a page at a time (a small page here)."""
    from assistant import config

    assistant = Assistant.open(tmp_path / "index")
    assistant.ingest([docs])
    monkeypatch.setattr(config, "READ_PAGE", 7)
    shutil.rmtree(tmp_path / "index" / "lexical")  # so the lexical index is built from Chroma again
    assert len(Assistant.open(tmp_path / "index").index.lexical().ids) == assistant.index.count()
    report = assistant.index.check()
    assert report.ok and report.chunks == assistant.index.count() and report.documents == 9


def test_lexical_index_is_saved_per_generation_and_rebuilt_when_unreadable(tmp_path, docs):
    """Ingest leaves the BM25 index of its generation on disk; another process loads it and finds what a
    fresh build from Chroma finds; a damaged copy is rebuilt; a new generation replaces the old one."""
    from assistant.index import LexicalIndex

    path = tmp_path / "index"
    writer = Assistant.open(path)
    writer.ingest([docs])
    generation = f"{writer.index.fingerprint()}-{config.TOKENIZER_VERSION}"  # and the tokenizer's version
    assert [p.name for p in (path / "lexical").iterdir()] == [generation]

    loaded = Assistant.open(path).index.lexical()
    chunks = writer.index.get_chunks(loaded.ids)
    built = LexicalIndex.build((c.id, c.search_text()) for c in chunks)
    assert len(chunks) == len(loaded.ids) == writer.index.count()
    assert loaded.idf == pytest.approx(built.idf)
    for query in ("registered sex offenders Oxfordshire", "notify travel abroad", "MAPPA category"):
        assert dict(loaded.search(query, 5)) == pytest.approx(dict(built.search(query, 5)))

    (path / "lexical" / generation / "ids.json").write_text("not json")
    answer = Assistant.open(path).ask("How many registered sex offenders were living in Oxfordshire?")
    assert answer.status == "answered" and "310" in answer.answer
    assert len(LexicalIndex.load(path / "lexical" / generation).ids) == writer.index.count()

    seed = docs / "seed-oxfordshire-register.md"
    seed.write_text(seed.read_text().replace("There are 310 registered", "There are 311 registered"))
    writer.ingest([docs])
    newer = f"{writer.index.fingerprint()}-{config.TOKENIZER_VERSION}"
    assert newer != generation
    assert [p.name for p in (path / "lexical").iterdir()] == [newer]
