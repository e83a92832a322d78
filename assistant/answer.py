"""Stage 6: hits -> an extractive `Answer`, faithful by construction.

The answer is made of sentences (or table rows) copied from the documents, each introduced by who published
it and when, each followed by `[n]` tied to a citation whose `quote` is exactly `text[start:end]`. Nothing is
paraphrased, so no figure or wording can appear that the documents do not hold.

Choosing is the work. Every sentence of the best passages is scored for how much of the question it covers
(the hybrid score: weighted word coverage and sentence similarity) and checked for whether it can be the
answer at all (a "how many" question answered without a count, a 2019 question answered with an undated
figure, a question about one area answered from a document about another). The trained reader (`reader.py`)
reads the question with each candidate left, and its score beside the hybrid's ranks them. Whether the best
answers at all is a learned decision of its own (`reader.Answerability`); when it does not, or no candidate is
left, the answer is `no_answer`, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from . import config
from .chunking import split_units
from .index import Index, LexicalIndex, normalise_for_search, tokenize
from .question import Question, figures, overlaps, period_spans, periods
from .reader import load_answerability, load_reader
from .retrieval import Hit

DOC_TYPE_LABELS = {
    "press_release": "press release", "guidance": "guidance", "statistics": "statistics", "faq": "FAQ",
    "statement": "statement", "news": "news",
}
NO_ANSWER_TEXT = ("The documents I can search don't answer this. Rather than guess, I'd suggest checking the "
                  "publisher's website or asking them directly.")
# The hybrid score is word coverage (0..1, plus small nudges) + SEMANTIC_WEIGHT x sentence similarity +
# HEADING_WEIGHT x similarity of the section's heading; the trained reader weighs it beside its own score, and
# the answerability decision reads it. The weights were set on ../shared/eval/dev-cases.yaml,
# tests/corpus_cases.yaml and the held-out sets in tests/holdout/ together.
RERANK = 12  # candidates re-scored by sentence similarity and read by the reader
SEMANTIC_WEIGHT = 0.6
HEADING_WEIGHT = 0.3
NOT_NARROWED = 0.2
SAME_DOCUMENT_SHARE = 0.9
RUNNER_UP = 0.85  # a runner-up's hybrid score, as a share of the best's, to be shown beside it
RUNNER_UP_RANK = 0.5  # and, for an explanation, its reader score: a sentence that only shares its words is off
LIST_ANSWER_CHARS = 700  # a list this short is quoted whole when the question asks what its lead-in says
LEAD_WORDS = 16  # a figure's lead line ("2,154 registered sex offenders at 31 March 2024") is at most this long


@dataclass
class Citation:
    n: int
    source: str
    title: str
    publisher: str | None
    published: str | None
    url: str | None
    quote: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    status: str  # answered | refused | no_answer
    answer: str
    citations: list[Citation] = field(default_factory=list)
    reason: str | None = None
    latency_ms: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # milliseconds per pipeline step

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "reason": self.reason,
            "latency_ms": round(self.latency_ms, 1),
        }


@dataclass
class Unit:
    """One candidate sentence or table row, with what is needed to judge and cite it."""

    hit: Hit
    start: int  # offsets in the document text
    end: int
    text: str
    header: str = ""  # a table row's column header, or a list item's lead-in ("You must tell us ... if:")
    header_start: int | None = None
    score: float = 0.0  # the hybrid score
    rank: float = 0.0  # the trained reader's, 0 to 1, which orders the candidates
    logit: float = 0.0  # the reader model's own score, before the hybrid's is added
    similarity: float = 0.0  # of the question and the sentence, part of the hybrid score
    checked: bool = True  # passes the hard checks (a count of the right thing, for the right period and place)

    @property
    def chunk(self):
        return self.hit.chunk


def no_answer(question: str) -> Answer:
    return Answer(question=question, status="no_answer", answer=NO_ANSWER_TEXT, reason="not_in_documents")


# --- choosing ------------------------------------------------------------------------------------------

def compose(index: Index, q: Question, hits: list[Hit], lexical: LexicalIndex) -> Answer:
    """`lexical` is the index's current BM25: its IDF weighs the question's words by how rare they are. The
    trained reader orders the candidates; the learned answerability decision (`reader.Answerability`) says
    whether the best of them answers the question at all."""
    ranked = read(index, q, hits, lexical)
    if not ranked or not load_answerability().answers(answerability_features(q, ranked, index, lexical)):
        return no_answer(q.text)
    return _render(index, q, _choose(q, ranked))


def read(index: Index, q: Question, hits: list[Hit], lexical: LexicalIndex) -> list[Unit]:
    """The candidates that pass the hard checks, ordered by the trained reader (`reader.py`): its score beside
    the hybrid's, with the weight chosen on validation."""
    ranked = candidates(index, q, hits, lexical)
    if not ranked:
        return []
    reader = load_reader()
    for u, m in zip(ranked, reader.scores(q.resolved, [reader_passage(u) for u in ranked]), strict=True):
        u.logit = m
        # on one scale, 0 to 1, for the citations; how close a runner-up must be stays the hybrid's judgement
        u.rank = 1.0 / (1.0 + math.exp(-max(min(m + reader.hybrid_weight * u.score, 50.0), -50.0)))
    ranked.sort(key=lambda u: u.rank, reverse=True)
    return ranked


