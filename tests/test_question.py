"""Reading a question: what it counts, which names scope it, what kind of answer it wants."""

from __future__ import annotations

import pytest

from assistant.answer import _without_titles, same_measure
from assistant.index import tokenize
from assistant.question import Question, counted_thing, proper_names


@pytest.mark.parametrize(("question", "counted"), [
    ("How many registered sex offenders lived in Northmoor in 2015?", "offenders"),
    ("At the end of March 2025, how many of Kestrel Downs' registered offenders were high risk?", "offenders"),
    ("How many people were on the register at 31 March 2024?", "register"),
    ("How many foreign travel notices came in during the operation?", "notices"),
    ("How many times did people tell the police they were going abroad?", ""),
    ("how many of those ended in a disclosure?", ""),
    ("How many of them were high risk?", ""),
])
def test_what_a_how_many_question_counts(question, counted):
    assert counted_thing(question) == counted


def test_a_possessive_is_not_part_of_the_name_and_scopes_a_figure():
    q = Question.parse("What is Westmarch's rate of registered offenders per 100,000?")
    assert q.names == ["Westmarch"] and q.places == ["Westmarch"]
    assert proper_names("How many of Kestrel Downs' offenders were charged?") == ["Kestrel Downs"]
    assert Question.parse("What did Det Supt Forsythe's statement say?").places == []  # not a figure


def test_one_thing_under_its_several_names():
    stem = tokenize
    assert same_measure(stem("notices")[0], stem("notifications")[0])
    assert same_measure(stem("offenders")[0], stem("registered")[0])
    assert not same_measure(stem("offenders")[0], stem("applications")[0])
    assert not same_measure(stem("days")[0], stem("disclosures")[0])


def test_a_rank_or_title_is_not_needed_to_find_a_person():
    assert _without_titles("Det Supt Forsythe") == "Forsythe"
    assert _without_titles("DCI Marcus Oyelaran") == "Marcus Oyelaran"
    assert _without_titles("Sarah's Law") == "Sarah's Law"


def test_a_figure_reads_the_same_however_it_is_written():
    from assistant.index import normalise_for_search

    assert normalise_for_search("per 100k residents") == normalise_for_search("per 100,000 residents")
    assert normalise_for_search("1.2k notifications") == "1200 notifications"
    assert normalise_for_search("a 5km walk") == "a 5km walk"


def test_the_year_to_a_month_is_the_twelve_months_that_end_then():
    import datetime as dt

    from assistant.question import periods

    assert periods("in the year to March 2025") == [(dt.date(2024, 4, 1), dt.date(2025, 3, 31))]
    assert periods("the 12 months ending 29 February 2024") == [(dt.date(2023, 3, 1), dt.date(2024, 2, 29))]


def test_a_rate_labelled_before_its_figure_is_a_rate():
    from assistant.question import figures

    kinds = {f.text: f.kind for f in figures("Offenders per 100,000 population: 118 at 31 March 2025")}
    assert kinds["118"] == "rate"
    assert {f.text: f.kind for f in figures("There were 118 offenders at 31 March 2025")}["118"] == "count"


def test_a_comparison_in_brackets_is_the_same_kind_of_figure():
    from assistant.question import figures

    rate = figures("Offenders per 100,000 population: 118 at 31 March 2025 (113 at 31 March 2024)")
    assert [f.kind for f in rate if f.text in ("118", "113")] == ["rate", "rate"]
    counts = figures("2,154 registered sex offenders at 31 March 2024 (2,089 at 31 March 2023)")
    assert [f.kind for f in counts] == ["count", "count"]


def test_a_figure_period_must_mostly_match_the_one_asked_about():
    import datetime as dt

    from assistant.question import overlaps

    fin_2022 = [(dt.date(2022, 4, 1), dt.date(2023, 3, 31))]
    calendar_2023 = [(dt.date(2023, 1, 1), dt.date(2023, 12, 31))]
    year_end = [(dt.date(2023, 3, 31), dt.date(2023, 3, 31))]
    quarter = [(dt.date(2022, 10, 1), dt.date(2022, 12, 31))]
    assert overlaps(fin_2022, calendar_2023) and not overlaps(fin_2022, calendar_2023, strict=True)
    assert overlaps(fin_2022, year_end, strict=True)
    assert overlaps(quarter, fin_2022) and not overlaps(quarter, fin_2022, strict=True)  # a year is no quarter


def test_a_figure_another_force_reported_is_not_the_asked_place_s():
    from assistant.answer import _about_another_body

    assert _about_another_body("Redhallow Police, which covers the area to the east, reported 1,342.", ["calderwick"])
    assert not _about_another_body("Calderwick Constabulary reported 1,007 registered offenders.", ["calderwick"])
    assert not _about_another_body("There were 1,007 registered offenders at 31 March 2025.", ["calderwick"])


def test_a_count_asked_for_without_how_many():
    assert Question.parse("What's the latest count of registered offenders in the area?").wants == "count"
    assert Question.parse("What was the size of the register in 2024?").wants == "count"


def test_consequence_and_route_questions_prefer_their_kind_of_answer():
    from assistant.answer import INTENT_BONUS, _intent_match

    happens = Question.parse("What happens to someone who stops turning up to sign on?")
    assert _intent_match(happens, "Failing to notify is a criminal offence.") == INTENT_BONUS
    assert _intent_match(happens, "You must attend once every 12 months.") == 0
    worried = Question.parse("A man on our road worries me. What should I do about it?")
    assert _intent_match(worried, "Call us on 101, or 999 in an emergency.") == INTENT_BONUS
    assert _intent_match(Question.parse("How many were charged?"), "74 people were charged.") == 0


def test_a_word_opening_a_sentence_is_not_a_name():
    assert proper_names("How did Hester Quaid put it? Need her actual words.") == ["Hester Quaid"]
    assert proper_names("Figures for Westmarch please. Also Kestrel Downs.") == ["Westmarch", "Kestrel Downs"]
