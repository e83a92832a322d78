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
import time

from . import config, redact
from .answer import DOC_TYPE_LABELS, long_date
from .api import Assistant
from .errors import AssistantError
from .quote import paragraph_around

log = logging.getLogger(__name__)

EXAMPLES = [
    "How many registered sex offenders were there at 31 March 2024?",
    "What must a registered sex offender tell the police before travelling abroad?",
    "What is MAPPA?",
    "How do I apply under Sarah's Law?",
]
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

CSS = """
:root { --pa-text: #0b0c0c; --pa-muted: #505a5f; --pa-blue: #1d70b8; --pa-border: #b1b4b6; --pa-focus: #ffdd00; }
.gradio-container { max-width: 1180px !important; width: 100% !important; margin: 0 auto !important;
  color: var(--pa-text); }
.pa-header { border-bottom: 10px solid var(--pa-blue); padding: 0.25rem 0 0.75rem; margin-bottom: 0.25rem; }
.pa-header h1 { font-size: 2rem; line-height: 1.15; margin: 0 0 0.4rem; font-weight: 700; }
.pa-header p { font-size: 1.05rem; margin: 0; max-width: 46rem; }
.pa-header .pa-safety { margin-top: 0.5rem; color: var(--pa-muted); font-size: 0.95rem; }
.pa-vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.pa-conversation { display: flex; flex-direction: column; gap: 1rem; }
.pa-empty { color: var(--pa-muted); margin: 0; }
.pa-turn { display: flex; flex-direction: column; gap: 0.5rem; }
.pa-who { display: block; font-size: 0.85rem; font-weight: 700; color: var(--pa-muted); margin-bottom: 0.15rem;
  text-transform: uppercase; letter-spacing: 0.03em; }
.pa-q p { margin: 0; font-weight: 700; font-size: 1.05rem; overflow-wrap: anywhere; }
.pa-a { overflow-wrap: anywhere; line-height: 1.5; }
.pa-a p { margin: 0 0 0.5rem; }
.pa-a ul { margin: 0 0 0.5rem; padding-left: 1.25rem; }
.pa-a li { margin-bottom: 0.4rem; }
.pa-box { border-left: 6px solid var(--pa-muted); background: #f3f2f1; padding: 0.75rem 1rem; }
.pa-box h3, .pa-status h3 { font-size: 1.05rem; margin: 0 0 0.35rem; font-weight: 700; }
.pa-box p { margin: 0 0 0.5rem; }
.pa-box p:last-child { margin-bottom: 0; }
.pa-box .pa-why { font-weight: 700; }
.pa-refused { border-left-color: #d4351c; background: #fcf1ef; }
.pa-noanswer { border-left-color: #f47738; background: #fef4ec; }
.pa-error { border-left-color: #d4351c; background: #fcf1ef; }
.pa-found { border-left-color: #00703c; background: #edf6f1; }
.pa-near { border-left-color: #f47738; background: #fef4ec; }
.pa-answered { border-left: 6px solid var(--pa-blue); padding-left: 1rem; }
.pa-cite { font-weight: 700; color: var(--pa-blue) !important; text-decoration: underline; white-space: nowrap;
  padding: 0 0.1rem; }
.pa-cite:focus, .pa-card a:focus, .pa-link:focus { outline: 3px solid var(--pa-focus); background: var(--pa-focus);
  color: var(--pa-text) !important; text-decoration: none; box-shadow: 0 4px 0 var(--pa-text); }
.pa-pending { display: flex; align-items: center; gap: 0.6rem; color: var(--pa-muted); font-weight: 700;
  padding: 0.75rem 1rem; border-left: 6px solid var(--pa-border); background: #f8f8f8; }
.pa-spinner { width: 1.1rem; height: 1.1rem; border: 3px solid var(--pa-border); border-top-color: var(--pa-blue);
  border-radius: 50%; animation: pa-spin 0.9s linear infinite; flex: none; }
@keyframes pa-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .pa-spinner { animation: none; border-top-color: var(--pa-border); } }
.pa-sources h2 { font-size: 1.25rem; margin: 0 0 0.5rem; }
.pa-sources h3 { font-size: 1rem; margin: 0.25rem 0 0.6rem; overflow-wrap: anywhere; }
.pa-sources details { margin-top: 0.75rem; }
.pa-sources summary { cursor: pointer; color: var(--pa-blue); text-decoration: underline; overflow-wrap: anywhere; }
.pa-card { border: 1px solid var(--pa-border); border-left: 5px solid var(--pa-blue); padding: 0.6rem 0.85rem;
  margin-bottom: 0.75rem; background: #fff; scroll-margin-top: 1rem; }
.pa-card h4 { font-size: 1rem; margin: 0 0 0.2rem; line-height: 1.3; overflow-wrap: anywhere; }
.pa-card .pa-num { color: var(--pa-blue); margin-right: 0.25rem; }
.pa-meta { color: var(--pa-muted); font-size: 0.9rem; margin: 0 0 0.45rem; overflow-wrap: anywhere; }
.pa-para { margin: 0 0 0.4rem; padding: 0; white-space: pre-line; overflow-wrap: anywhere; font-size: 0.95rem;
  line-height: 1.5; border: 0; }
.pa-card mark { background: #fff2a8; color: var(--pa-text); box-shadow: 0 -2px 0 #ffdd00 inset; padding: 0 1px; }
.pa-withheld { font-style: italic; color: var(--pa-muted); }
.pa-card.pa-flash { outline: 4px solid var(--pa-focus); }
.pa-card:focus { outline: 3px solid var(--pa-focus); }
.pa-diff { font-size: 1rem; line-height: 1.7; margin: 0.25rem 0 0.5rem; overflow-wrap: anywhere; }
.pa-diff del { background: #f6d7d2; color: #942514; text-decoration: line-through; padding: 0 2px; }
.pa-diff ins { background: #cce2d8; color: #005a30; text-decoration: underline; padding: 0 2px; }
.pa-legend { font-size: 0.9rem; color: var(--pa-muted); }
.pa-error-text { color: #d4351c; font-weight: 700; margin: 0; }
#pa-examples button { white-space: normal; text-align: left; justify-content: flex-start; font-size: 0.95rem;
  color: #1d70b8; text-decoration: underline; background: #fff; border-color: #b1b4b6; }
#pa-examples button:focus-visible { background: var(--pa-focus); color: var(--pa-text);
  outline: 3px solid var(--pa-focus); }
#pa-documents { --font-mono: Arial, Helvetica, sans-serif; }
.tab-wrapper button[role="tab"] { font-size: 1.05rem; color: #1d70b8; text-decoration: underline; }
.tab-wrapper button[role="tab"][aria-selected="true"] { color: var(--pa-text); font-weight: 700;
  text-decoration: none; }
.tab-wrapper button[role="tab"]:focus-visible { background: var(--pa-focus); outline: 3px solid var(--pa-focus); }
#pa-sources-col { position: sticky; top: 0.5rem; align-self: flex-start; max-height: calc(100vh - 1rem);
  overflow-y: auto; }
@media (max-width: 760px) {
  #pa-sources-col { position: static; max-height: none; overflow: visible; }
  .pa-header h1 { font-size: 1.6rem; }
}
"""