def answerability_features(q: Question, ranked: list[Unit], index: Index, lexical: LexicalIndex) -> dict[str, float]:
    """What the answerability decision reads about the reader's best candidate: how sure the reader is and by
    how much it prefers it, and whether the question's own words (beyond "how many", places and dates, which the
    hard checks already compare) are in the sentence, its passage or at least its document. A near miss ("how
    many of them are women?" where only the total is published) is answered by a sentence that covers
    everything but the one word that matters."""
    best = ranked[0]
    chunk = best.chunk
    own = set(_stems(" ".join((best.text, best.header, chunk.context, " ".join(chunk.headings[-1:])))))
    passage = own | set(_stems(" ".join((chunk.text, " ".join(chunk.headings), chunk.title))))
    document = passage | _stem_set(index.document_text(chunk.source, chunk.doc_hash))
    terms = {t: w for t, w in _weighted_terms(q, lexical.idf).items() if t not in _COUNTING and not t.isdigit()}
    total = sum(terms.values())

    def covered(words: set[str]) -> float:
        return sum(w for t, w in terms.items() if t in words) / total if total else 1.0

    rarest = math.log(1 + (len(lexical.ids) + 0.5) / 0.5)  # the IDF of a word no passage has
    absent = [lexical.idf.get(t, rarest) / rarest for t in terms if t not in document]
    narrowing = _narrowing_terms(q)
    second = ranked[1].logit if len(ranked) > 1 else best.logit - 5.0
    return {
        "reader": best.logit,
        "reader_margin": min(best.logit - second, 5.0),
        "hybrid": best.score,
        "hybrid_best": max(u.score for u in ranked),
        "similarity": best.similarity,
        "candidates": math.log1p(len(ranked)),
        "covered_sentence": covered(own),
        "covered_passage": covered(passage),
        "covered_document": covered(document),
        "rarest_absent": max(absent, default=0.0),
        "words_absent": float(min(len(absent), 3)),
        "words_unknown": float(min(sum(t not in lexical.idf for t in terms), 3)),
        "narrowed": float(not narrowing or _narrowed(narrowing, best)),
        "follow_up": float(q.resolved != q.text),
        "period": float(bool(q.periods)),
        "place": float(bool(q.places)),
        **{f"wants_{kind}": float(q.wants == kind) for kind in ("count", "rate", "duration", "wording", "open")},
    }


def candidates(index: Index, q: Question, hits: list[Hit], lexical: LexicalIndex, limit: int = RERANK,
               checked_only: bool = True) -> list[Unit]:
    """The units of the hits, best first by the hybrid score: the `limit` best by word coverage, re-scored with
    sentence similarity. `checked_only` keeps those that pass the hard checks; otherwise each says whether it
    does (the reader's trainer sees both)."""
    units = [u for hit in hits for u in _units(index, hit, whole_paragraphs=q.wants == "wording")]
    terms = _weighted_terms(q, lexical.idf)
    for u in units:
        u.score = _lexical_score(q, u, terms)
    narrowing = _narrowing_terms(q)
    for u in units:
        if narrowing and not _narrowed(narrowing, u):
            # A figure of the same population but not of what was asked ranks lower; one that does not even
            # count the thing asked about ("66 people charged" for "how many travel notifications") is out, and
            # so is a share that never names what it is a share of ("95 per cent had met every requirement"
            # for "what proportion are women").
            off_measure = q.measure and not _counts_the_measure(q, u)
            u.score = -1.0 if off_measure or q.wants == "rate" else u.score - NOT_NARROWED
        u.checked = u.score > 0 and _acceptable(q, u, index, lexical)
    ranked = sorted((u for u in units if u.checked or not checked_only), key=lambda u: u.score, reverse=True)[:limit]
    _add_semantic_score(index, q, ranked)
    ranked.sort(key=lambda u: u.score, reverse=True)
    return ranked


def _add_semantic_score(index: Index, q: Question, units: list[Unit]) -> None:
    """Sentence-level similarity catches what word overlap misses ("moves house" / "change your home
    address"); it costs one small batch of short texts per question."""
    if not units:
        return
    whole = index.encoder.query_vector(q.resolved)
    question = whole
    if q.focus and q.focus != q.text:  # the scene-setting should not outweigh what is asked
        question = (whole + index.encoder.query_vector(q.focus)) / 2
    # A section's heading says what the section answers ("If you do not comply", "Who can apply?"): how close
    # it is to the question counts for every sentence beneath it. One batch for sentences and headings.
    headings = list(dict.fromkeys(_section_name(u) for u in units))
    vectors = index.encoder.passage_vectors([_unit_search_text(u) for u in units] + headings)
    by_heading = dict(zip(headings, vectors[len(units):], strict=True))
    for u, vector in zip(units, vectors[:len(units)], strict=True):
        heading = by_heading[_section_name(u)]
        u.similarity = float(question @ vector)
        u.score += SEMANTIC_WEIGHT * u.similarity + HEADING_WEIGHT * float(whole @ heading)


