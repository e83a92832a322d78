"""The page in a real browser: Debian's Chromium driven by Playwright against a real `policy-assistant serve`,
on the developer documents (with a hostile one) and on the shipped corpus/ (what `make run` serves).

Each scenario saves a screenshot under test-output/screenshots/; with UPDATE_DOCS_SCREENSHOT=1 the corpus
answer at desktop and phone width, light and dark, is also saved in docs/ for the README. Every test also
checks that the page asked nothing of any host but 127.0.0.1; axe-core (bundled in axe-playwright-python)
checks every view in both themes.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from .conftest import CORPUS, ROOT
from .test_app import (
    FIGURE_QUESTION,
    FIGURE_SENTENCE,
    FIGURE_SOURCE,
    HOSTILE_QUESTION,
    HOSTILE_SOURCE,
    PERSONAL_QUESTION,
    serve_fixture,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000  # the longest any one step may take on a busy 2-core CI machine
XSS_QUESTION = HOSTILE_QUESTION + " <img src=x onerror=alert(1)>"
# What each example question on the page must answer on the shipped corpus: words of the answer, and the
# documents it may cite (the travel question once cited a press release about charges as well).
EXAMPLE_ANSWERS = {
    "How many registered sex offenders were there at 31 March 2024?": (
        ["2,154 registered sex offenders at 31 March 2024"], {"nmc-press-2024-07-23-register-figures.md"}),
    "What must a registered sex offender tell the police before travelling abroad?": (
        ["7 days' notice", "12 hours", "within 3 days of coming back"], {"nmc-guidance-notification-requirements.md"}),
    "What is MAPPA?": (["Multi-Agency Public Protection Arrangements"], {"nm-mappa-annual-report-2022-23.md"}),
    "How do I apply under Sarah's Law?": (
        ["online", "by phoning 101", "in person at the front counter"], {"nmc-faq-sarahs-law.md"}),
}
SERIOUS = ("serious", "critical")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    yield from serve_fixture(tmp_path_factory, "browser-server")


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory):
    yield from serve_fixture(tmp_path_factory, "browser-corpus-server", docs=CORPUS)


@pytest.fixture(scope="module")
def uploads_url(tmp_path_factory):
    yield from serve_fixture(tmp_path_factory, "browser-uploads-server", docs=CORPUS, extra=("--allow-uploads",))


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `apt-get update && apt-get install -y chromium` (make test does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One page with everything it requested and every dialog it tried to open."""

    def __init__(self, browser, url: str, viewport: dict, scheme: str = "light"):
        self.context = browser.new_context(viewport=viewport, color_scheme=scheme)
        self.context.set_default_timeout(WAIT_MS)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        # Records whether the "preparing an answer" state was ever on screen, however briefly.
        self.page.add_init_script("""new MutationObserver(() => {
            if (document.querySelector('.pa-pending')) window.__sawPending = true;
        }).observe(document, {childList: true, subtree: true});""")
        self.page.goto(url)
        self.question.wait_for()

    @property
    def question(self):
        return self.page.get_by_role("textbox", name="Your question")

    def ask(self, text: str, *, press_enter: bool = False) -> None:
        turns = self.page.locator(".pa-turn").count()
        self.question.fill(text)
        if press_enter:
            self.question.press("Enter")
        else:
            self.page.get_by_role("button", name="Ask", exact=True).click()
        self.wait_for_turn(turns + 1)

    def wait_for_turn(self, count: int) -> None:
        self.page.wait_for_function(
            f"document.querySelectorAll('.pa-turn').length === {count} && !document.querySelector('.pa-pending')")

    def axe(self, view: str) -> None:
        """axe-core over the whole page once every update has settled (Gradio dims an output while it is
        pending, which axe would rightly fail): no serious or critical violation."""
        self.page.wait_for_function("""(() => {
            if (document.querySelector('.pending, .pa-pending')) return false;
            for (const el of document.querySelectorAll('.pa-card, .pa-box, .pa-doc-item')) {
                for (let e = el; e; e = e.parentElement) if (getComputedStyle(e).opacity !== '1') return false;
            }
            return true; })()""")

        self.page.evaluate(_axe_script())
        found = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
        bad = [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
               for v in found if v["impact"] in SERIOUS]
        assert not bad, f"{view}: " + "; ".join(bad)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def check_offline_and_safe(self) -> None:
        outside = [u for u in self.requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
                   and urlparse(u).hostname != "127.0.0.1"]
        assert not outside, f"requests left 127.0.0.1: {outside}"
        assert not self.dialogs, f"the page opened dialogs (script ran): {self.dialogs}"
        assert self.page.evaluate("window.__xss") is None, "a document's markup ran in the page"