# Clicking [n] brings source n of that answer into view (opening an older answer's sources if needed) and
# moves keyboard focus to it. Inline, so nothing is fetched from anywhere.
HEAD = """<script>
document.addEventListener('click', function (event) {
  var link = event.target.closest ? event.target.closest('a.pa-cite') : null;
  if (!link) return;
  var target = document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  event.preventDefault();
  var details = target.closest('details');
  if (details) details.open = true;
  var still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  target.scrollIntoView({behavior: still ? 'auto' : 'smooth', block: 'start'});
  target.focus({preventScroll: true});
  target.classList.add('pa-flash');
  setTimeout(function () { target.classList.remove('pa-flash'); }, 1800);
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


def _meta_line(publisher: str | None, published: str | None, source: str, extra: str = "") -> str:
    parts = [_e(publisher or "Unknown publisher"), _e(_date(published)), _e(source)]
    if extra:
        parts.append(extra)
    return f'<p class="pa-meta">{" · ".join(parts)}</p>'


def _link(url: str | None, title: str) -> str:
    safe = _safe_url(url)
    if not safe:
        return ""
    return (f'<p class="pa-meta"><a class="pa-link" href="{_e(safe)}" target="_blank" rel="noopener noreferrer">'
            f'Read the original<span class="pa-vh">: {_e(title)}</span></a> (opens in a new tab)</p>')


def _in_context(text: str, marked: list[tuple[int, int]], p_start: int | None = None,
                p_end: int | None = None) -> str:
    """The paragraph around the marked spans (a citation's pieces), those highlighted, trimmed to CONTEXT_CHARS
    either side, with whatever identifies a private person withheld there too (`redact.py`): the paragraph
    is shown, so it is checked."""
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
    withheld = redact.withheld(text, lo, hi, redact.private_names(text))
    cuts = sorted({lo, hi, *(x for span in marked for x in span), *(x for s in withheld for x in (s.start, s.end))})
    html = []
    for x, y in zip(cuts, cuts[1:], strict=False):
        hidden = next((s for s in withheld if s.start <= x < s.end), None)
        if hidden:
            if x == hidden.start:
                html.append(f'<span class="pa-withheld">{_e(redact.MARKERS[hidden.kind])}</span>')
        elif any(a <= x < b for a, b in marked):
            html.append(f"<mark>{_e(text[x:y])}</mark>")
        else:
            html.append(_e(text[x:y]))
    return f'<p class="pa-para">{lead}{"".join(html)}{tail}</p>'


def _answer_body(text: str, anchors: dict[int, str]) -> str:
    """The answer's plain text as paragraphs and lists, escaped, each known [n] a link to its source card."""

    def cite(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in anchors:
            return m.group(0)
        return f'<a class="pa-cite" href="#{anchors[n]}" aria-label="source {n}">[{n}]</a>'

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


def _anchor(turn: int, n: int) -> str:
    return f"pa-src-{turn}-{n}"


def render_turn(turn_no: int, turn: dict) -> str:
    question = f'<div class="pa-q"><span class="pa-who">You asked</span><p>{_e(turn["question"])}</p></div>'
    answer = turn.get("answer")
    if turn.get("error"):
        reply = (f'<div class="pa-box pa-error" role="alert"><h3>That didn\'t work</h3>'
                 f'<p>{_e(turn["error"])}</p></div>')
    elif answer is None:
        reply = ('<div class="pa-pending" role="status"><span class="pa-spinner" aria-hidden="true"></span>'
                 "Preparing an answer: searching the documents…</div>")
    elif answer["status"] == "answered":
        anchors = {c["n"]: _anchor(turn_no, c["n"]) for c in answer["citations"]}
        count = len(answer["citations"])
        reply = (f'<div class="pa-a pa-answered"><span class="pa-who">Answer from the documents</span>'
                 f'{_answer_body(answer["answer"], anchors)}'
                 f'<p class="pa-meta">{count} source{"s" if count != 1 else ""}, listed under Sources with the '
                 "quoted words highlighted. Select a number to go to it.</p></div>")
    else:
        label, why = STATUS_LABELS.get(answer["status"], (answer["status"], ""))
        css = "pa-refused" if answer["status"] == "refused" else "pa-noanswer"
        reason = REASON_LABELS.get(answer.get("reason") or "")  # no_answer's heading says it all
        paragraphs = "".join(f"<p>{_e(p)}</p>" for p in answer["answer"].split("\n\n") if p.strip())
        reply = (f'<div class="pa-box {css}" role="note" aria-label="{_e(label)}">'
                 f'<h3>{_e(label)}{": " + _e(reason) if reason else ""}</h3>'
                 f'<p class="pa-why">{_e(why)}</p>{paragraphs}</div>')
    return f'<div class="pa-turn">{question}{reply}</div>'


def render_conversation(turns: list[dict]) -> str:
    if not turns:
        body = ('<p class="pa-empty">Ask a question about the published documents, or choose an example below. '
                "You can ask follow-up questions: the conversation is taken into account.</p>")
    else:
        body = "".join(render_turn(i, t) for i, t in enumerate(turns))
    return f'<div class="pa-conversation" role="log" aria-live="polite" aria-label="Conversation">{body}</div>'


def render_sources(assistant: Assistant, turns: list[dict]) -> str:
    """The cited passages of every answer, newest answer first (older ones folded), each inside its paragraph."""
    groups = []
    answered = [(i, t) for i, t in enumerate(turns) if t.get("answer") and t["answer"]["citations"]]
    for rank, (turn_no, turn) in enumerate(reversed(answered)):
        cards = []
        by_number: dict[int, list[dict]] = {}
        for c in turn["answer"]["citations"]:  # a quote cut around withheld words comes in pieces
            by_number.setdefault(c["n"], []).append(c)
        for pieces in by_number.values():
            c = pieces[0]
            text = assistant.index.document_text(c["source"])
            if all(text[p["start"]:p["end"]] == p["quote"] for p in pieces):
                passage = _in_context(text, [(p["start"], p["end"]) for p in pieces])
            else:  # the document changed since the answer: show the quotation alone
                passage = f'<p class="pa-para"><mark>{_e(" … ".join(p["quote"] for p in pieces))}</mark></p>'
            cards.append(
                f'<article class="pa-card" id="{_anchor(turn_no, c["n"])}" tabindex="-1">'
                f'<h4><span class="pa-num">[{c["n"]}]</span>{_e(c["title"])}</h4>'
                f'{_meta_line(c["publisher"], c["published"], c["source"])}{passage}{_link(c["url"], c["title"])}'
                "</article>")
        title = f"Sources for “{_e(turn['question'])}”"
        if rank == 0:
            groups.append(f"<section><h3>{title}</h3>{''.join(cards)}</section>")
        else:
            groups.append(f"<details><summary>{title}</summary>{''.join(cards)}</details>")
    if not groups:
        groups.append('<p class="pa-empty">The passages behind each answer appear here, with the quoted words '
                      "highlighted in their paragraph.</p>")
    return f'<div class="pa-sources"><h2>Sources</h2>{"".join(groups)}</div>'


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


def render_quote(report: dict) -> str:
    """A `QuoteReport.to_dict()` as a labelled status box and one card per place in the documents."""
    exact, near = report["exact"], report["near"]
    if exact:
        places = f"{len(exact)} place{'s' if len(exact) != 1 else ''}"
        status = ('<div class="pa-box pa-found" role="status"><h3>Found word for word</h3>'
                  f"<p>The documents use this exact wording in {places}. Differences of case, spacing and "
                  "curly or straight quotes are ignored.</p></div>")
    elif near:
        status = ('<div class="pa-box pa-near" role="status"><h3>Not found word for word</h3>'
                  "<p>These are the closest wordings in the documents. "
                  '<del class="pa-legend-del">Struck through</del> = in your wording only; '
                  "<ins>underlined</ins> = what the document says.</p></div>")
    else:
        return ('<div class="pa-box pa-noanswer" role="status"><h3>Not found</h3><p>The documents don\'t use this '
                "wording or anything close to it.</p></div>")
    cards = []
    for m in exact + near:
        end = m["paragraph_start"] + len(m["paragraph"])
        context = _in_context(m["paragraph"], [(m["start"] - m["paragraph_start"], m["end"] - m["paragraph_start"])],
                              0, end - m["paragraph_start"])
        if m["diff"]:
            body = (f'{render_diff(m["diff"])}<p class="pa-legend">Where it appears:</p>{context}')
            extra = f"similarity {m['score']:.0f}%"
        else:
            body, extra = context, ""
        cards.append(f'<article class="pa-card"><h4>{_e(m["title"])}</h4>'
                     f'{_meta_line(m["publisher"], m["published"], m["source"], extra)}{body}'
                     f"{_link(m['url'], m['title'])}</article>")
    return f'<div class="pa-quote pa-diff-wrap">{status}{"".join(cards)}</div>'


def document_rows(records: list[dict]) -> list[list]:
    rows = [[r.get("title") or r["source"], r.get("publisher") or "", r.get("published") or "",
             DOC_TYPE_LABELS.get(r.get("doc_type") or "", r.get("doc_type") or ""), int(r.get("chunks") or 0),
             r["source"]] for r in records]
    return sorted(rows, key=lambda row: row[2], reverse=True)


def documents_summary(records: list[dict]) -> str:
    passages = sum(int(r.get("chunks") or 0) for r in records)
    return (f"The index holds **{len(records)} document{'s' if len(records) != 1 else ''}** "
            f"({passages:,} passages). Search the table, or select a column heading to sort by it.")


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
        color_accent_soft="#e8f1f8", border_color_accent="#1d70b8",
    )


def _history(turns: list[dict]) -> list[dict]:
    """The conversation so far, as `Assistant.ask` takes it (answered turns only)."""
    out = []
    for t in turns:
        if t.get("answer"):
            out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
    return out


def _api_history(history) -> list[dict]:
    import gradio as gr

    if not history:
        return []
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history):
        raise gr.Error('history must be a list of {"role": "user" | "assistant", "content": "..."} objects')
    return [{"role": m["role"], "content": m["content"]} for m in history]