def reader_passage(u: Unit) -> str:
    """What the trained reader reads of a candidate: the unit as it would be shown (a row with its header, an
    item with its lead-in), then who says it and where it sits: the "X said:" line before a quotation, heading,
    document title, publisher and date. The reader is cut from the end, so the unit itself is read first. (The
    shipped model was trained without the speaker line; read with it, it answers two more wording questions on
    validation, two on the developer set and one on a held-out set, and is flat on the blind sets.)"""
    c = u.chunk
    said = c.context.splitlines()[-1] if c.kind == "paragraph" and c.context else ""  # "X said:" before a quote
    where = [said, " > ".join(c.headings[-2:]), c.title, c.publisher or "", c.published or ""]
    return _unit_text(u) + "\n" + " | ".join(p for p in dict.fromkeys(where) if p)


def _section_name(u: Unit) -> str:
    return u.chunk.headings[-1] if u.chunk.headings else u.chunk.title


def _unit_search_text(u: Unit) -> str:
    heading = u.chunk.headings[-1] if u.chunk.headings else ""
    return "\n".join(_plain(p) for p in dict.fromkeys((heading, u.chunk.context, u.header, u.text)) if p)


def _units(index: Index, hit: Hit, whole_paragraphs: bool = False) -> list[Unit]:
    """The sentences and rows of a hit; with `whole_paragraphs`, a paragraph is one unit (a quotation is
    judged by all it says, not by its best sentence)."""
    chunk = hit.chunk
    whole = whole_paragraphs and chunk.kind == "paragraph" and len(chunk.text) <= config.CHUNK_MAX_CHARS
    spans = [(0, len(chunk.text))] if whole else split_units(chunk.text, 0, len(chunk.text), chunk.kind)
    out = []
    header, header_start = "", None
    context_line = chunk.context.splitlines()[-1] if chunk.context else ""
    if chunk.kind == "list" and not context_line and chunk.headings:
        context_line = chunk.headings[-1]  # a list straight under "Changes you must report within 3 days"
    if chunk.kind == "list" and context_line or chunk.kind == "table" and context_line.lstrip().startswith("|"):
        # A table row needs its column header, a list item its lead-in ("You must tell us within 3 days if:");
        # a table's first chunk holds its header row itself (its context is the line before the table).
        header = context_line
        found = index.document_text(chunk.source, chunk.doc_hash).rfind(header, 0, chunk.start)
        header_start = found if found >= 0 else None
    elif chunk.kind == "table" and spans:
        header, header_start = chunk.text[spans[0][0]:spans[0][1]], chunk.start + spans[0][0]
        spans = spans[1:]
    for s, e in spans:
        out.append(Unit(hit, chunk.start + s, chunk.start + e, chunk.text[s:e], header, header_start))
    return out


def _stems(text: str) -> list[str]:
    return list(dict.fromkeys(tokenize(text)))


@lru_cache(maxsize=64)
def _stem_set(text: str) -> frozenset[str]:
    """A document's words, once per document text: the answerability decision asks which it lacks."""
    return frozenset(tokenize(text))


def _weighted_terms(q: Question, idf: dict[str, float]) -> dict[str, float]:
    """IDF weight of each question word. The words of the question proper count fully; scene-setting ("my
    brother is on the register", "if the police tell me ...") and words a follow-up borrowed from earlier
    turns count for less: they say what the question is about, not what it asks."""
    asked = _stems(q.focus or q.text)
    scene = [t for t in _stems(q.text) if t not in asked]
    borrowed = [t for t in _stems(q.resolved) if t not in asked and t not in scene]
    return {**{t: 0.5 * idf.get(t, 1.0) for t in borrowed}, **{t: 0.6 * idf.get(t, 1.0) for t in scene},
            **{t: idf.get(t, 1.0) for t in asked}}


def _lexical_score(q: Question, u: Unit, terms: dict[str, float]) -> float:
    """Share of the question's (IDF-weighted) words that the sentence contains, counting a table row's or
    list item's heading and header as its own words (they are what it means), the rest of its surroundings
    at a discount; nudged by the kind of answer wanted."""
    if not terms:
        return 0.0
    heading = u.chunk.headings[-1] if u.chunk.headings else ""
    if u.chunk.kind in ("table", "list"):
        own_text = " ".join((u.text, u.header, heading, u.chunk.context))
    else:  # a quote's lead-in names its speaker: part of what the sentence says
        own_text = " ".join((u.text, u.chunk.context))
    own, section = set(_stems(own_text)), set(_stems(heading))
    around = set(_stems(" ".join((u.chunk.title, " ".join(u.chunk.headings)))))
    total = sum(terms.values())
    covered = sum(w * (1.0 if t in own else 0.7 if t in section else 0.3 if t in around else 0.0)
                  for t, w in terms.items())
    score = covered / total + 0.1 * _bigrams(q.resolved, own_text)
    figs = figures(own_text)
    if q.wants in ("count", "rate", "duration") and any(f.kind == q.wants for f in figs):
        score += 0.1
    score += _agreement(q, u, figs)
    if q.wants == "wording" and re.search(r"[\"“”]", u.text):
        score += 0.1
    if q.subject and _defines(q.subject, u.text):
        score += 0.25
    score += _faq_match(q, heading) + _intent_match(q, u.text)
    if u.text.rstrip().endswith((":", "?")):
        score -= 0.3  # a lead-in ("X said:") or a question introduces an answer, it is not one
    return score