@functools.cache
def _axe_script() -> str:
    from importlib.resources import files

    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")  # 570 KB: read once


def _visits(browser, url: str):
    visits: list[Visit] = []

    def open_page(viewport: dict = DESKTOP, scheme: str = "light") -> Visit:
        visits.append(Visit(browser, url, viewport, scheme))
        return visits[-1]

    yield open_page
    for v in visits:
        v.context.close()


@pytest.fixture
def visit(browser, server_url):
    yield from _visits(browser, server_url)


@pytest.fixture
def visit_corpus(browser, corpus_url):
    yield from _visits(browser, corpus_url)


@pytest.fixture
def visit_uploads(browser, uploads_url):
    yield from _visits(browser, uploads_url)


def test_ask_a_figure_question_shows_the_answer_its_citation_and_the_highlighted_source(visit):
    v = visit()
    page = v.page
    v.shot("0-start")
    v.ask(FIGURE_QUESTION)
    assert page.evaluate("window.__sawPending === true"), "no progress state was shown while answering"
    answer = page.locator(".pa-answered")
    lead = answer.locator("p").first.inner_text()
    assert lead.startswith("1,231 registered sex offenders") and "31 March 2024" in lead, "no plain lead line"
    assert answer.locator("a.pa-cite").first.inner_text() == "[1]"
    card = page.locator("#pa-src-1")
    assert card.locator(".pa-para mark").inner_text() == FIGURE_SENTENCE
    assert page.locator(".pa-turn").first.locator("#pa-src-1").count() == 1, "the source is not under its answer"
    meta = card.locator(".pa-meta").first.inner_text()
    assert "Wessex Vale Police" in meta and "16 July 2024" in meta
    assert card.get_by_role("link", name=re.compile("Read the original")).get_attribute("href").startswith("https://")
    v.shot("1-answer")
    v.check_offline_and_safe()


def test_refusal_and_no_answer_look_different_and_explain_themselves(visit):
    v = visit()
    page = v.page
    v.ask(PERSONAL_QUESTION, press_enter=True)  # keyboard only
    refusal = page.locator(".pa-refused")
    assert refusal.locator("h3").inner_text() == "Refused: personal information"
    assert "Sarah's Law" in refusal.inner_text()
    v.ask("How many registered sex offenders lived in the Wessex Vale force area in 2009?", press_enter=True)
    no_answer = page.locator(".pa-noanswer")
    assert no_answer.locator("h3").inner_text().startswith("The documents don't say")
    assert page.locator(".pa-card").count() == 0, "a refusal or no_answer must cite nothing"
    v.shot("2-refused-and-no-answer")
    v.check_offline_and_safe()


def test_empty_question_is_reported_beside_the_box(visit):
    v = visit()
    v.page.get_by_role("button", name="Ask", exact=True).click()
    assert v.page.get_by_role("alert").inner_text() == "Type a question first."
    assert v.page.locator(".pa-turn").count() == 0
    v.check_offline_and_safe()


def test_check_a_press_line_with_one_word_changed_shows_the_diff(visit):
    v = visit()
    page = v.page
    page.get_by_role("tab", name="Check a press line").click()
    box = page.get_by_label("Wording to check")
    box.fill(FIGURE_SENTENCE.replace("1,231", "1,232"))
    page.get_by_role("button", name="Check wording").click()
    result = page.locator("#pa-quote-result")
    result.locator(".pa-near").wait_for()
    first = result.locator(".pa-card").first
    assert first.locator("del").inner_text().endswith("1,232")
    assert first.locator("ins").inner_text().endswith("1,231")
    assert "16 July 2024" in first.locator(".pa-meta").first.inner_text()
    v.shot("3-press-line-diff")

    box.fill(FIGURE_SENTENCE)
    page.get_by_role("button", name="Check wording").click()
    result.locator(".pa-found").wait_for()
    assert result.locator(".pa-card mark").first.inner_text() == FIGURE_SENTENCE
    v.shot("4-press-line-exact")
    v.check_offline_and_safe()


