"""Chunking: structure-aware spans whose text is exactly the document text at their offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import config
from assistant.chunking import chunk_document, split_units
from assistant.documents import Document, load_paths

from .conftest import CORPUS, EVAL_DOCS


def _check(doc: Document) -> None:
    chunks = chunk_document(doc)
    assert chunks, "every non-empty document yields a chunk"
    previous_end = 0
    for chunk in chunks:
        assert chunk.text == doc.text[chunk.start:chunk.end]
        assert chunk.start >= previous_end, "chunks are in order and do not overlap"
        previous_end = chunk.end
        for s, e in split_units(chunk.text, 0, len(chunk.text), chunk.kind):
            assert 0 <= s < e <= len(chunk.text)


def test_real_documents_chunk_with_exact_offsets():
    for doc in load_paths([EVAL_DOCS, CORPUS]):
        assert isinstance(doc, Document), doc
        _check(doc)


def test_table_rows_stay_whole_with_their_header():
    doc = next(d for d in load_paths([EVAL_DOCS]) if d.source == "wv-mappa-annual-report-2023-24.md")
    tables = [c for c in chunk_document(doc) if c.kind == "table"]
    assert tables
    for chunk in tables:
        header = chunk.context or chunk.text.splitlines()[0]
        assert "31 March 2023" in header or "2022/23" in header
        for line in chunk.text.splitlines():
            assert line.startswith("|") and line.rstrip().endswith("|")


def test_quotes_carry_their_speaker():
    doc = next(d for d in load_paths([EVAL_DOCS]) if d.source == "wvp-press-2024-07-16-register-figures.md")
    quote = next(c for c in chunk_document(doc) if "That is the law, not a courtesy" in c.text)
    assert "Oyelaran" in quote.context
    assert quote.headings[-1] == "Spokesperson"


def test_ids_depend_on_content():
    doc = next(iter(load_paths([EVAL_DOCS / "seed-oxfordshire-register.md"])))
    again = [c.id for c in chunk_document(doc)]
    assert again == [c.id for c in chunk_document(doc)]
    changed = Document(**{**doc.__dict__, "text": doc.text.replace("310", "311")})
    assert set(again) != {c.id for c in chunk_document(changed)}


_markdownish = st.lists(
    st.one_of(
        st.text(min_size=1, max_size=300),
        st.builds(lambda t: "# " + t, st.text(min_size=1, max_size=40)),
        st.builds(lambda items: "\n".join("- " + i for i in items), st.lists(st.text(min_size=1, max_size=80),
                                                                             min_size=1, max_size=6)),
        st.builds(lambda rows: "\n".join("| " + " | ".join(r) + " |" for r in rows),
                  st.lists(st.lists(st.text(alphabet="abc 123,", min_size=1, max_size=8), min_size=2, max_size=3),
                           min_size=1, max_size=12)),
        st.just('He said: "We will. Then we did." Mr. Smith agreed. 1,231 people.'),
    ),
    min_size=1,
    max_size=12,
).map("\n\n".join)


@settings(max_examples=300, deadline=None)
@given(_markdownish)
def test_any_text_chunks_with_exact_offsets(text):
    if not text.strip():
        return
    _check(Document(source="x.md", text=text, title="x"))


def test_a_list_lead_in_is_the_sentence_that_introduces_it():
    from assistant.chunking import chunk_document
    from assistant.documents import Document

    text = ("Families live near the boundary and move both ways. The other force shared these figures:\n\n"
            "- 204 applications\n- 23 disclosures\n")
    chunks = chunk_document(Document(source="x.txt", text=text, title="x"))
    items = [c for c in chunks if c.kind == "list"]
    assert items and all(c.context == "The other force shared these figures:" for c in items)


def test_a_possessive_before_a_full_stop_ends_a_sentence():
    from assistant.chunking import split_units

    text = "Our register is smaller than our neighbour's. Redhallow Police reported 1,342. J. Smith said so."
    assert [text[s:e] for s, e in split_units(text)] == [
        "Our register is smaller than our neighbour's.", "Redhallow Police reported 1,342.", "J. Smith said so."]


def test_a_megabyte_with_no_full_stop_becomes_passages_of_the_usual_size():
    words = ("register offender police notify area figure annual report people " * 16_000).strip()
    doc = Document(source="one-line.txt", title="One line", text=words)
    chunks = chunk_document(doc)
    assert len(chunks) > 1_000
    assert max(len(c.text) for c in chunks) <= config.CHUNK_MAX_CHARS
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    unspaced = Document(source="no-spaces.txt", title="No spaces", text="x" * 50_000)
    assert max(len(c.text) for c in chunk_document(unspaced)) <= config.CHUNK_MAX_CHARS