# Kinds of question whose answers share their words, whatever the topic: "what happens if ..." is answered by a
# consequence ("is a criminal offence"), "what should I do ..." by a route ("call 101"), "why ..." by a reason.
_INTENTS = [
    (re.compile(r"\bwhat (?:actually |really )?happens\b|\bwhat (?:will|would|could) happen\b|\bconsequences?\b"
                r"|\bpenalt(?:y|ies)\b|\bpunish\w*|\bin trouble\b|\bbreaking the law\b"
                r"|\b(?:is|be) it (?:a crime|illegal)\b", re.I),
     re.compile(r"\b(?:offence|crime|penalt|prison|imprison|jail|arrest|charg|prosecut|fined|court|convict)\w*", re.I)),
    (re.compile(r"\bwhat (?:should|can|do|must) (?:i|we|parents?|people|you)\b[^?]{0,40}\bdo\b"
                r"|\bwho (?:should|do|can) (?:i|we) (?:contact|call|tell|ring|speak to)\b"
                r"|\bwhere (?:can|do|should) (?:i|we) (?:go|report|turn)\b"
                r"|\bshould (?:i|we) (?:apply|call|ring|report|contact|put in|make|go|tell)\b", re.I),
     re.compile(r"\b(?:call|ring|contact|report|tell us|speak to|talk to|apply|dial)\b|\b(?:101|999)\b", re.I)),
    # "why don't the police publish names?" is answered by a reason
    (re.compile(r"^\W*why\b|\bwhy (?:do|does|don't|doesn't|won't|can't|aren't|isn't|is|are|not)\b"
                r"|\bwhat is the reason\b", re.I),
     re.compile(r"\b(?:because|so that|in order to|otherwise|reasons?|could (?:lead|put|drive|identify|mean)|"
                r"would (?:lead|put|drive|identify|mean)|harder|safer|at risk)\b", re.I)),
]
INTENT_BONUS = 0.25


def _intent_match(q: Question, text: str) -> float:
    return INTENT_BONUS if any(ask.search(q.text) and answer.search(text) for ask, answer in _INTENTS) else 0.0


_WH = re.compile(r"^\W*(who|what|when|where|why|how|can|is|are|do|does|will|should)\b", re.I)


def _faq_match(q: Question, heading: str) -> float:
    """In an FAQ the heading is a question: when it asks what the user asks ("Who can apply?"), the answer
    is the text beneath it."""
    if not heading.rstrip().endswith("?"):
        return 0.0
    asked = set(_stems(q.focus or q.text))
    words = set(_stems(heading))
    if not words:
        return 0.0
    overlap = len(words & asked) / len(words)
    mine, theirs = _WH.match(q.focus or q.text), _WH.match(heading)
    same_kind = bool(mine and theirs and mine.group(1).lower() == theirs.group(1).lower())
    return 0.3 * overlap * (1.0 if same_kind else 0.5)


def _defines(subject: str, text: str) -> bool:
    """'Operation Keystone, a week of action ...', 'MAPPA are the framework ...', 'X means ...'."""
    return bool(re.search(rf"{re.escape(subject)}\)?\s*(?:,|:|is|are|was|were|means|refers to|[–—-])\s+"
                          rf"(?:a|an|the|one|when|how|what|\w+ by which)\b", text, re.I))


GENERIC_COUNTERS = {"case", "time", "instanc", "occas", "peopl", "person", "individu"}
_TOTAL = re.compile(r"\b(total|all|overall|altogether|combined)\b", re.I)


def _agreement(q: Question, u: Unit, figs) -> float:
    """Small, explainable nudges for figure questions: the figure counts the thing asked about; its period
    fits the one asked about as tightly as possible; a "total" question prefers a table's total row."""
    bonus = 0.0
    if q.wants == "count" and q.measure:
        head = _stems(q.measure)[-1:]
        nouns = {n for f in figs if f.kind == "count" and f.noun for n in _stems(f.noun)[-1:]}
        if u.chunk.kind == "table":  # a table's figures count what its caption says
            nouns |= set(_stems(" ".join((u.header, " ".join(u.chunk.headings[-1:])))))
        if head and any(same_measure(head[0], n) for n in nouns):
            bonus += 0.15
        elif nouns and not nouns & GENERIC_COUNTERS:
            bonus -= 0.15  # '268 notifications' does not answer 'how many offenders'
        elif head and head[0] not in _stems(" ".join((u.text, u.header))):
            bonus -= 0.1  # '120 people were managed at level 2' under a heading that names the register
    if q.periods:
        fits = [_tightness(a, b) for a in q.periods for b in _unit_periods(u)[0]]
        bonus += 0.2 * max(fits, default=0.0)
    if u.header and _TOTAL.search(q.text) and _TOTAL.search(_plain_cells(u.text)[0] if u.text else ""):
        bonus += 0.15
    return bonus


