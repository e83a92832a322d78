"""The Gradio page and its API: a thin layer over `Assistant`.

Every answer, refusal and wording check comes from the same `Assistant` methods the CLI calls; this file only
lays them out. All text that comes from a document or a visitor is HTML-escaped before it reaches the page,
and links are only rendered for http(s) addresses, so nothing in a document or a question can run in a browser.
The page loads nothing from outside the server (system fonts, no analytics, no run history).
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
import time
from pathlib import Path

from . import config, redact
from .answer import DOC_TYPE_LABELS, long_date
from .api import Assistant
from .errors import AssistantError
from .quote import closeness, paragraph_around, shown_speaker

log = logging.getLogger(__name__)

EXAMPLES = [
    "How many registered sex offenders were there at 31 March 2024?",
    "What must a registered sex offender tell the police before travelling abroad?",
    "What is MAPPA?",
    "How do I apply under Sarah's Law?",
]
UPLOADS = "uploads"  # the folder, in a document's source, of what visitors added with --allow-uploads
WARM_UP_QUESTION = "How many registered sex offenders were there at 31 March 2024?"
CONTEXT_CHARS = 360  # of the paragraph shown either side of a highlighted quotation

# What each status and reason code means to a reader: (label of the box, one line of explanation).
STATUS_LABELS = {
    "refused": ("Refused", "This asks for something that could identify or locate a person, so I won't answer it."),
    "no_answer": ("The documents don't say", "None of the documents answers this, and I don't guess."),
}
REASON_LABELS = {
    "personal_information": "personal information",
    "manipulation": "an attempt to get round the personal-information rule",
    "prompt_injection": "instructions pasted into the question",
}

WHOLE_DOCUMENT_CHARS = 12_000  # of a long document shown when it is opened, around the passage
DOCUMENTS_SHOWN = 25  # documents listed at once; a search narrows the rest

# Colours as variables, one set per theme, each pair at least 4.5:1 (GOV.UK's palette in light mode). Gradio
# marks dark mode with a `dark` class; the focus style is GOV.UK's, yellow with a black bar, in both.
CSS = """
:root, .light { --pa-text: #0b0c0c; --pa-muted: #505a5f; --pa-link: #1d70b8; --pa-border: #b1b4b6;
  --pa-focus: #ffdd00; --pa-focus-text: #0b0c0c; --pa-surface: #ffffff; --pa-panel: #f3f2f1;
  --pa-red: #d4351c; --pa-red-bg: #fcf1ef; --pa-orange: #f47738; --pa-orange-bg: #fef4ec; --pa-green: #00703c;
  --pa-green-bg: #edf6f1; --pa-mark: #fff2a8; --pa-del-bg: #f6d7d2; --pa-del: #942514; --pa-ins-bg: #cce2d8;
  --pa-ins: #005a30; --pa-error: #d4351c; }
.dark { --pa-text: #f3f2f1; --pa-muted: #c5cacd; --pa-link: #8fc3f0; --pa-border: #6f777b;
  --pa-surface: #1b1d1f; --pa-panel: #26292c; --pa-red: #f08b7a; --pa-red-bg: #3a1714; --pa-orange: #f4a261;
  --pa-orange-bg: #36230f; --pa-green: #6cc59a; --pa-green-bg: #10291d; --pa-mark: #6b5800; --pa-del-bg: #4a1c17;
  --pa-del: #ffc4b8; --pa-ins-bg: #123a2b; --pa-ins: #b4ecd0; --pa-error: #ff9d8c; }
.gradio-container { max-width: 52rem !important; width: 100% !important; margin: 0 auto !important;
  color: var(--pa-text); }
.pa-skip { position: absolute; left: -9999px; top: 0; }
.pa-skip:focus { position: static; display: inline-block; margin-bottom: 0.5rem; padding: 0.4rem 0.6rem;
  background: var(--pa-focus); color: var(--pa-focus-text) !important; outline: 3px solid var(--pa-focus);
  box-shadow: 0 4px 0 #0b0c0c; text-decoration: underline; }
.pa-header { border-bottom: 10px solid var(--pa-link); padding: 0.25rem 0 0.75rem; margin-bottom: 0.25rem; }
.pa-header h1 { font-size: 2rem; line-height: 1.15; margin: 0 0 0.4rem; font-weight: 700; }
.pa-header p { font-size: 1.05rem; margin: 0; max-width: 46rem; }
.pa-header .pa-safety { margin-top: 0.5rem; color: var(--pa-muted); font-size: 0.95rem; }
.pa-vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.pa-conversation { display: flex; flex-direction: column; gap: 1.5rem; }
.pa-empty { color: var(--pa-muted); margin: 0; }
.pa-turn { display: flex; flex-direction: column; gap: 0.6rem; }
.pa-who { display: block; font-size: 0.85rem; font-weight: 700; color: var(--pa-muted); margin-bottom: 0.15rem;
  text-transform: uppercase; letter-spacing: 0.03em; }
.pa-q h2 { margin: 0; font-weight: 700; font-size: 1.15rem; line-height: 1.35; overflow-wrap: anywhere; }
.pa-a { overflow-wrap: anywhere; line-height: 1.5; }
.pa-a p { margin: 0 0 0.5rem; }
.pa-a ul { margin: 0 0 0.5rem; padding-left: 1.25rem; }
.pa-a li { margin-bottom: 0.4rem; }
.pa-box { border-left: 6px solid var(--pa-muted); background: var(--pa-panel); padding: 0.75rem 1rem;
  color: var(--pa-text); }
.pa-box h2, .pa-box h3 { font-size: 1.1rem; margin: 0 0 0.35rem; font-weight: 700; color: var(--pa-text); }
.pa-box p { margin: 0 0 0.5rem; color: var(--pa-text); }
.pa-box p:last-child { margin-bottom: 0; }
.pa-box .pa-why { font-weight: 700; }
.pa-refused, .pa-error { border-left-color: var(--pa-red); background: var(--pa-red-bg); }
.pa-noanswer, .pa-near { border-left-color: var(--pa-orange); background: var(--pa-orange-bg); }
.pa-found { border-left-color: var(--pa-green); background: var(--pa-green-bg); }
.pa-answered { border-left: 6px solid var(--pa-link); padding-left: 1rem; }
.pa-cite { font-weight: 700; color: var(--pa-link) !important; text-decoration: underline; white-space: nowrap;
  padding: 0 0.1rem; }
.pa-link, .pa-whole summary, .pa-card h4 { color: var(--pa-link); }
.pa-link { text-decoration: underline; }
.pa-cite:focus, .pa-link:focus, .pa-whole summary:focus, .pa-copy:focus, .pa-doc:focus,
#pa-question textarea:focus, #pa-wording textarea:focus, #pa-doc-search textarea:focus, #pa-doc-search input:focus,
button:focus-visible { outline: 3px solid var(--pa-focus) !important; outline-offset: 0;
  box-shadow: 0 0 0 3px var(--pa-focus), inset 0 0 0 2px #0b0c0c !important; }
.pa-cite:focus, .pa-link:focus, .pa-whole summary:focus { background: var(--pa-focus);
  color: var(--pa-focus-text) !important; text-decoration: none; box-shadow: 0 4px 0 #0b0c0c !important; }
.pa-pending { display: flex; align-items: center; gap: 0.6rem; color: var(--pa-muted); font-weight: 700;
  padding: 0.75rem 1rem; border-left: 6px solid var(--pa-border); background: var(--pa-panel); }
.pa-spinner { width: 1.1rem; height: 1.1rem; border: 3px solid var(--pa-border); border-top-color: var(--pa-link);
  border-radius: 50%; animation: pa-spin 0.9s linear infinite; flex: none; }
@keyframes pa-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .pa-spinner { animation: none; border-top-color: var(--pa-border); } }
.pa-sources h3 { font-size: 1rem; margin: 0.25rem 0 0.5rem; }
.pa-cards, .pa-doc-list { list-style: none; margin: 0; padding: 0; }
.pa-card, .pa-doc-item { border: 1px solid var(--pa-border); border-left: 5px solid var(--pa-link);
  padding: 0.6rem 0.85rem; margin-bottom: 0.75rem; background: var(--pa-surface); color: var(--pa-text);
  scroll-margin-top: 1rem; overflow-wrap: anywhere; }
.pa-card h3, .pa-card h4, .pa-doc-item h3 { font-size: 1rem; margin: 0 0 0.2rem; line-height: 1.3; }
.pa-card .pa-num { margin-right: 0.35rem; }
.pa-meta, .pa-speaker, .pa-closeness { color: var(--pa-muted); font-size: 0.9rem; margin: 0 0 0.45rem; }
.pa-speaker { color: var(--pa-text); font-style: italic; }
.pa-closeness { font-weight: 700; color: var(--pa-text); }
.pa-weak { border-left-color: var(--pa-border); border-style: dashed; }
.pa-weak .pa-diff { font-size: 0.95rem; }
.pa-card p, .pa-doc-item p { display: block; }
.pa-para { margin: 0 0 0.4rem; padding: 0; white-space: pre-line; font-size: 0.95rem; line-height: 1.5; }
.pa-card mark, .pa-doc mark { background: var(--pa-mark); color: var(--pa-text); box-shadow: 0 -2px 0 #ffdd00 inset;
  padding: 0 1px; }
.pa-withheld { font-style: italic; color: var(--pa-muted); }
.pa-card.pa-flash { outline: 4px solid var(--pa-focus); }
.pa-card:focus { outline: 3px solid var(--pa-focus); }
.pa-actions { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin: 0.3rem 0; }
.pa-copy { font: inherit; font-size: 0.9rem; padding: 0.2rem 0.6rem; border: 2px solid var(--pa-text);
  background: var(--pa-surface); color: var(--pa-text); cursor: pointer; border-radius: 0; }
.pa-whole summary { cursor: pointer; text-decoration: underline; font-size: 0.95rem; margin-top: 0.25rem; }
.pa-doc { white-space: pre-line; max-height: 24rem; overflow-y: auto; border: 1px solid var(--pa-border);
  padding: 0.5rem 0.75rem; margin-top: 0.4rem; font-size: 0.95rem; line-height: 1.5; background: var(--pa-surface); }
.pa-diff { font-size: 1rem; line-height: 1.7; margin: 0.25rem 0 0.5rem; overflow-wrap: anywhere; }
.pa-diff del { background: var(--pa-del-bg); color: var(--pa-del); text-decoration: line-through; padding: 0 2px; }
.pa-diff ins, .pa-box ins { background: var(--pa-ins-bg); color: var(--pa-ins); text-decoration: underline;
  padding: 0 2px; }
.pa-box del { background: var(--pa-del-bg); color: var(--pa-del); }
.pa-legend { font-size: 0.9rem; color: var(--pa-muted); }
.pa-error-text { color: var(--pa-error); font-weight: 700; margin: 0; }
.pa-summary { margin: 0 0 0.75rem; }
#pa-examples button { white-space: normal; text-align: left; justify-content: flex-start; font-size: 0.95rem;
  color: var(--pa-link); text-decoration: underline; background: var(--pa-surface); border-color: var(--pa-border); }
#pa-examples button:focus-visible { background: var(--pa-focus); color: var(--pa-focus-text); }
.tab-wrapper button[role="tab"] { font-size: 1.05rem; color: var(--pa-link); text-decoration: underline; }
.tab-wrapper button[role="tab"][aria-selected="true"] { color: var(--pa-text); font-weight: 700;
  text-decoration: none; border-bottom: 4px solid var(--pa-link); }
.tab-wrapper button[role="tab"]:focus-visible { background: var(--pa-focus); color: var(--pa-focus-text); }
footer, footer a, footer button { color: var(--pa-text) !important; opacity: 1 !important; }
@media (max-width: 760px) { .pa-header h1 { font-size: 1.6rem; } }
@media print {
  .pa-skip, #pa-question, #pa-ask, #pa-clear, #pa-examples, #pa-examples-title, .tab-wrapper, footer, .pa-copy,
  .pa-whole, #pa-wording, #pa-check, #pa-doc-search { display: none !important; }
  .gradio-container { max-width: none !important; color: #000; }
  .pa-card, .pa-box, .pa-turn { break-inside: avoid; background: #fff !important; color: #000 !important; }
  .pa-link::after { content: " (" attr(href) ")"; color: #000; }
  .pa-link .pa-vh { display: none; }
}
"""

# In the page's head, inline (nothing is fetched): clicking [n] brings that source into view and moves focus to
# it; the skip link focuses the question box; "copy with source" copies its wording (with a fallback for
# browsers without the clipboard API); opening a whole document scrolls to the highlighted passage.
HEAD = """<script>
document.addEventListener('click', function (event) {
  var el = event.target.closest ? event.target : null;
  if (!el) return;
  var link = el.closest('a.pa-cite');
  if (link) {
    var target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    event.preventDefault();
    var still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    target.scrollIntoView({behavior: still ? 'auto' : 'smooth', block: 'start'});
    target.focus({preventScroll: true});
    target.classList.add('pa-flash');
    setTimeout(function () { target.classList.remove('pa-flash'); }, 1800);
    return;
  }
  if (el.closest('a.pa-skip')) {
    event.preventDefault();
    var box = document.querySelector('#pa-question textarea');
    if (box) box.focus();
    return;
  }
  var copy = el.closest('button.pa-copy');
  if (copy) {
    var text = copy.getAttribute('data-copy');
    var done = function () {
      var label = copy.firstChild.nodeValue;
      copy.firstChild.nodeValue = 'Copied';
      setTimeout(function () { copy.firstChild.nodeValue = label; }, 2000);
    };
    var fallback = function () {
      var area = document.createElement('textarea');
      area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.left = '-9999px';
      document.body.appendChild(area); area.select();
      try { document.execCommand('copy'); } finally { document.body.removeChild(area); }
      done();
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }
}, true);
document.addEventListener('toggle', function (event) {
  var details = event.target;
  if (!details.classList || !details.classList.contains('pa-whole') || !details.open) return;
  var mark = details.querySelector('mark');
  var doc = details.querySelector('.pa-doc');
  if (mark && doc) doc.scrollTop = mark.offsetTop - doc.offsetTop - doc.clientHeight / 3;
}, true);
</script>"""


# --- rendering: plain functions from Assistant results to escaped HTML --------------------------------------


def _e(text) -> str:
    return html.escape(str(text or ""), quote=True)


def _date(published: str | None) -> str:
    if not published:
        return "undated"
    try:
        return long_date(published)
    except ValueError:
        return published


def _safe_url(url: str | None) -> str | None:
    """Only web addresses become links: a `javascript:` URL in a document's metadata must not be clickable."""
    return url if url and re.match(r"https?://", url.strip(), re.I) else None


def _meta_line(publisher: str | None, published: str | None, *extra: str) -> str:
    parts = [_e(publisher or "Unknown publisher"), _e(_date(published)), *(x for x in extra if x)]
    return f'<p class="pa-meta">{" · ".join(parts)}</p>'


def _link(url: str | None, title: str) -> str:
    safe = _safe_url(url)
    if not safe:
        return ""
    return (f'<a class="pa-link" href="{_e(safe)}" target="_blank" rel="noopener noreferrer">'
            f'Read the original<span class="pa-vh">: {_e(title)}</span> (opens in a new tab)</a>')


# Markdown's own marks are not words of the document: a list item reads as a bullet, a heading and bold text as
# plain text. (Offsets stay those of the document: the marks are replaced only where shown.)
_MARKUP = re.compile(r"(?m)^[ \t]*(?:[-*+]|#{1,6})[ \t]+|\*\*")


def _markup(text: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), "• " if m.group().strip() in "-*+" else "") for m in _MARKUP.finditer(text, lo, hi)]


def _tidy(text: str) -> str:
    out, at = [], 0
    for a, b, shown in _markup(text, 0, len(text)):
        out += [text[at:a], shown]
        at = b
    return "".join([*out, text[at:]])


def _marked_html(text: str, lo: int, hi: int, marked: list[tuple[int, int]]) -> str:
    """text[lo:hi] escaped, the marked spans highlighted, markdown's marks tidied, and whatever identifies a
    private person withheld (`redact.py`): everything shown of a document is checked, not only the quotation."""
    hidden = [(s.start, s.end, redact.MARKERS[s.kind], "pa-withheld")
              for s in redact.withheld(text, lo, hi, redact.private_names(text))]
    hidden += [(a, b, shown, "") for a, b, shown in _markup(text, lo, hi)
               if not any(x < b and a < y for x, y, _, _ in hidden)]
    cuts = sorted({lo, hi, *(x for span in marked for x in span if lo <= x <= hi),
                   *(x for a, b, _, _ in hidden for x in (a, b))})
    out = []
    for x, y in zip(cuts, cuts[1:], strict=False):
        cover = next((h for h in hidden if h[0] <= x < h[1]), None)
        in_mark = any(a <= x < b for a, b in marked)
        if cover:
            if x == cover[0] and cover[2]:
                piece = f'<span class="{cover[3]}">{_e(cover[2])}</span>' if cover[3] else _e(cover[2])
                out.append(f"<mark>{piece}</mark>" if in_mark and not cover[3] else piece)
        elif in_mark and text[x:y].strip():  # a blank line between a heading and its list is not highlighted
            out.append(f"<mark>{_e(text[x:y])}</mark>")
        else:
            out.append(_e(text[x:y]))
    return "".join(out)


def _in_context(text: str, marked: list[tuple[int, int]], p_start: int | None = None,
                p_end: int | None = None) -> str:
    """The paragraph around the marked spans (a citation's pieces), those highlighted, trimmed to CONTEXT_CHARS
    either side."""
    start, end = marked[0][0], marked[-1][1]
    if p_start is None or p_end is None:
        p_start, p_end = paragraph_around(text, start, end)
    lo, hi, lead, tail = p_start, p_end, "", ""
    if start - p_start > CONTEXT_CHARS:
        space = text.find(" ", start - CONTEXT_CHARS, start)
        lo, lead = (space + 1 if space >= 0 else start - CONTEXT_CHARS), "…"
    if p_end - end > CONTEXT_CHARS:
        space = text.rfind(" ", end, end + CONTEXT_CHARS)
        hi, tail = (space if space >= 0 else end + CONTEXT_CHARS), "…"
    return f'<p class="pa-para">{lead}{_marked_html(text, lo, hi, marked)}{tail}</p>'


def _whole_document(text: str, marked: list[tuple[int, int]], title: str) -> str:
    """The document, folded, with the cited passage (if any) highlighted in place; the page scrolls to it when
    opened. A very long document shows WHOLE_DOCUMENT_CHARS around the passage, or its beginning."""
    lo, hi = 0, len(text)
    if hi > WHOLE_DOCUMENT_CHARS:
        middle = (marked[0][0] + marked[-1][1]) // 2 if marked else 0
        lo = max(0, min(middle - WHOLE_DOCUMENT_CHARS // 2, hi - WHOLE_DOCUMENT_CHARS))
        hi = lo + WHOLE_DOCUMENT_CHARS
    note = ('<p class="pa-meta">A long document: this is the part around the passage.</p>'
            if (lo, hi) != (0, len(text)) else "")
    label = "Open the whole document" if marked else "Open the document"
    return (f'<details class="pa-whole"><summary>{label}<span class="pa-vh">: {_e(title)}</span></summary>{note}'
            f'<div class="pa-doc" tabindex="0" role="region" aria-label="{_e(title)}">'
            f'{"…" if lo else ""}{_marked_html(text, lo, hi, marked)}{"…" if hi < len(text) else ""}</div></details>')


def _copy_button(text: str, marked: list[tuple[int, int]], c: dict) -> str:
    """The exact words, withheld parts marked, with publisher, title, date and address: ready to paste."""
    start, end = marked[0][0], marked[-1][1]
    words = redact.shown(text, redact.withheld(text, start, end, redact.private_names(text)), start, end)
    words = " ".join(_tidy(words).split())
    where = ", ".join(x for x in (c["publisher"], f"“{c['title']}”", _date(c["published"]), _safe_url(c["url"])) if x)
    return (f'<button type="button" class="pa-copy" data-copy="{_e(f"“{words}” — {where}")}">'
            f'Copy with source<span class="pa-vh">: {_e(c["title"])}</span></button>')


def _speaker_line(text: str, start: int, end: int) -> str:
    said = shown_speaker(text, start, end)
    return f'<p class="pa-speaker">Said by {_e(said)}</p>' if said else ""


def _source_card(assistant: Assistant, number: int, anchor: str, pieces: list[dict]) -> str:
    """One cited source under its answer: number, title, publisher, long date, the quoted words highlighted in
    their paragraph, who says them, a link to the original, copy with source, and the whole document."""
    c = pieces[0]
    text = assistant.index.document_text(c["source"])
    head = (f'<li class="pa-card" id="{anchor}" tabindex="-1"><h4><span class="pa-num">[{number}]</span>'
            f'{_e(c["title"])}</h4>{_meta_line(c["publisher"], c["published"], _e(c["source"]))}')
    if not all(text[p["start"]:p["end"]] == p["quote"] for p in pieces):  # the document changed since
        return f'{head}<p class="pa-para"><mark>{_e(" … ".join(p["quote"] for p in pieces))}</mark></p></li>'
    marked = [(p["start"], p["end"]) for p in pieces]
    actions = "".join((_link(c["url"], c["title"]), _copy_button(text, marked, c)))
    return (f'{head}{_speaker_line(text, marked[0][0], marked[-1][1])}{_in_context(text, marked)}'
            f'<div class="pa-actions">{actions}</div>{_whole_document(text, marked, c["title"])}</li>')


def _answer_body(text: str, numbers: dict[int, tuple[int, str]]) -> str:
    """The answer's plain text as paragraphs and lists, escaped, each [n] shown with its number in the
    conversation and linked to its source card."""

    def cite(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in numbers:
            return m.group(0)
        shown, anchor = numbers[n]
        return f'<a class="pa-cite" href="#{anchor}" aria-label="source {shown}">[{shown}]</a>'

    def line_html(line: str) -> str:
        return re.sub(r"\[(\d+)\]", cite, _e(line))

    blocks, items = [], []
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if line.startswith("- "):
            items.append(f"<li>{line_html(line[2:])}</li>")
            continue
        if items:
            blocks.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if line:
            blocks.append(f"<p>{line_html(line)}</p>")
    return "".join(blocks)


def _anchor(number: int) -> str:
    return f"pa-src-{number}"


def _sources(assistant: Assistant, answer: dict, numbers: dict[int, tuple[int, str]]) -> str:
    by_number: dict[int, list[dict]] = {}
    for c in answer["citations"]:  # a quote cut around withheld words comes in pieces
        by_number.setdefault(c["n"], []).append(c)
    cards = "".join(_source_card(assistant, *numbers[n], pieces) for n, pieces in by_number.items())
    return f'<section class="pa-sources"><h3>Sources</h3><ol class="pa-cards">{cards}</ol></section>'


def render_turn(assistant: Assistant, turn: dict, first_number: int = 1) -> str:
    """One question and its reply; an answer's sources are listed under it, numbered from `first_number` so
    that a number means one source in the whole conversation."""
    question = f'<div class="pa-q"><span class="pa-who">You asked</span><h2>{_e(turn["question"])}</h2></div>'
    answer = turn.get("answer")
    if turn.get("error"):
        reply = (f'<div class="pa-box pa-error" role="alert"><h3>That didn\'t work</h3>'
                 f'<p>{_e(turn["error"])}</p></div>')
    elif answer is None:
        reply = ('<div class="pa-pending" role="status"><span class="pa-spinner" aria-hidden="true"></span>'
                 "Preparing an answer: searching the documents…</div>")
    elif answer["status"] == "answered":
        ns = list(dict.fromkeys(c["n"] for c in answer["citations"]))
        numbers = {n: (first_number + i, _anchor(first_number + i)) for i, n in enumerate(ns)}
        reply = (f'<div class="pa-a pa-answered"><span class="pa-who">Answer from the documents</span>'
                 f'{_answer_body(answer["answer"], numbers)}</div>{_sources(assistant, answer, numbers)}')
    else:
        label, why = STATUS_LABELS.get(answer["status"], (answer["status"], ""))
        css = "pa-refused" if answer["status"] == "refused" else "pa-noanswer"
        reason = REASON_LABELS.get(answer.get("reason") or "")  # no_answer's heading says it all
        paragraphs = "".join(f"<p>{_e(p)}</p>" for p in answer["answer"].split("\n\n") if p.strip())
        reply = (f'<div class="pa-box {css}" role="note" aria-label="{_e(label)}">'
                 f'<h3>{_e(label)}{": " + _e(reason) if reason else ""}</h3>'
                 f'<p class="pa-why">{_e(why)}</p>{paragraphs}</div>')
    return f'<article class="pa-turn">{question}{reply}</article>'


def _cited_count(turn: dict) -> int:
    answer = turn.get("answer") or {}
    return len({c["n"] for c in answer.get("citations") or []})


def render_conversation(assistant: Assistant, turns: list[dict]) -> str:
    if not turns:
        body = ('<p class="pa-empty">Ask a question about the published documents, or choose an example below. '
                "You can ask follow-up questions: the conversation is taken into account. Each answer lists "
                "its sources underneath, with the quoted words highlighted.</p>")
    else:
        parts, first = [], 1
        for t in turns:
            parts.append(render_turn(assistant, t, first))
            first += _cited_count(t)
        body = "".join(parts)
    return f'<div class="pa-conversation" role="log" aria-live="polite" aria-label="Conversation">{body}</div>'


def render_diff(diff: list[dict]) -> str:
    parts = []
    for d in diff:
        if d["op"] == "delete":
            parts.append(f'<del><span class="pa-vh">your wording: </span>{_e(d["text"])}</del>')
        elif d["op"] == "insert":
            parts.append(f'<ins><span class="pa-vh">the document says: </span>{_e(d["text"])}</ins>')
        else:
            parts.append(_e(d["text"]))
    return f'<p class="pa-diff">{" ".join(parts)}</p>'


def _closeness(score: float) -> tuple[str, str]:
    if closeness(score) == "close":
        return "pa-close", f"Close match ({score:.0f}% similar)"
    return "pa-weak", f"Weak match ({score:.0f}% similar): may not be the same line"


def render_quote(report: dict) -> str:
    """A `QuoteReport.to_dict()` as a labelled status box and one card per place in the documents."""
    exact, near = report["exact"], report["near"]
    if exact:
        places = f"{len(exact)} place{'s' if len(exact) != 1 else ''}"
        status = ('<div class="pa-box pa-found" role="status"><h2>Found word for word</h2>'
                  f"<p>The documents use this exact wording in {places}. Differences of case, spacing and "
                  "curly or straight quotes are ignored.</p></div>")
    elif near:
        status = ('<div class="pa-box pa-near" role="status"><h2>Not found word for word</h2>'
                  "<p>These are the closest wordings in the documents, closest first. "
                  '<del class="pa-legend-del">Struck through</del> = in your wording only; '
                  "<ins>underlined</ins> = what the document says.</p></div>")
    else:
        return ('<div class="pa-box pa-noanswer" role="status"><h2>Not found</h2><p>The documents don\'t use this '
                "wording or anything close to it.</p></div>")
    cards = []
    for m in exact + near:
        offset = m["paragraph_start"]
        span = [(m["start"] - offset, m["end"] - offset)]
        paragraph = m["paragraph"]
        context = _in_context(paragraph, span, 0, len(paragraph))
        css, label = ("pa-exact", "") if not m["diff"] else _closeness(m["score"])
        body = f'{render_diff(m["diff"])}<p class="pa-legend">Where it appears:</p>{context}' if m["diff"] else context
        said = f'<p class="pa-speaker">Said by {_e(m["speaker"])}</p>' if m.get("speaker") else ""
        closeness_line = f'<p class="pa-closeness">{_e(label)}</p>' if label else ""
        cards.append(f'<article class="pa-card {css}"><h3>{_e(m["title"])}</h3>{closeness_line}'
                     f'{_meta_line(m["publisher"], m["published"], _e(m["source"]))}{said}{body}'
                     f'<div class="pa-actions">{_link(m["url"], m["title"])}'
                     f'{_copy_button(paragraph, span, m)}</div></article>')
    return f'<div class="pa-quote pa-diff-wrap">{status}{"".join(cards)}</div>'


def render_documents(assistant: Assistant, search: str = "") -> str:
    """The documents in the index, newest first, as cards that read at any width and open in place; a search
    narrows them by title, publisher, date or file name, and at most DOCUMENTS_SHOWN are listed."""
    records = assistant.documents()
    needle = " ".join(search.lower().split())
    found = [r for r in records if needle in " ".join(str(r.get(k) or "") for k in ("title", "publisher", "source",
                                                                                     "published")).lower()]
    found.sort(key=lambda r: r.get("published") or "", reverse=True)
    passages = sum(int(r.get("chunks") or 0) for r in records)
    total = f"The index holds {len(records)} document{'s' if len(records) != 1 else ''} ({passages:,} passages)."
    if needle:
        total += f" {len(found)} match “{_e(search.strip())}”."
    if len(found) > DOCUMENTS_SHOWN:
        total += f" Showing the newest {DOCUMENTS_SHOWN}: search to narrow the list."
    items = []
    for r in found[:DOCUMENTS_SHOWN]:
        kind = DOC_TYPE_LABELS.get(r.get("doc_type") or "", r.get("doc_type") or "")
        chunks = int(r.get("chunks") or 0)
        title = r.get("title") or r["source"]
        link = _link(r.get("url"), title)
        meta = _meta_line(r.get("publisher"), r.get("published"), _e(kind), f"{chunks} passages", _e(r["source"]))
        items.append(f'<li class="pa-doc-item"><h3>{_e(title)}</h3>{meta}'
                     f'{f"<div class=pa-actions>{link}</div>" if link else ""}'
                     f'{_whole_document(assistant.index.document_text(r["source"]), [], title)}</li>')
    listing = (f'<ol class="pa-doc-list">{"".join(items)}</ol>' if items
               else '<p class="pa-empty">No document matches.</p>')
    return f'<div class="pa-documents"><p class="pa-summary" role="status">{total}</p>{listing}</div>'


# --- the page -----------------------------------------------------------------------------------------------


def _theme():
    import gradio as gr

    font = ["Arial", "Helvetica", "sans-serif"]  # system fonts: nothing to download
    return gr.themes.Base(primary_hue="blue", neutral_hue="gray", radius_size="sm", font=font,
                          font_mono=["Consolas", "Menlo", "monospace"]).set(
        body_text_color="#0b0c0c", body_text_size="1rem", link_text_color="#1d70b8",
        button_primary_background_fill="#00703c", button_primary_background_fill_hover="#005a30",
        button_primary_text_color="#ffffff", button_primary_border_color="#002d18",
        button_secondary_background_fill="#f3f2f1", button_secondary_background_fill_hover="#dbdad9",
        button_secondary_text_color="#0b0c0c", button_secondary_border_color="#929191",
        input_border_color="#0b0c0c", input_border_width="2px", input_background_fill="#ffffff",
        input_placeholder_color="#505a5f", block_label_text_color="#0b0c0c", block_label_text_size="1rem",
        block_label_text_weight="700", block_title_text_color="#0b0c0c", block_title_text_size="1.05rem",
        block_title_text_weight="700", block_info_text_color="#505a5f", block_info_text_size="0.95rem",
        color_accent_soft="#e8f1f8", border_color_accent="#1d70b8", body_text_color_subdued="#505a5f",
        # dark mode: light text on near-black, every pair at least 4.5:1
        body_background_fill_dark="#111213", background_fill_primary_dark="#111213",
        background_fill_secondary_dark="#1b1d1f", block_background_fill_dark="#1b1d1f",
        body_text_color_dark="#f3f2f1", body_text_color_subdued_dark="#c5cacd", link_text_color_dark="#8fc3f0",
        input_background_fill_dark="#1b1d1f", input_border_color_dark="#f3f2f1",
        input_placeholder_color_dark="#c5cacd", block_label_text_color_dark="#f3f2f1",
        block_title_text_color_dark="#f3f2f1", block_info_text_color_dark="#c5cacd",
        button_secondary_background_fill_dark="#26292c", button_secondary_background_fill_hover_dark="#3a3d41",
        button_secondary_text_color_dark="#f3f2f1", button_secondary_border_color_dark="#b1b4b6",
        button_primary_background_fill_dark="#00703c", button_primary_text_color_dark="#ffffff",
        color_accent_soft_dark="#1d3a52", border_color_accent_dark="#8fc3f0",
    )


def _history(turns: list[dict]) -> list[dict]:
    """The conversation so far, as `Assistant.ask` takes it (answered turns only)."""
    out = []
    for t in turns:
        if t.get("answer"):
            out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
    return out


def _ingest_uploads(assistant: Assistant, paths: list[Path]):
    """A visitor's files are indexed under uploads/, so one named like an official document (or claiming its
    publisher) sits beside it, never in its place."""
    with tempfile.TemporaryDirectory(prefix="pa-upload-") as staging:
        folder = Path(staging) / UPLOADS
        folder.mkdir()
        for path in paths:
            shutil.copyfile(path, folder / path.name)
        return assistant.ingest([staging])


def _client_error(message: str):
    """A request the client can fix: one line in the server's log, the message to the client, no traceback
    (Gradio prints one for every error unless told not to)."""
    import gradio as gr

    log.warning("client error: %s", message)
    return gr.Error(message, title="Can't do that", print_exception=False)


def _api_history(history) -> list[dict]:
    if not history:
        return []
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history):
        raise _client_error('history must be a list of {"role": "user" | "assistant", "content": "..."} objects')
    return [{"role": m["role"], "content": m["content"]} for m in history]


def _run(fn, *args):
    """Call the Assistant; its errors reach the visitor or script as a clear message, never as a crash."""
    import gradio as gr

    try:
        return fn(*args)
    except AssistantError as exc:
        raise _client_error(str(exc)) from None
    except Exception:
        log.exception("request failed")
        raise gr.Error("Something went wrong on the server. It has been logged; please try again.",
                       title="Server error") from None


def build(assistant: Assistant, allow_uploads: bool = False):
    import gradio as gr

    # -- API endpoints (gradio_client): the contract's objects, unchanged
    def ask_api(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question from the documents. `history` is the conversation so far as
        [{"role": "user" | "assistant", "content": "..."}]. Returns the Answer object (see CONTRACT.md)."""
        return _run(assistant.ask, question, _api_history(history)).to_dict()

    def quote_api(text: str) -> dict:
        """Where the documents use this wording: exact matches, else the closest with a word-level diff."""
        return _run(assistant.quote, text).to_dict()

    def documents_api() -> list[dict]:
        """What the index holds: one record per document (source, title, publisher, published, doc_type, chunks)."""
        return _run(assistant.documents)

    # -- the Ask tab: a pending turn is shown at once, then answered on the queue
    def start(question: str, turns: list[dict]):
        question = (question or "").strip()
        if not question:
            return turns, gr.skip(), gr.skip(), _inline_error("Type a question first.")
        if any(t.get("answer") is None and not t.get("error") for t in turns):
            return turns, gr.skip(), gr.skip(), _inline_error("Wait for the answer to your last question.")
        turns = [*turns, {"question": question, "answer": None}]
        return (turns, render_conversation(assistant, turns), gr.update(value="", interactive=False),
                _inline_error(""))

    def finish(turns: list[dict]):
        if not turns or turns[-1].get("answer") is not None or turns[-1].get("error"):
            return turns, gr.skip(), gr.update(interactive=True)
        pending = turns[-1]
        try:
            answer = assistant.ask(pending["question"], _history(turns[:-1])).to_dict()
            done = {"question": pending["question"], "answer": answer}
        except AssistantError as exc:
            done = {"question": pending["question"], "answer": None, "error": str(exc)}
        except Exception:
            log.exception("answering failed")
            done = {"question": pending["question"], "answer": None,
                    "error": "Something went wrong on the server. It has been logged; please try again."}
        turns = [*turns[:-1], done]
        return turns, render_conversation(assistant, turns), gr.update(interactive=True)

    def clear():
        return [], render_conversation(assistant, []), "", _inline_error("")

    def _inline_error(message: str):
        text = f'<p class="pa-error-text" role="alert">{_e(message)}</p>' if message else ""
        return gr.update(value=text, visible=bool(message))

    def check_quote(text: str) -> str:
        try:
            return render_quote(assistant.quote(text).to_dict())
        except AssistantError as exc:
            return f'<p class="pa-error-text" role="alert">{_e(str(exc)[:1].upper() + str(exc)[1:])}.</p>'
        except Exception:
            log.exception("quote check failed")
            return '<p class="pa-error-text" role="alert">Something went wrong on the server. Please try again.</p>'

    def documents_view(search: str = "") -> str:
        try:
            return render_documents(assistant, search or "")
        except AssistantError as exc:
            return f'<p class="pa-error-text" role="alert">{_e(exc)}</p>'

    with gr.Blocks(title="Policy assistant: answers from published documents") as demo:
        gr.HTML('<a class="pa-skip" href="#pa-question">Skip to the question box</a>'
                '<header class="pa-header"><h1>Policy assistant</h1>'
                "<p>Answers from published police and government documents about the sex offender register, "
                "quoting the passages they come from, with who published them and when.</p>"
                '<p class="pa-safety">It never gives out information about individuals. If a child is in '
                "immediate danger, call 999.</p></header>", js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                turns = gr.State([])
                conversation = gr.HTML(render_conversation(assistant, []), elem_id="pa-conversation",
                                       js_on_load=None)
                question = gr.Textbox(label="Your question", lines=1, max_lines=6,
                                      max_length=config.MAX_QUESTION_CHARS, elem_id="pa-question",
                                      placeholder="For example: how many people were on the register?",
                                      info="Don't type anyone's name, address or other personal details: the "
                                           "documents are about the register, not about people. Press Enter "
                                           "or select Ask.")
                ask_error = gr.HTML("", js_on_load=None, visible=False)
                with gr.Row():
                    ask_button = gr.Button("Ask", variant="primary", elem_id="pa-ask", scale=2)
                    clear_button = gr.Button("Start again", variant="secondary", elem_id="pa-clear", scale=1)
                gr.HTML('<h2 id="pa-examples-title" class="pa-examples-title">Example questions</h2>',
                        js_on_load=None)
                with gr.Column(elem_id="pa-examples"):
                    example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]

            # Gradio's own autoscroll jumps to the page's end 300 ms after any update, which on a phone is past the
            # sources and overrides a citation the reader has just clicked; so bring the new answer's top into view.
            show_answer = """() => {
              const box = document.querySelector('#pa-question textarea');
              if (box) box.focus({preventScroll: true});
              const turn = document.querySelector('#pa-conversation .pa-turn:last-child');
              if (!turn) return;
              const top = turn.getBoundingClientRect().top;
              if (top < 0 || top > window.innerHeight * 0.6) turn.scrollIntoView({block: 'start'});
            }"""
            ask_events = [(ask_button.click, question), (question.submit, question)]
            for trigger, source in ask_events:
                trigger(start, [source, turns], [turns, conversation, question, ask_error], queue=False,
                        api_visibility="private", show_progress="hidden").then(
                    finish, turns, [turns, conversation, question], api_visibility="private",
                    show_progress="hidden", trigger_mode="once").then(
                    None, js=show_answer, api_visibility="private")
            for button, text in zip(example_buttons, EXAMPLES, strict=True):
                button.click(lambda turns, text=text: start(text, turns), turns,
                             [turns, conversation, question, ask_error], queue=False, api_visibility="private",
                             show_progress="hidden").then(
                    finish, turns, [turns, conversation, question], api_visibility="private",
                    show_progress="hidden").then(None, js=show_answer, api_visibility="private")
            clear_button.click(clear, None, [turns, conversation, question, ask_error], queue=False,
                               api_visibility="private")

            with gr.Tab("Check a press line", id="quote"):
                gr.Markdown("Paste a sentence from a press line or briefing to see whether the documents say it "
                            "word for word, and if not, what they do say.")
                wording = gr.Textbox(label="Wording to check", lines=3, max_length=2_000, elem_id="pa-wording",
                                     placeholder="Paste the sentence as you have it")
                check_button = gr.Button("Check wording", variant="primary", elem_id="pa-check")
                quote_out = gr.HTML("", elem_id="pa-quote-result", js_on_load=None)
                for trigger in (check_button.click, wording.submit):
                    trigger(check_quote, wording, quote_out, api_visibility="private", show_progress="minimal")

            with gr.Tab("Documents", id="documents") as documents_tab:
                doc_search = gr.Textbox(label="Search the documents", elem_id="pa-doc-search", lines=1,
                                        info="By title, publisher, date or file name.")
                doc_list = gr.HTML(documents_view(), elem_id="pa-documents", js_on_load=None)
                doc_search.change(documents_view, doc_search, doc_list, api_visibility="private",
                                  show_progress="hidden", trigger_mode="always_last")
                documents_tab.select(documents_view, doc_search, doc_list, api_visibility="private",
                                     show_progress="hidden")
                if allow_uploads:  # off unless `serve --allow-uploads`: a public page must not take documents
                    files = gr.File(label="Add documents (.md, .txt, .html, .pdf)", file_count="multiple",
                                    file_types=list(config.SUPPORTED_SUFFIXES))
                    upload_report = gr.Markdown()

                    def add_documents(paths, search):
                        try:
                            report = _ingest_uploads(assistant, [Path(p) for p in paths or []])
                        except AssistantError as exc:
                            return f"Nothing added: {exc}", documents_view(search)
                        lines = [f"Added {len(report.added)}, updated {len(report.updated)}, "
                                 f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}."]
                        lines += [f"- skipped {s.source}: {s.reason}" for s in report.skipped]
                        return "\n".join(lines), documents_view(search)

                    files.upload(add_documents, [files, doc_search], [upload_report, doc_list],
                                 api_visibility="private")

        gr.api(ask_api, api_name="ask")
        gr.api(quote_api, api_name="quote")
        gr.api(documents_api, api_name="documents")
    return demo


class RequestGuard:
    """Plain ASGI middleware in front of the whole app: what a public page needs that Gradio does not do.

    - Host must be this server's (127.0.0.1, localhost, the name it was started on, or one listed in
      $POLICY_ASSISTANT_HOSTS): a DNS-rebinding page cannot reach it through another name. X-Forwarded-*
      headers are dropped, so they are never reflected.
    - A browser may call it only from its own origin: another site or another local port gets 403.
    - A request body is capped (MAX_REQUEST_BYTES; an upload, when uploads are on, MAX_FILE_BYTES) before it
      is read, by Content-Length and again while streaming; without --allow-uploads the upload route is closed.
    """

    def __init__(self, app, host: str, port: int, allow_uploads: bool):
        self.app, self.port, self.allow_uploads = app, port, allow_uploads
        names = {"127.0.0.1", "localhost", host, *config.extra_hosts()}
        self.hosts = {f"{n}:{port}" for n in names} | names

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = [(k, v) for k, v in scope["headers"] if not k.startswith(b"x-forwarded-")]
        scope = {**scope, "headers": headers}
        found = dict(headers)
        host = found.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts:
            return await self._refuse(scope, send, 400, f"unknown host {host!r}: use http://127.0.0.1:{self.port}/")
        origin = found.get(b"origin", b"").decode("latin-1").lower()
        if origin and origin.split("://", 1)[-1] != host:
            return await self._refuse(scope, send, 403, "requests from other sites are not accepted")
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        upload = scope["path"].rstrip("/").endswith("/upload")
        if upload and not self.allow_uploads:
            return await self._refuse(scope, send, 403, "uploads are off: start the server with --allow-uploads")
        limit = config.MAX_FILE_BYTES if upload else config.MAX_REQUEST_BYTES
        length = found.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            return await self._refuse(scope, send, 413, f"the request is larger than {limit:,} bytes")
        seen = 0

        async def capped():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise ValueError(f"request body over {limit:,} bytes")
            return message

        return await self.app(scope, capped, send)

    @staticmethod
    async def _refuse(scope, send, status: int, message: str) -> None:
        log.warning("refused %s %s: %s", scope.get("method", "WS"), scope.get("path"), message)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = message.encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def warm_up(assistant: Assistant) -> float:
    """Load the model and the lexical index and answer one throwaway question, so the first visitor doesn't wait."""
    started = time.perf_counter()
    try:
        if assistant.index.count():
            assistant.index.encoder  # noqa: B018 - loads the model
            assistant.index.lexical()
            assistant.ask(WARM_UP_QUESTION)
            assistant.quote(WARM_UP_QUESTION)
    except AssistantError as exc:
        log.warning("warm-up skipped: %s", exc)
    return time.perf_counter() - started


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, allow_uploads: bool = False) -> None:
    config.apply_offline_env()
    seconds = warm_up(assistant)
    print(f"Model and index loaded in {seconds:.1f} s", flush=True)
    demo = build(assistant, allow_uploads=allow_uploads)
    demo.queue(default_concurrency_limit=2, max_size=256)  # CPU-bound answers: a burst waits in line
    from starlette.middleware import Middleware

    guard = Middleware(RequestGuard, host=host, port=port, allow_uploads=allow_uploads)
    demo.launch(server_name=host, server_port=port, show_error=False, theme=_theme(), css=CSS, head=HEAD,
                footer_links=["api"], run_history=False, enable_monitoring=False, ssr_mode=False, pwa=False,
                mcp_server=False, app_kwargs={"middleware": [guard]},
                max_file_size=config.MAX_FILE_BYTES if allow_uploads else 1)
