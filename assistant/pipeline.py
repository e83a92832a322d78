"""`ask()` as an ordered list of small steps over one context, in the manner of GOV.UK Chat.

Reading `STEPS` tells the whole story: check the input, guard it, understand it, retrieve, compose, guard
the output. Any step may stop the pipeline by returning an `Answer` (a refusal, a "the documents don't say");
otherwise it fills in the part of the context it owns and returns None.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from . import config, guard, retrieval
from .answer import Answer, compose
from .errors import AssistantError
from .index import Index, LexicalIndex
from .question import Question
from .retrieval import Hit


@dataclass
class Context:
    question: str
    history: list[dict]
    index: Index
    parsed: Question | None = None
    lexical: LexicalIndex | None = None
    hits: list[Hit] = field(default_factory=list)
    answer: Answer | None = None
    timings: dict[str, float] = field(default_factory=dict)


def check_input(ctx: Context) -> None:
    """Reject what cannot be a question with a clear message (the caller shows it; nothing crashes)."""
    text = " ".join(_readable(ctx.question or "").split())
    if not text:
        raise AssistantError("the question is empty: type a question about the documents")
    if len(ctx.question) > config.MAX_QUESTION_CHARS:
        raise AssistantError(f"the question is {len(ctx.question):,} characters long; the limit is "
                             f"{config.MAX_QUESTION_CHARS:,}. Ask about one thing at a time.")
    ctx.question = text
    ctx.history = [
        {"role": t.get("role"), "content": _readable(str(t.get("content", ""))[:config.MAX_QUESTION_CHARS])}
        for t in (ctx.history or [])[-config.MAX_HISTORY_TURNS:]
        if isinstance(t, dict) and t.get("role") in ("user", "assistant")
    ]


def _readable(text: str) -> str:
    """Without control and format characters or unpaired surrogates (which no encoder can read): none of them
    carries a word."""
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs") or ch in "\n\t")
    return unicodedata.normalize("NFC", text)


def guard_question(ctx: Context) -> Answer | None:
    decision = guard.check_question(ctx.question, ctx.history)
    return guard.refusal(ctx.question, decision) if decision.refuse else None


def understand(ctx: Context) -> None:
    ctx.parsed = Question.parse(ctx.question, _answered_turns(ctx.history))


def _answered_turns(history: list[dict]) -> list[dict]:
    """The conversation a follow-up may lean on: without refused questions and their refusals (the guard has
    already read them), so that "how many were there in 2024?" after a refused question about a neighbour is
    not joined to the neighbour."""
    out: list[dict] = []
    for turn in history:
        if turn["role"] == "assistant" and turn["content"].startswith(guard.REFUSAL_TEXT[:40]):
            if out and out[-1]["role"] == "user":
                out.pop()
            continue
        out.append(turn)
    return out


def retrieve(ctx: Context) -> None:
    ctx.lexical = ctx.index.lexical()  # once per question: each look-up asks Chroma whether it is current
    if not ctx.lexical.ids:
        raise AssistantError("the index is empty: add documents first with `policy-assistant ingest PATH`")
    ctx.hits = retrieval.with_blocks(ctx.index, retrieval.search(ctx.index, ctx.lexical, ctx.parsed.resolved))


def compose_answer(ctx: Context) -> Answer | None:
    ctx.answer = compose(ctx.index, ctx.parsed, ctx.hits, ctx.lexical)
    return ctx.answer if ctx.answer.status != "answered" else None


def guard_answer(ctx: Context) -> Answer | None:
    return guard.check_answer(ctx.answer, ctx.index.document_text)


STEPS: list[Callable[[Context], Answer | None]] = [
    check_input, guard_question, understand, retrieve, compose_answer, guard_answer,
]


def run(question: str, history: list[dict] | None, index: Index) -> Answer:
    started = time.perf_counter()
    ctx = Context(question=question, history=history or [], index=index)
    result: Answer | None = None
    for step in STEPS:
        t0 = time.perf_counter()
        result = step(ctx)
        ctx.timings[step.__name__] = (time.perf_counter() - t0) * 1000
        if result is not None:
            break
    answer = result or ctx.answer
    answer.question = ctx.question
    answer.steps = ctx.timings
    answer.latency_ms = (time.perf_counter() - started) * 1000
    return answer