def _tightness(a, b) -> float:
    """Overlap of two periods as a share of the longer one: 1.0 when they are the same period."""
    overlap = (min(a[1], b[1]) - max(a[0], b[0])).days + 1
    longest = max((a[1] - a[0]).days, (b[1] - b[0]).days) + 1
    return max(overlap, 0) / longest


def _bigrams(question: str, text: str) -> float:
    qs = tokenize(question)
    ts = tokenize(text)
    pairs = set(zip(qs, qs[1:], strict=False))
    if not pairs:
        return 0.0
    return len(pairs & set(zip(ts, ts[1:], strict=False))) / len(pairs)


def _acceptable(q: Question, u: Unit, index: Index, lexical: LexicalIndex) -> bool:
    """Hard checks: a sentence that fails one of these cannot answer the question, however similar it is."""
    own = u.text if u.chunk.kind == "paragraph" else " ".join((u.text, u.header, u.chunk.context,
                                                                  " ".join(u.chunk.headings[-1:])))
    if q.wants in ("count", "rate", "duration") and not any(f.kind == q.wants for f in figures(own)):
        return False
    if q.wants == "count" and not _measure_present(q, u):
        return False
    offered, stated = _unit_periods(u)
    if q.periods and not overlaps(q.periods, offered, strict=stated and q.wants in ("count", "rate")):
        return False
    return not (q.wants in ("count", "rate", "duration", "wording") and not _names_present(q, u, index, lexical))


# Words that say a question wants a figure, or name the register's population, and so narrow nothing.
_COUNTING = frozenset(tokenize(
    "how many much number numbers total figure figures count proportion percentage share rate rates per cent "
    "100000 resident residents population head people person persons individuals sex sexual offender offenders "
    "register registered there get got receive received make made have had deal dealt handle handled record "
    "recorded report reported see saw come came take took give given live lived living area force year years "
    "month months last this current latest end start during period time times overall altogether whole "
    "january february march april may june july august september october november december "
    "before after between under over across within around since until ago earlier later previous next same "
    "news report release statement document documents publish published say said says according "
    "county city town region country nation local national"))


def _narrowing_terms(q: Question) -> set[str]:
    """What a figure question narrows its count to ("high risk", "women", "charged with breaching")."""
    if q.wants not in ("count", "rate"):
        return set()
    drop = _COUNTING | set(_stems(q.measure)) | {t for name in q.names for t in _stems(name)}
    return {t for t in _stems(q.focus or q.text) if t not in drop and not any(ch.isdigit() for ch in t)}


def _narrowed(narrowing: set[str], u: Unit) -> bool:
    """Whether a figure mentions what the question narrows to, in its sentence, row, lead-in or heading."""
    own = " ".join((u.text, u.header, u.chunk.context, " ".join(u.chunk.headings[-1:])))
    return any(same_measure(t, s) for s in _stems(own) for t in narrowing)


def _unit_periods(u: Unit) -> tuple[list, bool]:
    """The dates a sentence is about: its own, else its table header's or headings', else publication; and
    whether the document states them (a publication date only suggests the year before it)."""
    own = periods(u.text)
    if own:
        return own, True
    around = periods(" ".join((u.header, u.chunk.context, " ".join(u.chunk.headings[1:]))))
    if around:
        return around, True
    if u.chunk.published:
        day = dt.date.fromisoformat(u.chunk.published)
        return [(day - dt.timedelta(days=366), day)], False
    return [], False


def _counts_the_measure(q: Question, u: Unit) -> bool:
    """A count in the sentence is of the thing asked about: '268 notifications' for 'how many notifications'."""
    head = _stems(q.measure)[-1:]
    return bool(head) and any(f.kind == "count" and f.noun and any(same_measure(head[0], n) for n in _stems(f.noun))
                              for f in figures(" ".join((u.text, u.header))))


def _measure_present(q: Question, u: Unit) -> bool:
    """For "how many X", the sentence must count X (or its table must): '31 disclosures', not '31 days'."""
    if not q.measure:
        return True
    head = _stems(q.measure)
    context = " ".join((u.text, u.header, u.chunk.context, " ".join(u.chunk.headings)))
    return not head or any(same_measure(head[-1], stem) for stem in _stems(context))


# The people the register is about go by several names: "registered sex offenders", "people on the register".
_POPULATION = {"offend", "regist"}


