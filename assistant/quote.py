"""Press-line check: where do the documents use this wording, exactly or nearly?

Exact matches ignore only what a reader would not call a change (case, spacing, curly versus straight
quotes and dashes). Otherwise the closest sentences, or runs of two or three sentences, come back with a
word-level diff, so press staff see at a glance which words differ from what they typed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from . import redact, retrieval
from .chunking import split_units
from .errors import AssistantError
from .index import Index

MAX_WORDING_CHARS = 2_000
NEAR_MATCHES = 3
MIN_NEAR_SCORE = 55.0
CLOSE_MATCH = 85.0  # a near match at least this similar reads as the same line reworded; below, as a weak one
_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})


@dataclass
class QuoteMatch:
    source: str
    title: str
    publisher: str | None
    published: str | None
    url: str | None
    quote: str  # == document text[start:end]
    start: int
    end: int
    paragraph: str  # the paragraph around the match, for context
    paragraph_start: int
    score: float  # 100 for an exact match
    diff: list[dict] = field(default_factory=list)  # [{"op": "equal|delete|insert", "text": ...}]
    speaker: str | None = None  # who says it, when it is quoted speech

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class QuoteReport:
    wording: str
    exact: list[QuoteMatch]
    near: list[QuoteMatch]

    @property
    def found(self) -> bool:
        return bool(self.exact)

    def to_dict(self) -> dict:
        return {"wording": self.wording, "found": self.found, "exact": [m.to_dict() for m in self.exact],
                "near": [m.to_dict() for m in self.near]}


def _folded(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with runs of whitespace folded to one space, and a map back to original offsets."""
    out, where = [], []
    prev_space = False
    for i, ch in enumerate(text.translate(_FOLD).lower()):
        if ch.isspace():
            if prev_space:
                continue
            ch, prev_space = " ", True
        else:
            prev_space = False
        out.append(ch)
        where.append(i)
    return "".join(out), where


def find(index: Index, wording: str) -> QuoteReport:
    wording = " ".join((wording or "").split())
    if not wording:
        raise AssistantError("the wording is empty: paste the sentence you want to check")
    if len(wording) > MAX_WORDING_CHARS:
        raise AssistantError(f"the wording is {len(wording):,} characters; check at most {MAX_WORDING_CHARS:,} "
                             "at a time")
    hits = retrieval.search(index, index.lexical(), wording, k=12)
    sources = list(dict.fromkeys(h.chunk.source for h in hits))
    meta = {h.chunk.source: h.chunk for h in hits}
    needle = _folded(wording.strip(" \"“”'‘’"))[0]
    exact: list[QuoteMatch] = []
    for source in sources:
        text = index.document_text(source)
        folded, where = _folded(text)
        for m in re.finditer(re.escape(needle), folded):
            start, end = where[m.start()], where[m.end() - 1] + 1
            exact.append(_match(meta[source], text, start, end, 100.0, []))
    if exact:
        return QuoteReport(wording, exact, [])
    return QuoteReport(wording, [], _near(index, wording, hits, meta))


def _near(index: Index, wording: str, hits, meta) -> list[QuoteMatch]:
    from rapidfuzz import fuzz

    candidates: dict[tuple[str, int, int], float] = {}
    for hit in hits:
        chunk = hit.chunk
        units = split_units(chunk.text, 0, len(chunk.text), chunk.kind)
        for i in range(len(units)):
            for width in (1, 2, 3):
                if i + width > len(units):
                    break
                s, e = units[i][0], units[i + width - 1][1]
                score = fuzz.ratio(_folded(wording)[0], _folded(chunk.text[s:e])[0])
                key = (chunk.source, chunk.start + s, chunk.start + e)
                candidates[key] = max(score, candidates.get(key, 0.0))
    best = sorted(candidates.items(), key=lambda kv: kv[1], reverse=True)
    out: list[QuoteMatch] = []
    for (source, start, end), score in best:
        if score < MIN_NEAR_SCORE or len(out) >= NEAR_MATCHES:
            break
        if any(m.source == source and m.start < end and start < m.end for m in out):
            continue  # an overlapping, weaker reading of the same place
        text = index.document_text(source)
        out.append(_match(meta[source], text, start, end, round(score, 1), word_diff(wording, text[start:end])))
    return out


def shown_speaker(text: str, start: int, end: int) -> str | None:
    """The speaker as shown: a private person quoted (a defendant's words in a court report) is withheld."""
    said = speaker(text, start, end)
    return redact.without_names(said, redact.private_names(text)) if said else None


def closeness(score: float) -> str:
    """How a match reads to press staff: a 92% match is the line reworded, a 60% one may be another line."""
    return "exact" if score >= 100.0 else "close" if score >= CLOSE_MATCH else "weak"