def test_documents_tab_lists_the_index_searches_it_and_opens_a_document(visit):
    v = visit(PHONE)
    page = v.page
    page.get_by_role("tab", name="Documents").click()
    listing = page.locator("#pa-documents")
    listing.get_by_text("Register figures for 2023/24 published", exact=False).first.wait_for()
    assert "10 documents" in listing.locator(".pa-summary").inner_text()
    assert "16 July 2024" in listing.inner_text(), "dates are not written as people write them"
    assert page.get_by_text("Add documents").count() == 0, "uploads must be off unless --allow-uploads"
    narrowest = page.evaluate("Math.min(...[...document.querySelectorAll('.pa-doc-item h3')].map(h => h.clientWidth))")
    assert narrowest > 250, f"a title is squeezed to {narrowest} px at phone width"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    v.shot("5-documents")
    page.get_by_label("Search the documents").fill("Testshire")
    expect(listing).not_to_contain_text(FIGURE_SOURCE, timeout=WAIT_MS)
    expect(listing).to_contain_text(HOSTILE_SOURCE)
    item = listing.locator(".pa-doc-item").first
    item.get_by_text("Open the document").click()
    expect(item.locator(".pa-doc")).to_contain_text("There were 77 registered sex offenders living in Testshire")
    v.check_offline_and_safe()


def test_markup_in_a_question_or_a_document_is_shown_as_text_never_run(visit):
    v = visit()
    page = v.page
    v.ask(XSS_QUESTION)
    assert "<img src=x onerror=alert(1)>" in page.locator(".pa-q").inner_text()
    card = page.locator("#pa-src-1")
    assert "<script>window.__xss='body'</script>" in card.inner_text()
    assert "<script>window.__xss = 'title'</script>" in card.locator("h4").inner_text()
    assert card.get_by_role("link").count() == 0, "a javascript: URL must not become a link"
    page.get_by_role("tab", name="Documents").click()
    page.locator("#pa-documents h3").get_by_text("<script>window.__xss = 'title'</script>", exact=False).wait_for()
    page.get_by_role("tab", name="Check a press line").click()
    page.get_by_label("Wording to check").fill("There were 77 registered sex offenders living in Testshire")
    page.get_by_role("button", name="Check wording").click()
    page.locator("#pa-quote-result .pa-found").wait_for()
    assert "<img src=x" in page.locator("#pa-quote-result .pa-card").first.inner_text()
    v.shot("6-markup-shown-as-text")
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert not [u for u in v.requests if urlparse(u).path.endswith("/x")], "an injected image was requested"
    v.check_offline_and_safe()


def test_phone_width_is_readable_and_citations_scroll_their_source_into_view(visit):
    v = visit(PHONE)
    page = v.page
    v.shot("7-phone-start")
    turns = page.locator(".pa-turn").count()
    page.get_by_role("button", name="What is MAPPA?").click()  # an example question asks at once
    page.wait_for_function(
        f"document.querySelectorAll('.pa-turn').length === {turns + 1} && !document.querySelector('.pa-pending')")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    page.wait_for_function("""(() => {  // the new answer is brought into view, not the end of the page
        const top = document.querySelector('.pa-turn:last-child').getBoundingClientRect().top;
        return top >= -1 && top < window.innerHeight / 2; })()""")
    page.evaluate("window.scrollTo(0, 0)")
    v.shot("8-phone-answer")
    page.wait_for_timeout(500)  # longer than any deferred scroll a page update may schedule
    assert page.evaluate("window.scrollY") == 0, "something scrolled the page after the answer was shown"
    gap = page.evaluate("""document.querySelector('#pa-src-1').getBoundingClientRect().top
        - document.querySelector('.pa-answered').getBoundingClientRect().bottom""")
    assert 0 <= gap < 80, f"the sources are {gap:.0f} px below the answer on a phone"
    page.locator(".pa-answered a.pa-cite").first.click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'pa-src-1'")
    page.wait_for_function("""(() => {  // scrolled to the top of the screen, or as far as the page goes
        const top = document.getElementById('pa-src-1').getBoundingClientRect().top;
        const end = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
        return top >= -1 && (top < 40 || (end && top < window.innerHeight - 100)); })()""")
    page.screenshot(path=SHOTS / "9-phone-source-in-view.png")
    v.check_offline_and_safe()