def same_measure(a: str, b: str) -> bool:
    """Two stems count the same thing: equal, one word's forms ("notices", "notifications"), or both the
    register's population."""
    return a == b or (min(len(a), len(b)) >= 5 and a[:4] == b[:4]) or {a, b} <= _POPULATION


def _names_present(q: Question, u: Unit, index: Index, lexical: LexicalIndex) -> bool:
    """A figure is about a place or body. A place the question is about ("in Fenwick") must be named where
    the figure is: in the sentence, its passage, headings, title or publisher, and not merely as one of
    several ("across Harrowgate Vale, Fenwick and Otterbridge" is a figure for all of them). Any other name
    of a figure question ("Sarah's Law", "Operation Keystone") must be named in the figure's own section
    (an FAQ that mentions Clare's Law under another heading does not count Clare's Law applications); a
    wording question's speaker need only be named somewhere in the document."""
    chunk = u.chunk
    local = normalise_for_search(" ".join((u.text, chunk.text, chunk.context, " ".join(chunk.headings),
                                           chunk.title, chunk.publisher or "")))
    wider = None
    for name in q.names:
        if q.wants == "duration" and name not in q.places:
            continue  # "before flying to Spain": a duty is the same wherever the trip goes; only "in X" scopes it
        keys = [normalise_for_search(n) for n in (_without_titles(name), *index.aliases(name, lexical))]
        if _only_in_a_list(name, u.text):
            return False
        if name in q.places:
            if not any(k in local for k in keys) or _about_another_body(u.text, keys):
                return False
            continue
        if not any(k in local for k in keys):
            wider = wider or normalise_for_search(_section_before(index, u) if q.wants in ("count", "rate")
                                                  else index.document_text(chunk.source, chunk.doc_hash))
            if not any(k in wider for k in keys):
                return False
    return True


_BODY = re.compile(r"\b(?:[A-Z][\w'’-]+\s+)+(?:Police|Constabulary|Council|Partnership)\b")


def _about_another_body(text: str, keys: list[str]) -> bool:
    """'Redhallow Police, which covers the area to the east, reported 1,342': a figure reported by another
    force or council, in a sentence that does not name the place asked about, is that body's figure."""
    plain = normalise_for_search(text)
    return bool(_BODY.search(text)) and not any(k in plain for k in keys)


def _section_before(index: Index, u: Unit) -> str:
    """The document text from the heading of the unit's section down to the unit."""
    text = index.document_text(u.chunk.source, u.chunk.doc_hash)
    heading = u.chunk.headings[-1] if u.chunk.headings else ""
    start = text.rfind(heading, 0, u.start) if heading else 0
    return text[max(start, 0):u.end]


_TITLES = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "cllr", "councillor", "det", "detective", "supt",
           "superintendent", "chief", "ch", "insp", "inspector", "sgt", "sergeant", "constable", "dci", "di", "ds",
           "dc", "pc", "acc", "assistant", "deputy", "commissioner", "officer"}


def _without_titles(name: str) -> str:
    """'Det Supt Forsythe' is 'Detective Superintendent Nadia Forsythe' in the release: match on the name."""
    words = name.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
        words = words[1:]
    return " ".join(words)


_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*")
_LIST_JOINER = re.compile(r",? (?:and|or) |, ")


def _only_in_a_list(name: str, text: str) -> bool:
    """Whether every mention of `name` is one of several names listed ("Fenwick, Otterbridge and Ashby")."""
    mentions = [m.start() for m in re.finditer(re.escape(name), text)]
    spans = _name_lists(text)
    return bool(mentions) and all(any(a <= pos < b for a, b in spans) for pos in mentions)


def _name_lists(text: str) -> list[tuple[int, int]]:
    """Spans of 'A, B and C' / 'A, or B': capitalised names joined by commas, the last by 'and' or 'or'.
    One pass over the names, in time linear in the text (a pattern with nested repeats here backtracked
    exponentially on a sentence of twenty names)."""
    spans: list[tuple[int, int]] = []
    names = list(_CAPITALISED_RUN.finditer(text))
    i = 0
    while i < len(names):
        j, comma = i, False
        while j + 1 < len(names):
            joiner = _LIST_JOINER.fullmatch(text, names[j].end(), names[j + 1].start())
            if not joiner:
                break
            j += 1
            comma = comma or joiner.group().startswith(",")
            if joiner.group().endswith(("and ", "or ")):
                if comma:
                    spans.append((names[i].start(), names[j].end()))
                break
        i = max(j, i + 1)
    return spans


