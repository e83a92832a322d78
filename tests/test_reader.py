"""The trained reader: the shipped model loads offline and reads a question with its answer better than with a
near miss, on questions of a jurisdiction it was never trained on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant import Assistant, answer, pipeline
from assistant.reader import load_answerability, load_reader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
from check_data import is_answer, load_jurisdiction  # noqa: E402

VALIDATION = ROOT / "training" / "data" / "corrowmere"  # a validation jurisdiction: never trained on
# On it the learned decision holds 14 of 36 abstentions and answers 140 of 187 rightly; the hand-set threshold
# on the hybrid score that it replaced held 10 and answered 141 (the decision was fitted on validation).
HELD_FLOOR, RIGHT_FLOOR = 0.33, 0.7


@pytest.fixture(scope="module")
def validation_assistant(tmp_path_factory) -> Assistant:
    assistant = Assistant.open(tmp_path_factory.mktemp("reader-index"))
    report = assistant.ingest([VALIDATION / "docs"])
    assert not report.skipped, report.skipped
    return assistant


def test_the_shipped_reader_loads_and_scores_a_candidate_the_same_in_any_company():
    """A candidate's score is the same alone, among others and in another order: int8 scaled each batch's
    activations together, which moved a score by up to 1.8 with its neighbours."""
    reader = load_reader()
    question = "How long do they have to tell the police after moving home?"
    answer_, other = ("They must tell the police within three days of moving home.\nWhat you must do",
                      "The force charged 97 people in 2023/24, the highest number in five years.\nFigures")
    together = reader.scores(question, [answer_, other])
    assert len(together) == 2 and all(isinstance(s, float) for s in together)
    assert together == [reader.scores(question, [answer_])[0], reader.scores(question, [other])[0]]
    assert reader.scores(question, [other, answer_]) == together[::-1]


@pytest.mark.slow
def test_the_reader_puts_a_labelled_answer_above_its_near_misses(validation_assistant):
    """For labelled questions whose answer is among the answerer's own candidates, the answer scores above the
    best-scored wrong candidate (by the hybrid alone) most of the time; and every answer's quotes stay exact."""
    reader = load_reader()
    questions = [q for q in load_jurisdiction(VALIDATION).questions if q.answers][:80]
    wins = trials = 0
    for q in questions:
        ctx = pipeline.Context(question=q.question, history=q.history, index=validation_assistant.index)
        pipeline.check_input(ctx)
        pipeline.understand(ctx)
        pipeline.retrieve(ctx)
        pool = answer.candidates(validation_assistant.index, ctx.parsed, ctx.hits, ctx.lexical)
        gold = [u for u in pool if any(u.chunk.source == g.source and u.start < g.end and g.start < u.end
                                       for g in q.answers)]
        wrong = [u for u in pool if u not in gold]
        if not gold or not wrong:
            continue
        scores = reader.scores(ctx.parsed.resolved, [answer.reader_passage(u) for u in (gold[0], wrong[0])])
        wins += scores[0] > scores[1]
        trials += 1
    print(f"reader over the hybrid's best wrong candidate: {wins} of {trials}")
    assert trials >= 30 and wins / trials >= 0.6, (wins, trials)
    for q in questions[:20]:
        a = validation_assistant.ask(q.question, q.history)
        for c in a.citations:
            assert validation_assistant.index.document_text(c.source)[c.start:c.end] == c.quote


def test_the_answerability_decision_loads_offline_and_weighs_what_the_best_candidate_lacks():
    """All else equal, a best candidate whose document lacks a rare word of the question (a breakdown never
    published: "how many of them are women?") is less likely to be answered than one whose sentence has it."""
    decision = load_answerability()
    assert len(decision.features) == len(decision.weights) and 0.0 < decision.threshold < 1.0
    typical = dict(zip(decision.features, decision.mean, strict=True))
    covered = {**typical, "covered_sentence": 1.0, "covered_passage": 1.0, "covered_document": 1.0,
               "rarest_absent": 0.0, "words_absent": 0.0}
    lacking = {**typical, "covered_sentence": 0.5, "covered_passage": 0.5, "covered_document": 0.5,
               "rarest_absent": 1.0, "words_absent": 1.0}
    assert decision.probability(covered) > decision.probability(lacking)
    assert decision.probability({**typical, "reader": 9.0}) > decision.probability({**typical, "reader": -3.0})


@pytest.mark.slow
def test_the_learned_decision_abstains_on_near_misses_and_answers_the_rest(validation_assistant):
    """On a jurisdiction the reader never saw: most questions the documents do not answer (another year, a
    breakdown never published, a figure only another body keeps) get `no_answer`, while most answerable ones
    are still answered rightly."""
    questions = load_jurisdiction(VALIDATION).questions
    held = right = unanswerable = answerable = 0
    for q in questions:
        if q.kind == "sensitive":
            continue
        a = validation_assistant.ask(q.question, q.history)
        if q.answers:
            answerable += 1
            right += a.status == "answered" and any(is_answer(c.source, c.start, c.end, q.answers)
                                                    for c in a.citations)
        else:
            unanswerable += 1
            held += a.status == "no_answer"
    print(f"abstentions held {held}/{unanswerable}, right {right}/{answerable}")
    assert held / unanswerable >= HELD_FLOOR and right / answerable >= RIGHT_FLOOR, (held, unanswerable, right)