def _run(fn, *args):
    """Call the Assistant; its errors reach the visitor or script as a clear message, never as a crash."""
    import gradio as gr

    try:
        return fn(*args)
    except AssistantError as exc:
        raise gr.Error(str(exc), title="Can't do that") from None
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
        return turns, render_conversation(turns), gr.update(value="", interactive=False), _inline_error("")

    def finish(turns: list[dict]):
        if not turns or turns[-1].get("answer") is not None or turns[-1].get("error"):
            return turns, gr.skip(), gr.skip(), gr.update(interactive=True)
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
        return turns, render_conversation(turns), render_sources(assistant, turns), gr.update(interactive=True)

    def clear():
        return [], render_conversation([]), render_sources(assistant, []), "", _inline_error("")

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

    def documents_view():
        records = assistant.documents()
        return document_rows(records), documents_summary(records)

    with gr.Blocks(title="Policy assistant: answers from published documents") as demo:
        gr.HTML('<header class="pa-header"><h1>Policy assistant</h1>'
                "<p>Answers from published police and government documents about the sex offender register, "
                "quoting the passages they come from, with who published them and when.</p>"
                '<p class="pa-safety">It never gives out information about individuals. If a child is in '
                "immediate danger, call 999.</p></header>", js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                turns = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        conversation = gr.HTML(render_conversation([]), elem_id="pa-conversation",
                                               js_on_load=None)
                        question = gr.Textbox(label="Your question", lines=1, max_lines=6,
                                              max_length=config.MAX_QUESTION_CHARS, elem_id="pa-question",
                                              placeholder="For example: how many people were on the register?",
                                              info="Press Enter or select Ask.")
                        ask_error = gr.HTML("", js_on_load=None, visible=False)
                        with gr.Row():
                            ask_button = gr.Button("Ask", variant="primary", elem_id="pa-ask", scale=2)
                            clear_button = gr.Button("Start again", variant="secondary", scale=1)
                        gr.Markdown("**Example questions**")
                        with gr.Column(elem_id="pa-examples"):
                            example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                    with gr.Column(scale=2, min_width=300, elem_id="pa-sources-col"):
                        sources = gr.HTML(render_sources(assistant, []), elem_id="pa-sources", js_on_load=None)

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
                    finish, turns, [turns, conversation, sources, question], api_visibility="private",
                    show_progress="hidden", trigger_mode="once").then(
                    None, js=show_answer, api_visibility="private")
            for button, text in zip(example_buttons, EXAMPLES, strict=True):
                button.click(lambda turns, text=text: start(text, turns), turns,
                             [turns, conversation, question, ask_error], queue=False, api_visibility="private",
                             show_progress="hidden").then(
                    finish, turns, [turns, conversation, sources, question], api_visibility="private",
                    show_progress="hidden").then(None, js=show_answer, api_visibility="private")
            clear_button.click(clear, None, [turns, conversation, sources, question, ask_error], queue=False,
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
                rows, summary = documents_view()
                doc_summary = gr.Markdown(summary)
                table = gr.Dataframe(value=rows, headers=["Title", "Publisher", "Published", "Type", "Passages",
                                                          "File"],
                                     datatype=["str", "str", "str", "str", "number", "str"], interactive=False,
                                     wrap=True, show_search="search", label="Documents in the index",
                                     column_widths=["30%", "20%", "11%", "10%", "9%", "20%"],
                                     elem_id="pa-documents", max_height=640)
                documents_tab.select(documents_view, None, [table, doc_summary], api_visibility="private",
                                     show_progress="hidden")
                if allow_uploads:  # off unless `serve --allow-uploads`: a public page must not take documents
                    files = gr.File(label="Add documents (.md, .txt, .html, .pdf)", file_count="multiple",
                                    file_types=list(config.SUPPORTED_SUFFIXES))
                    upload_report = gr.Markdown()

                    def add_documents(paths):
                        try:
                            report = assistant.ingest(paths or [])
                        except AssistantError as exc:
                            return f"Nothing added: {exc}", *documents_view()
                        lines = [f"Added {len(report.added)}, updated {len(report.updated)}, "
                                 f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}."]
                        lines += [f"- skipped {s.source}: {s.reason}" for s in report.skipped]
                        return "\n".join(lines), *documents_view()

                    files.upload(add_documents, files, [upload_report, table, doc_summary], api_visibility="private")

        gr.api(ask_api, api_name="ask")
        gr.api(quote_api, api_name="quote")
        gr.api(documents_api, api_name="documents")
    return demo


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
    demo.launch(server_name=host, server_port=port, show_error=False, theme=_theme(), css=CSS, head=HEAD,
                footer_links=["api"], run_history=False, enable_monitoring=False, ssr_mode=False, pwa=False,
                mcp_server=False)
