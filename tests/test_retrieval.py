"""Retrieval on the real index of ../shared/eval/docs: what a hit brings with it."""

from __future__ import annotations

from assistant import retrieval
from assistant.question import Question


def test_a_lead_in_line_brings_the_list_it_introduces(eval_assistant):
    index = eval_assistant.index
    lead_in = next(c for c in index.get_chunks(list(index.lexical().ids))
                   if c.text.strip() == "You must tell us within three days if:")
    items = index.introduced_block(lead_in)
    assert items and all(c.kind == "list" and c.start > lead_in.end for c in items)
    assert any("you change your home address" in c.text for c in items)
    assert all(c.context.endswith("You must tell us within three days if:") for c in items)


def test_a_paragraph_that_introduces_nothing_brings_nothing(eval_assistant):
    index = eval_assistant.index
    chunks = index.get_chunks(list(index.lexical().ids))
    plain = [c for c in chunks if c.kind == "paragraph" and not c.text.rstrip().endswith(":")]
    assert plain and all(index.introduced_block(c) == [] for c in plain[:20])


def test_a_table_takes_one_place_among_the_hits_and_brings_all_its_rows(eval_assistant):
    index = eval_assistant.index
    query = Question.parse("How long do the notification requirements last after a caution?").resolved
    found = retrieval.search(index, index.lexical(), query)
    tables = [(h.chunk.source, h.chunk.block) for h in found if h.chunk.kind == "table"]
    assert tables and len(tables) == len(set(tables)), "two rows of one table took two places"
    rows = [h.chunk.text for h in retrieval.with_blocks(index, found) if h.chunk.kind == "table"]
    assert any("| Caution |" in r for r in rows) and any("30 months or more" in r for r in rows)


def test_the_documents_teach_other_names_for_a_scheme(eval_assistant):
    index = eval_assistant.index
    lexical = index.lexical()
    assert "Child Sex Offender Disclosure Scheme" in index.aliases("Sarah's Law", lexical)
    assert "Sarah's Law" in index.aliases("Child Sex Offender Disclosure Scheme", lexical)
    assert index.aliases("Operation Nowhere", lexical) == frozenset()