def test_sources_sit_under_each_answer_and_are_numbered_once_in_the_conversation(visit):
    v = visit()
    page = v.page
    v.ask(FIGURE_QUESTION)
    v.ask("What is MAPPA?")
    first, second = page.locator(".pa-turn").nth(0), page.locator(".pa-turn").nth(1)
    earlier = first.locator(".pa-card").count()
    assert earlier >= 1 and second.locator(".pa-card").count() >= 1
    assert second.locator("a.pa-cite").first.inner_text() == f"[{earlier + 1}]", "numbers restart per answer"
    ids = page.evaluate("[...document.querySelectorAll('.pa-card')].map(c => c.id)")
    assert len(ids) == len(set(ids)), f"two sources share a number: {ids}"
    second.locator("a.pa-cite").first.click()
    page.wait_for_function(f"document.activeElement && document.activeElement.id === 'pa-src-{earlier + 1}'")
    v.check_offline_and_safe()


def test_copy_with_source_and_the_whole_document_with_the_passage_in_place(visit):
    v = visit()
    v.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = v.page
    v.ask(FIGURE_QUESTION)
    card = page.locator("#pa-src-1")
    card.get_by_role("button", name=re.compile("Copy with source")).click()
    expect(card.locator(".pa-copy")).to_contain_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"“{FIGURE_SENTENCE}” — Wessex Vale Police"), copied
    assert "16 July 2024" in copied and "https://" in copied
    card.locator("details.pa-whole summary").click()
    doc = card.locator(".pa-doc")
    expect(doc.locator("mark")).to_have_text(FIGURE_SENTENCE)
    page.wait_for_function("""(() => {  // the highlighted passage is scrolled into the document's view
        const doc = document.querySelector('#pa-src-1 .pa-doc'), mark = doc.querySelector('mark');
        const d = doc.getBoundingClientRect(), m = mark.getBoundingClientRect();
        return m.top >= d.top - 1 && m.top < d.bottom; })()""")
    assert "Wessex Vale" in doc.inner_text() and len(doc.inner_text()) > 3 * len(FIGURE_SENTENCE)
    v.check_offline_and_safe()


def test_a_weak_near_match_is_labelled_weak(visit):
    v = visit()
    page = v.page
    page.get_by_role("tab", name="Check a press line").click()
    page.get_by_label("Wording to check").fill("Wessex Vale had 1,231 registered sex offenders at 31 March 2024, "
                                                 "the force said today.")
    page.get_by_role("button", name="Check wording").click()
    cards = page.locator("#pa-quote-result .pa-card")
    cards.first.wait_for()
    labels = [c.locator(".pa-closeness").inner_text() for c in cards.all()]
    assert labels and all(x.startswith("Weak match") for x in labels), labels
    page.get_by_label("Wording to check").fill(FIGURE_SENTENCE.replace("1,231", "1,232"))
    page.get_by_role("button", name="Check wording").click()
    expect(cards.first.locator(".pa-closeness")).to_contain_text("Close match")
    v.check_offline_and_safe()


def test_every_example_question_is_answered_right_on_the_shipped_corpus(visit_corpus):
    v = visit_corpus()
    page = v.page
    for n, (question, (words, sources)) in enumerate(EXAMPLE_ANSWERS.items(), start=1):
        page.get_by_role("button", name=question, exact=True).click()
        v.wait_for_turn(n)
        turn = page.locator(".pa-turn").nth(n - 1)
        answer = turn.locator(".pa-answered").inner_text()
        assert all(w in answer for w in words), (question, answer)
        cited = {m.split(" · ")[-1] for m in turn.locator(".pa-card .pa-meta").all_inner_texts()}
        assert cited and cited <= sources, (question, cited)
    v.check_offline_and_safe()


def test_a_quoted_line_shows_who_said_it(visit_corpus):
    v = visit_corpus()
    v.ask("What exactly did DCI Penhallow say about having to correct the figure?")
    card = v.page.locator("#pa-src-1")
    marked = card.locator(".pa-para mark").inner_text()
    assert "A number we have had to correct is a number we were right to check" in marked
    assert card.locator(".pa-speaker").inner_text() == (
        "Said by Detective Chief Inspector Rhodri Penhallow, of the Public Protection Unit")
    v.check_offline_and_safe()


