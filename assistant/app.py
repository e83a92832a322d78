"""The Gradio page: a thin layer over `Assistant`. Every answer, refusal and quote check comes from the same
`Assistant` methods the CLI calls; this file only lays them out. Document text is always HTML-escaped.
"""

from __future__ import annotations

import html
import re

from . import config
from .answer import Answer
from .api import Assistant

EXAMPLES = [
    "How many registered sex offenders were there at 31 March 2024?",
    "What must a registered sex offender tell the police before travelling abroad?",
    "What is MAPPA?",
    "How do I apply under Sarah's Law?",
]
STATUS_HEADINGS = {
    "answered": "",
    "refused": "**I can't help with this request.**\n\n",
    "no_answer": "**The documents don't say.**\n\n",
}
CSS = """
.cite-card { border-left: 4px solid #1d70b8; padding: 0.5rem 0.75rem; margin-bottom: 0.75rem; background: #f3f2f1; }
.cite-card h3 { font-size: 1rem; margin: 0 0 0.25rem 0; }
.cite-meta { color: #505a5f; font-size: 0.9rem; margin-bottom: 0.4rem; }
.cite-card mark { background: #ffdd00; color: #0b0c0c; }
.diff-del { background: #f6d7d2; text-decoration: line-through; }
.diff-ins { background: #cce2d8; }
"""


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _date(published: str | None) -> str:
    return published or "undated"


def render_sources(assistant: Assistant, answer: Answer) -> str:
    """Each cited passage inside its paragraph, the cited words highlighted, with title, publisher, date."""
    if not answer.citations:
        return "<p>No sources: this reply does not quote the documents.</p>"
    cards = []
    for c in answer.citations:
        text = assistant.index.document_text(c.source)
        p_start = text.rfind("\n\n", 0, c.start)
        p_start = 0 if p_start < 0 else p_start + 2
        p_end = text.find("\n\n", c.end)
        p_end = len(text) if p_end < 0 else p_end
        before, quote, after = text[p_start:c.start], text[c.start:c.end], text[c.end:p_end]
        link = f' · <a href="{_escape(c.url)}" rel="noopener">link</a>' if c.url else ""
        cards.append(
            f'<div class="cite-card" id="cite-{c.n}"><h3>[{c.n}] {_escape(c.title)}</h3>'
            f'<div class="cite-meta">{_escape(c.publisher or "Unknown publisher")} · {_date(c.published)} · '
            f'{_escape(c.source)}{link}</div>'
            f"<p>{_escape(before)}<mark>{_escape(quote)}</mark>{_escape(after)}</p></div>"
        )
    return "\n".join(cards)


def render_answer(answer: Answer) -> str:
    body = re.sub(r"\[(\d+)\]", r"[\1](#cite-\1)", answer.answer) if answer.status == "answered" else answer.answer
    return STATUS_HEADINGS.get(answer.status, "") + body


def render_quote(report) -> str:
    if report.exact:
        head = f"<p><strong>Found word for word</strong> in {len(report.exact)} place(s).</p>"
    elif report.near:
        head = ("<p><strong>Not found word for word.</strong> Closest wordings: "
                '<span class="diff-del">struck out</span> = only in your text, '
                '<span class="diff-ins">green</span> = what the document says.</p>')
    else:
        return "<p><strong>Not found</strong>, and nothing close: the documents do not use this wording.</p>"
    cards = []
    for m in report.exact + report.near:
        if m.diff:
            classes = {"equal": "", "delete": "diff-del", "insert": "diff-ins"}
            shown = " ".join(f'<span class="{classes[d["op"]]}">{_escape(d["text"])}</span>' for d in m.diff)
        else:
            offset = m.start - m.paragraph_start
            para = m.paragraph
            shown = (_escape(para[:offset]) + "<mark>" + _escape(m.quote) + "</mark>"
                     + _escape(para[offset + len(m.quote):]))
        cards.append(f'<div class="cite-card"><h3>{_escape(m.title)}</h3><div class="cite-meta">'
                     f'{_escape(m.publisher or "Unknown publisher")} · {_date(m.published)} · {_escape(m.source)}'
                     f"{' · similarity ' + format(m.score, '.0f') + '%' if m.diff else ''}</div><p>{shown}</p></div>")
    return head + "\n".join(cards)


