"""Press-line check: exact wording with its paragraph, else near-matches with a word-level diff."""

from __future__ import annotations


def test_exact_wording_is_found_with_document_date_and_paragraph(eval_assistant):
    report = eval_assistant.quote("we track them down fairly quickly")
    assert report.found
    match = report.exact[0]
    assert match.source == "seed-oxfordshire-register.md"
    text = eval_assistant.index.document_text(match.source)
    assert text[match.start:match.end] == match.quote
    assert match.quote.lower() == "we track them down fairly quickly"
    assert match.quote in match.paragraph and "fail to sign on" in match.paragraph


def test_curly_quotes_and_spacing_do_not_count_as_differences(eval_assistant):
    report = eval_assistant.quote("That is the law,   not a courtesy")
    assert report.found and report.exact[0].source == "wvp-press-2024-07-16-register-figures.md"


def test_changed_wording_gets_a_word_level_diff(eval_assistant):
    typed = "A rising total does not mean more sexual offending is happening on our streets."
    report = eval_assistant.quote(typed)
    assert not report.found and report.near
    best = report.near[0]
    assert best.source == "wvp-press-2023-07-18-register-figures.md"
    deleted = " ".join(d["text"] for d in best.diff if d["op"] == "delete")
    inserted = " ".join(d["text"] for d in best.diff if d["op"] == "insert")
    assert "happening" in deleted and "taking place" in inserted
    assert eval_assistant.index.document_text(best.source)[best.start:best.end] == best.quote


def test_wording_not_in_documents_finds_nothing_close(eval_assistant):
    report = eval_assistant.quote("The quarterly budget for road resurfacing rose by a third in Glasgow.")
    assert not report.found
    assert all(m.score < 70 for m in report.near)


def test_a_quoted_line_names_its_speaker_however_the_release_introduces_them(corpus_assistant):
    from assistant.quote import speaker

    report = corpus_assistant.quote("A number we have had to correct is a number we were right to check.")
    assert report.exact[0].speaker == "Detective Chief Inspector Rhodri Penhallow, of the Public Protection Unit"
    text = ('Figures were published today.\n\nChief Inspector Ana Brook, head of public protection, said: "We check '
            'every address."\n\n"We knock on doors too," she added.\n\n"Most people comply."\n\n'
            '"Nobody is named," said Sergeant Tom Hale.\n\nThe force said the figure had risen.')
    for words, who in (("We check every address", "Chief Inspector Ana Brook, head of public protection"),
                       ("We knock on doors too", "Chief Inspector Ana Brook"),  # 'she added' is the last named
                       ("Most people comply", "Chief Inspector Ana Brook"),  # the quote 'she added' runs on
                       ("Nobody is named", "Sergeant Tom Hale"),
                       ("Figures were published today", None), ("the figure had risen", None)):
        start = text.index(words)
        assert speaker(text, start, start + len(words)) == who, words


def test_markdown_marks_are_not_words_in_a_diff(corpus_assistant):
    report = corpus_assistant.quote("online, using the Sarah's Law form on their website")
    match = report.near[0]
    assert match.quote.startswith("- online")  # the document's list item, dash and all
    changed = [d for d in match.diff if d["op"] != "equal"]
    assert changed == [{"op": "delete", "text": "their"}, {"op": "insert", "text": "our"}], changed