def _choose(q: Question, candidates: list[Unit]) -> list[Unit]:
    """The best sentence, plus close runners-up from other documents that add a different figure, so that
    figures from different dates, places or revisions are shown side by side, never silently mixed.
    A wording question gets the whole quoted paragraph: press staff want the line, not a fragment."""
    best = candidates[0]
    if q.wants == "wording":
        return [_whole_paragraph(best)]
    if q.wants == "open":
        best = _whole_list(q, best) if best.chunk.kind == "list" else _with_following_sentences(best)
    chosen = [best]
    newer = [u for u in candidates[1:] if _REVISION.search(u.text) and u.score >= 0.6 * best.score
             and _date_key(u.chunk.published) > _date_key(best.chunk.published) and u.chunk.source != best.chunk.source]
    if q.wants in ("count", "rate") and newer:
        chosen.insert(0, newer[0])  # a later publication that corrects a figure leads
    seen_figures = {f.text for f in figures(best.text)}
    top = max(c.score for c in candidates)  # the reader orders them; the hybrid says which are nearly as good
    for u in candidates[1:]:
        if len(chosen) >= config.MAX_ANSWER_UNITS:
            break
        if u.score < RUNNER_UP * top or q.wants == "open" and u.rank < RUNNER_UP_RANK * best.rank:
            continue
        if any(_same_place(q, u, c) or _same_text(u, c) for c in chosen):
            continue
        if any(c.chunk.source == u.chunk.source for c in chosen) and u.score < SAME_DOCUMENT_SHARE * best.score:
            continue  # another part of the same document must be nearly as good to be worth showing
        new_figures = {f.text for f in figures(u.text)} - seen_figures
        if q.wants in ("count", "rate") and not new_figures:
            continue
        chosen.append(u)
        seen_figures |= new_figures
    return chosen


_REVISION = re.compile(r"\b(correct(?:ed|ion)|revis(?:ed|ion)|amended|restated|no longer (?:be )?used|updated)\b", re.I)
OPEN_ANSWER_CHARS = 450


def _with_following_sentences(u: Unit) -> Unit:
    """An explanation rarely fits in one sentence: a short paragraph is quoted whole (its first sentence often
    names what the rest explains), a longer one from the best sentence on, within a limit."""
    chunk = u.chunk
    if chunk.kind != "paragraph":
        return u
    if len(chunk.text) <= OPEN_ANSWER_CHARS:
        return _whole_paragraph(u)
    end = u.end
    for s, e in split_units(chunk.text, 0, len(chunk.text), chunk.kind):
        start, stop = chunk.start + s, chunk.start + e
        if start >= end and stop - u.start <= OPEN_ANSWER_CHARS:
            end = stop
        elif start >= end:
            break
    return Unit(u.hit, u.start, end, chunk.text[u.start - chunk.start:end - chunk.start], score=u.score,
                rank=u.rank)


def _whole_list(q: Question, u: Unit) -> Unit:
    """'How do I apply?' over three routes: when the item shares no word with the question that its lead-in,
    headings or title do not already have, the question asks what the lead-in introduces, so the whole
    (short) list answers it; 'do I tell them if I change my name' is still answered by its one item."""
    chunk = u.chunk
    around = set(_stems(" ".join((u.header, chunk.context, " ".join(chunk.headings), chunk.title))))
    own = set(_stems(u.text)) & set(_stems(q.focus or q.text))
    if own - around or len(chunk.text) > LIST_ANSWER_CHARS or not u.header:
        return u
    return Unit(u.hit, chunk.start, chunk.end, chunk.text, u.header, u.header_start, score=u.score, rank=u.rank)


def _whole_paragraph(u: Unit) -> Unit:
    chunk = u.chunk
    if chunk.kind != "paragraph" or len(chunk.text) > config.CHUNK_MAX_CHARS:
        return u
    return Unit(u.hit, chunk.start, chunk.end, chunk.text, score=u.score, rank=u.rank)


def _same_place(q: Question, a: Unit, b: Unit) -> bool:
    """Figures are shown side by side from different documents; an explanation may also draw on another
    section of the same document (guidance answers one question in several places), not on the same passage."""
    if q.wants in ("count", "rate", "wording"):
        return a.chunk.source == b.chunk.source
    return a.chunk.source == b.chunk.source and (a.chunk.block == b.chunk.block or a.chunk.id == b.chunk.id)


def _same_text(a: Unit, b: Unit) -> bool:
    return _plain(a.text).lower() == _plain(b.text).lower()


# --- writing -------------------------------------------------------------------------------------------

