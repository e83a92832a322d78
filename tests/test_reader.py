"""The trained reader as shipped: it loads offline, ranks a labelled answer above its near-misses on a real
index, and the answers it picks stay exact, dated and faithful."""

from __future__ import annotations

import json

import pytest

from assistant import pipeline
from assistant.answer import candidate_units, unit_features
from assistant.reader import FEATURES, MODEL_DIR, load_reader

from .conftest import ROOT


def test_shipped_reader_loads_with_its_card_and_blind_figures():
    reader = load_reader()
    assert len(reader.weights) == len(FEATURES)
    assert (MODEL_DIR / "MODEL_CARD.md").exists()
    metrics = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert metrics["test"]["questions"] > 500  # measured on the blind split it was not tuned on


def _ranked(assistant, question: str):
    ctx = pipeline.Context(question, [], assistant.index)
    for step in (pipeline.check_input, pipeline.understand, pipeline.retrieve):
        step(ctx)
    units = candidate_units(assistant.index, ctx.parsed, ctx.hits, ctx.lexical)[:32]
    scores = load_reader().scores(unit_features(assistant.index, ctx.parsed, units))
    return [u for _, u in sorted(zip(scores, units, strict=True), key=lambda p: p[0], reverse=True)]


@pytest.mark.parametrize("question, right, wrong", [
    ("how much notice do they have to give before a trip abroad?", "7 days' notice", "charged"),
    ("How many people were charged with notification offences in 2023/24?", "charged", "Sarah's Law"),
])
def test_reader_ranks_the_answer_above_its_near_miss(corpus_assistant, question, right, wrong):
    ranked = _ranked(corpus_assistant, question)
    position = {key: next(i for i, u in enumerate(ranked) if key.lower() in u.text.lower()) for key in (right, wrong)}
    assert position[right] < position[wrong], [u.text[:80] for u in ranked[:5]]


def test_answers_chosen_by_the_reader_quote_exact_offsets(corpus_assistant):
    """Every citation of every corpus case is the document's text at its offsets, nothing unfaithful, and each
    citation's score is the reader's probability (one scale for all)."""
    import yaml

    from assistant.evaluation import unfaithful_parts

    cases = yaml.safe_load((ROOT / "tests" / "corpus_cases.yaml").read_text())["cases"]
    seen = 0
    for case in cases:
        answer = corpus_assistant.ask(case["question"], case.get("history") or [])
        assert unfaithful_parts(answer.to_dict()) == [], (case["id"], answer.answer)
        for c in answer.citations:
            assert corpus_assistant.index.document_text(c.source)[c.start:c.end] == c.quote
            assert 0.0 <= c.score <= 1.0
            seen += 1
    assert seen >= 10
