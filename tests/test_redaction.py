"""What is shown of a court report naming a private defendant: the case is answered, the person is withheld.

The report (tests/court/, written for this test) names the defendant with his age, street, town, postcode
and job, refers back to him as "Mr Threlfall", quotes his sister, and quotes a judge and a detective, who are
public. Asked about the case through the real pipeline (a real index of it beside corpus/, the real encoder,
reader and guard), the assistant must answer and must never show any of his details, in the answer text, in
any quote or in the paragraphs the Sources panel shows, while every quote stays exactly the document's text
at its offsets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, app, redact

COURT = Path(__file__).parent / "court"
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PRIVATE = ["Gary", "Threlfall", "Karen", "Badger Lane", "WX4 7QT", "34", "delivery driver"]
QUESTIONS = [
    "How long was the Ashby man jailed for after breaching his notification requirements?",
    "What did the judge say to the Ashby man who breached his notification requirements?",
    "What did the man's solicitor tell Wexcombe Crown Court?",
    "What did Detective Sergeant Amy Holt say after the Ashby sentencing?",
    "What did the Ashby man fail to tell the police?",
    "How long will the Ashby man remain subject to the notification requirements?",
    "What did the neighbours say about the Ashby man who was jailed?",
]


@pytest.fixture(scope="module")
def court_assistant(tmp_path_factory) -> Assistant:
    assistant = Assistant.open(tmp_path_factory.mktemp("court-index"))
    report = assistant.ingest([COURT, CORPUS])
    assert not report.skipped, report.skipped
    return assistant


@pytest.mark.slow
def test_a_court_report_is_answered_without_the_private_defendant(court_assistant):
    answered = 0
    for question in QUESTIONS:
        a = court_assistant.ask(question)
        sources = app.render_conversation(court_assistant, [{"question": question, "answer": a.to_dict()}])
        # the page shows whole paragraphs, and the whole document when it is opened
        shown = [a.answer, *(c.quote for c in a.citations), sources]
        for text in shown:
            assert not any(p in text for p in PRIVATE), (question, text)
        for c in a.citations:
            assert court_assistant.index.document_text(c.source)[c.start:c.end] == c.quote
        answered += a.status == "answered" and any(c.source.startswith("wexcombe") for c in a.citations)
    assert answered >= 5, answered


def test_officials_are_public_and_every_form_of_a_private_name_is_withheld():
    text = (COURT / "wexcombe-press-2025-06-12-ashby-breach-sentence.md").read_text()
    names = redact.private_names(text)
    assert {"Gary Threlfall", "Threlfall", "Karen Threlfall"} <= names
    assert not names & {"Sarah Mills", "Mills", "Amy Holt", "Holt", "Wexcombe", "Ashby"}
    spans = redact.withheld(text, 0, len(text), names)
    shown = redact.shown(text, spans, 0, len(text))
    assert not any(p in shown for p in PRIVATE)
    assert "[name withheld]'s solicitor told the court" in shown
    assert "Judge Sarah Mills told him" in shown and "Detective Sergeant Amy Holt" in shown
    assert "Wexcombe Crown Court" in shown and "Ashby" in shown  # courts and towns are not personal data
    for a, b in redact.pieces(spans, 0, len(text), text):
        assert not any(p in text[a:b] for p in PRIVATE)


def test_guidance_that_names_no_private_person_keeps_its_ages():
    text = "If a 16-year-old is convicted, the period is halved. Offenders aged 18 to 25 are seen monthly."
    assert redact.withheld(text, 0, len(text), redact.private_names(text)) == []


def test_withholding_runs_in_linear_time():
    """A page of capitalised names with ages and streets: twice the text must not cost much more than twice
    the time (the patterns have only bounded repeats)."""
    import time

    unit = "Alan Brook, 41, of Mill Lane, and Beth Carr, 39, of Oak Road, said Mr Dunn. " * 50

    def cost(text: str) -> float:
        start = time.perf_counter()
        redact.withheld(text, 0, len(text), redact.private_names.__wrapped__(text))
        return time.perf_counter() - start

    cost(unit)
    small, large = min(cost(unit) for _ in range(3)), min(cost(unit * 4) for _ in range(3))
    assert large < 8 * small + 0.05, (small, large)


def test_a_force_or_scheme_named_like_a_person_is_not_withheld():
    text = ("Fenwold Police's Management of Sexual or Violent Offenders (MOSOVO) unit has offender managers in each "
            "area.\n\nThe Commissioner funds the Fenwold Circles of Support and Accountability scheme.\n\n"
            "Prosecutor Laura Embleton told the court that Kevin Dunmore, 41, of Ashgill had failed to notify.")
    names = redact.private_names(text)
    assert not names & {"Fenwold", "Circles", "Management", "Laura", "Embleton"}, names
    assert {"Kevin Dunmore", "Dunmore"} <= names


def test_a_private_person_quoted_is_withheld_as_the_speaker_too():
    from assistant.app import _speaker_line

    text = ("Gary Threlfall, 34, of Badger Lane, was jailed for 16 months.\n\nGary Threlfall told the court: "
            '"I forgot to tell them."\n\nDetective Sergeant Amy Holt said: "He broke the rules."')
    forgot, broke = text.index("I forgot"), text.index("He broke")
    assert _speaker_line(text, forgot, forgot + 8) == '<p class="pa-speaker">Said by [name withheld]</p>'
    assert "Detective Sergeant Amy Holt" in _speaker_line(text, broke, broke + 8)