def _render(index: Index, q: Question, chosen: list[Unit]) -> Answer:
    # Figures: newest publication first, so that where a figure was revised the current one leads. Other
    # answers: the best sentence first, then the rest newest first.
    figures_first = q.wants in ("count", "rate")
    chosen = sorted(chosen, key=lambda u: (not figures_first and u is not chosen[0], -_date_key(u.chunk.published)))
    citations: list[Citation] = []
    lines: list[str] = []
    for u in chosen:
        doc_text = index.document_text(u.chunk.source, u.chunk.doc_hash)
        start = u.header_start if u.header_start is not None and u.header else u.start
        quote = doc_text[start:u.end]
        n = next((c.n for c in citations if c.source == u.chunk.source and c.start == start and c.end == u.end),
                 len(citations) + 1)
        if n > len(citations):
            citations.append(Citation(
                n=n, source=u.chunk.source, title=u.chunk.title, publisher=u.chunk.publisher,
                published=u.chunk.published, url=u.chunk.url, quote=quote, start=start, end=u.end,
                score=round(u.rank, 3)))
        body = _unit_text(u)
        if u.chunk.kind == "table" and u.header:
            body = f"{body}."  # composed from a row and its header: not a quotation, so no quotation marks
        elif not body.startswith(("“", '"')):
            body = f"“{body}”"
        speaker = f" ({u.chunk.context.rstrip(':')})" if q.wants == "wording" and u.chunk.context else ""
        lines.append(f"{_attribution(u)}{speaker}: {body} [{n}]")
    if len(lines) == 1:
        text = lines[0]
    else:
        intro = ("The documents give several figures, each shown with its source and date, newest "
                 "publication first:" if q.wants in ("count", "rate") else "The documents say:")
        text = intro + "\n" + "\n".join(f"- {line}" for line in lines)
    lead = _lead(q, chosen[0]) if figures_first else ""
    if lead:
        text = f"{lead} [1]\n{text}"
    return Answer(question=q.text, status="answered", answer=text, citations=citations)


_CLAUSE_END = re.compile(r"[;(\n]|[.!?](?:\s|$)|,\s+(?:according|up|down|compared|which|while|and|but)\b")


def _lead(q: Question, u: Unit) -> str:
    """A plain first line for a figure answer, cut from the quoted sentence itself: from the figure asked for
    to the date it is given for, within its clause ("2,154 registered sex offenders at 31 March 2024"). No
    lead when the sentence does not put them together: it is never composed from words the quote lacks."""
    if u.chunk.kind == "table" and u.header:
        return ""
    text = u.text
    wanted = [f for f in figures(text) if f.kind == q.wants]
    head = _stems(q.measure)[-1:] if q.measure else []
    counted = [f for f in wanted if head and f.noun and any(same_measure(head[0], n) for n in _stems(f.noun))]
    for f in counted or wanted:
        stop = _CLAUSE_END.search(text, f.end)
        clause_end = stop.start() if stop else len(text)
        dates = sorted(e for s, e in period_spans(text) if f.end <= s and e <= clause_end)
        if dates and len(text[f.start:dates[-1]].split()) <= LEAD_WORDS:
            lead = _plain(text[f.start:dates[-1]])
            return lead if len(lead) < 0.9 * len(_plain(text)) else ""
    return ""


def _date_key(published: str | None) -> float:
    return dt.date.fromisoformat(published).toordinal() if published else -math.inf


def _attribution(u: Unit) -> str:
    c = u.chunk
    who = c.publisher or f"“{c.title}”"
    kind = DOC_TYPE_LABELS.get(c.doc_type or "", "")
    when = long_date(c.published) if c.published else "undated"
    detail = f"{kind}, {when}" if kind else when
    return f"According to {who} ({detail})"


def long_date(iso: str) -> str:
    """2024-07-16 -> 16 July 2024, as people write dates."""
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def _unit_text(u: Unit) -> str:
    if not u.header:
        return _plain(u.text)
    if u.chunk.kind == "list":  # each item of a list quoted whole after its lead-in
        return " … ".join(_plain(line) for line in [u.header, *u.text.splitlines()] if _plain(line))
    heads = [c.strip() for c in _plain_cells(u.header)]
    cells = [c.strip() for c in _plain_cells(u.text)]
    if len(heads) == len(cells) == 1:  # a table read from a PDF: columns are separated by spaces only
        heads, cells = _split_columns(heads[0], cells[0])
    if len(heads) == len(cells) > 1:
        # The first column names the row; every other cell is read with its column heading.
        values = [c if not h or c.lower().startswith(h.lower()) else f"{h}: {c}"
                  for h, c in zip(heads[1:], cells[1:], strict=True) if c]
        return f"{cells[0]} — " + "; ".join(values)
    return f"{_plain(u.header)}: {_plain(u.text)}"


def _split_columns(header: str, row: str) -> tuple[list[str], list[str]]:
    """'Quarter Applications received Disclosures made' over 'Q3 (October to December 2023) 48 7': the row
    ends in two figures, and the header has three capitalised headings, so label and figures pair up."""
    values = re.findall(r"(?:\s+-?\d[\d,]*(?:\.\d+)?%?)+$", row)
    figures_ = values[0].split() if values else []
    heads = re.findall(r"[A-Z][^A-Z]*", header)
    if not figures_ or len(heads) != len(figures_) + 1:
        return [header], [row]
    label = row[: len(row) - len(values[0])].strip()
    return [h.strip() for h in heads], [label, *figures_]


def _plain_cells(row: str) -> list[str]:
    return [_plain(c) for c in row.strip().strip("|").split("|")]


def _plain(text: str) -> str:
    """Markdown emphasis, list bullets and table pipes off; words and figures untouched."""
    text = re.sub(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)", "", text)
    text = re.sub(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", "", text)
    text = text.strip().strip("|").strip()
    return re.sub(r"\s+", " ", text)