def test_skip_link_focus_styles_and_print_stylesheet(visit_corpus):
    v = visit_corpus()
    page = v.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "pa-skip"
    box = page.locator("a.pa-skip").bounding_box()
    assert box and box["width"] > 50 and box["y"] >= 0, "the skip link is not shown when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement === document.querySelector('#pa-question textarea')")
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                         "return s.outlineColor + ' ' + s.boxShadow; })()")
    assert "rgb(255, 221, 0)" in ring, f"the focused question box has no GOV.UK focus style: {ring}"
    v.ask("What is MAPPA?")
    page.emulate_media(media="print")
    assert page.locator("#pa-question").is_hidden() and page.locator("#pa-ask").is_hidden()
    assert page.locator(".pa-card").first.is_visible()
    printed = page.evaluate("getComputedStyle(document.querySelector('.pa-card a.pa-link'), '::after').content")
    assert "https://" in printed, "a printed source does not show its address"
    v.shot("10-print")
    v.check_offline_and_safe()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_view_passes_axe_in_light_and_dark_mode(visit_corpus, visit, scheme):
    """axe-core finds no serious or critical violation on any view, in either theme, on both servers."""
    for open_page, questions, wording in (
            (visit_corpus, [*EXAMPLE_ANSWERS][:1] + ["What is the home address of the man on the register in "
                                                     "Otterbridge?", "How many sex offenders were registered in 2009?"],
             "A number we have had to correct is a number we were wrong to check."),
            (visit, [XSS_QUESTION], FIGURE_SENTENCE)):
        v = open_page(DESKTOP, scheme)
        page = v.page
        v.axe(f"{scheme} start")
        for q in questions:
            v.ask(q)
        page.locator("details.pa-whole summary").first.click()
        v.axe(f"{scheme} answers")
        page.get_by_role("tab", name="Check a press line").click()
        page.get_by_label("Wording to check").fill(wording)
        page.get_by_role("button", name="Check wording").click()
        page.locator("#pa-quote-result .pa-box").wait_for()
        v.axe(f"{scheme} press line")
        page.get_by_role("tab", name="Documents").click()
        page.locator(".pa-doc-item summary").first.click()
        v.axe(f"{scheme} documents")
        v.check_offline_and_safe()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_shipped_corpus_at_desktop_and_phone_width(visit_corpus, scheme):
    """The README's pictures: what `make run` serves, refreshed in docs/ with UPDATE_DOCS_SCREENSHOT=1."""
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        v = visit_corpus(viewport, scheme)
        v.ask([*EXAMPLE_ANSWERS][0])
        v.page.evaluate("window.scrollTo(0, 0)")
        path = v.shot(f"corpus-{name}-{scheme}")
        assert path.stat().st_size > 10_000
        if os.environ.get("UPDATE_DOCS_SCREENSHOT"):  # on request, not on every run
            v.page.screenshot(path=ROOT / "docs" / f"app-{name}-{scheme}.png", full_page=name == "phone")
        v.check_offline_and_safe()


def test_an_upload_named_like_an_official_document_sits_beside_it(visit_uploads, tmp_path):
    official = "nmc-faq-sarahs-law.md"
    fake = tmp_path / official
    fake.write_text("---\ntitle: Sarah's Law FAQ\npublisher: Northmoor Constabulary\npublished: 2025-01-01\n---\n"
                    "Applications under Sarah's Law are no longer accepted.\n", encoding="utf-8")
    v = visit_uploads()
    page = v.page
    page.get_by_role("tab", name="Documents").click()
    page.locator("#pa-documents .pa-doc-item").first.wait_for()
    page.locator("input[type=file]").set_input_files(str(fake))
    expect(page.get_by_text("Added 1, updated 0")).to_be_visible(timeout=WAIT_MS)
    listing = page.locator("#pa-documents")
    expect(listing).to_contain_text(f"uploads/{official}")
    assert "11 documents" in listing.locator(".pa-summary").inner_text(), "the upload replaced a document"
    page.get_by_role("tab", name="Ask").click()
    v.ask("How do I apply under Sarah's Law?")
    assert "by phoning 101" in page.locator(".pa-answered").inner_text()
    v.check_offline_and_safe()