def build(assistant: Assistant, allow_uploads: bool = False):
    import gradio as gr

    def ask_api(question: str, history: list[dict] | None = None) -> dict:
        """The Answer object of the contract, for scripts (gradio_client)."""
        return assistant.ask(question, history or []).to_dict()

    def quote_api(text: str) -> dict:
        return assistant.quote(text).to_dict()

    def chat(message: str, messages: list[dict]):
        history = [{"role": m["role"], "content": _plain_content(m["content"])} for m in messages or []]
        try:
            answer = assistant.ask(message, history)
        except Exception as exc:  # shown to the user; the server keeps serving
            messages = [*messages, {"role": "user", "content": message},
                        {"role": "assistant", "content": f"Sorry, that didn't work: {exc}"}]
            return messages, "", "<p></p>"
        messages = [*messages, {"role": "user", "content": message},
                    {"role": "assistant", "content": render_answer(answer)}]
        return messages, "", render_sources(assistant, answer)

    def check_quote(text: str) -> str:
        try:
            return render_quote(assistant.quote(text))
        except Exception as exc:
            return f"<p>{_escape(str(exc))}</p>"

    def documents_table():
        rows = [[d.get("title", ""), d.get("publisher") or "", d.get("published") or "", d.get("doc_type") or "",
                 d.get("chunks", 0), d["source"]] for d in assistant.documents()]
        return rows

    with gr.Blocks(title="Policy assistant") as demo:
        gr.Markdown("# Policy assistant\nAnswers from published police and government documents, with the "
                    "passages they come from. It never gives out information about individuals.")
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Conversation", height=480)
                    question = gr.Textbox(label="Your question", placeholder="Ask about the documents…",
                                          max_length=config.MAX_QUESTION_CHARS)
                    ask_button = gr.Button("Ask", variant="primary")
                    gr.Examples(EXAMPLES, inputs=question, label="Example questions")
                with gr.Column(scale=2):
                    gr.Markdown("## Sources")
                    sources = gr.HTML("<p>The passages behind each answer appear here.</p>")
            ask_button.click(chat, [question, chatbot], [chatbot, question, sources], api_visibility="private")
            question.submit(chat, [question, chatbot], [chatbot, question, sources], api_visibility="private")
        with gr.Tab("Check a press line"):
            wording = gr.Textbox(label="Wording to check", lines=3, placeholder="Paste the sentence as you have it")
            check_button = gr.Button("Check wording", variant="primary")
            quote_out = gr.HTML()
            check_button.click(check_quote, wording, quote_out, api_visibility="private")
        with gr.Tab("Documents"):
            gr.Markdown("What the answers can draw on. Click a column heading to sort.")
            table = gr.Dataframe(headers=["Title", "Publisher", "Published", "Type", "Passages", "File"],
                                 value=documents_table, interactive=False, wrap=True)
            if allow_uploads:  # off unless `serve --allow-uploads`: a public page must not take documents
                files = gr.File(label="Add documents", file_count="multiple",
                                file_types=list(config.SUPPORTED_SUFFIXES))
                upload_report = gr.Markdown()

                def add_documents(paths):
                    report = assistant.ingest(paths or [])
                    lines = [f"Added {len(report.added)}, updated {len(report.updated)}, "
                             f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}."]
                    lines += [f"- skipped {s.source}: {s.reason}" for s in report.skipped]
                    return "\n".join(lines), documents_table()

                files.upload(add_documents, files, [upload_report, table], api_visibility="private")
        gr.api(ask_api, api_name="ask")
        gr.api(quote_api, api_name="quote")
    return demo


def _plain_content(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content)
    return str(content)


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, allow_uploads: bool = False) -> None:
    config.apply_offline_env()
    demo = build(assistant, allow_uploads=allow_uploads)
    demo.queue(default_concurrency_limit=2, max_size=64)  # a burst waits in line instead of failing
    demo.launch(server_name=host, server_port=port, show_error=False, css=CSS, footer_links=["api"])