def paragraph_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the paragraph (blank-line to blank-line) that contains text[start:end]."""
    p_start = text.rfind("\n\n", 0, start)
    p_end = text.find("\n\n", end)
    return (0 if p_start < 0 else p_start + 2), (len(text) if p_end < 0 else p_end)


def _match(chunk, text: str, start: int, end: int, score: float, diff: list[dict]) -> QuoteMatch:
    p_start, p_end = paragraph_around(text, start, end)
    return QuoteMatch(source=chunk.source, title=chunk.title, publisher=chunk.publisher,
                      published=chunk.published, url=chunk.url, quote=text[start:end], start=start, end=end,
                      paragraph=text[p_start:p_end], paragraph_start=p_start, score=score, diff=diff,
                      speaker=shown_speaker(text, start, end))


_MARK_WORD = re.compile(r"[-*+]|#{1,6}")


def word_diff(typed: str, found: str) -> list[dict]:
    """Word-level diff from what was typed to what the document says: delete = typed only,
    insert = document only. Case, curly quotes and punctuation alone do not count as a change, and markdown's
    marks (a list item's dash, bold's asterisks) are not words of the document."""
    a = typed.split()
    b = [w for w in (w.replace("**", "") for w in found.split()) if w and not _MARK_WORD.fullmatch(w)]

    def key(w: str) -> str:
        return re.sub(r"[^\w']", "", w.translate(_FOLD).lower()) or w

    ops: list[dict] = []
    matcher = difflib.SequenceMatcher(a=[key(w) for w in a], b=[key(w) for w in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append({"op": "equal", "text": " ".join(b[j1:j2])})
            continue
        if i2 > i1:
            ops.append({"op": "delete", "text": " ".join(a[i1:i2])})
        if j2 > j1:
            ops.append({"op": "insert", "text": " ".join(b[j1:j2])})
    return ops


def render_diff(diff: list[dict]) -> str:
    """[-typed-]{+document+} markup for terminals and plain text."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return " ".join(marks[d["op"]].format(d["text"]) for d in diff)


# Who is speaking, for a quotation: 'X said: “…”', '“…,” said X, role.' or a paragraph ending 'X said:' before it.
# Every pattern is bounded, so each runs in time linear in the text.
_SAY = r"(?:said|says|added|explained|commented|continued|told [a-z ]{1,30})"
_LEAD_IN = re.compile(rf"([A-Z][^.!?“”\"\n]{{1,160}}?)\s+{_SAY}\s*[:,]?\s*(?:[“\"]|$)")
_TRAILER = re.compile(rf"[”\"]\s*,?\s*{_SAY}\s+([A-Z][^.;:!?“”\"\n]{{1,120}})|[”\"]\s*,?\s*(he|she|they) {_SAY}")
_PRONOUN = frozenset({"he", "she", "they"})
_MINOR = frozenset({"of", "the", "and", "for", "at", "in", "on", "to"})
SPEAKER_LOOKBACK_CHARS = 3_000


def speaker(text: str, start: int, end: int) -> str | None:
    """Who says the quoted words at text[start:end], as the document names them ('Detective Superintendent
    Imogen Larkworthy, Head of Public Protection'), or None when they are not quoted speech or no speaker is
    named. A quotation running over several paragraphs is followed back to where it was introduced, and
    'He added:' to the last speaker the document named."""
    p_start, p_end = paragraph_around(text, start, end)
    for _ in range(4):
        said = _attribution(text, p_start, p_end, start, end)
        if said or not re.match(r"\s*[“\"]", text[p_start:p_end]) or p_start == 0:
            return said
        p_start, p_end = paragraph_around(text, max(p_start - 3, 0), max(p_start - 3, 0))
        start = end = p_start
    return None


def _attribution(text: str, p_start: int, p_end: int, start: int, end: int) -> str | None:
    if re.search(r"[“\"]", text[p_start:p_end]) is None and not text[:p_start].rstrip().endswith(":"):
        return None
    after = _TRAILER.search(text, end, p_end)
    if after and not re.search(r"[“\"]", text[end:after.start()].lstrip("”\"")):  # the span's own closing mark
        return _named(after.group(1) or after.group(2), text, after.start())
    lead = list(_LEAD_IN.finditer(text[p_start:start]))
    if lead:
        return _named(lead[-1].group(1), text, p_start + lead[-1].start())
    previous = text[max(0, p_start - 600):p_start].rstrip()
    if previous.endswith(":"):
        m = _LEAD_IN.search(previous.splitlines()[-1].strip())
        if m:
            return _named(m.group(1), text, p_start - len(previous))
    return None


_NAME_SAID = re.compile(rf"([A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){{1,5}}),? (?:[^.;:“”\"\n]{{1,80}}, )?{_SAY}\b")


def _named(phrase: str, text: str, at: int) -> str | None:
    """The name-like part of an attribution and the role after it; a pronoun is the last speaker named before."""
    phrase = phrase.strip().rstrip(",")
    if phrase.lower() in _PRONOUN:
        window = text[max(0, at - SPEAKER_LOOKBACK_CHARS):at]
        for m in reversed(list(_NAME_SAID.finditer(window))):
            return _named(m.group(1), "", 0)
        return None
    parts = phrase.split(", ")
    for i, part in enumerate(parts):
        words = part.split()
        if len(words) >= 2 and all(w[0].isupper() or w in _MINOR for w in words):
            role = parts[i + 1] if i + 1 < len(parts) and len(parts[i + 1]) <= 80 else ""
            return f"{part}, {role}" if role else part
    return None
