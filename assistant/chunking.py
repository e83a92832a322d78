"""Stage 2: `Document` -> `Chunk`s along the document's own structure.

A chunk is one paragraph, list or table (split when long), never a window of characters: its span is
`document.text[start:end]` exactly, so any citation can be highlighted in place. What a chunk needs to be
understood on its own but that lies outside its span (heading path, the "X said:" line before a quote, a
table's header) travels beside it as `headings` and `context`, and is embedded and searched with it.

Units (`split_units`) are the sentences of prose and the rows of tables: what an answer quotes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from . import config
from .documents import Document


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    start: int
    end: int
    text: str  # == document.text[start:end]
    kind: str  # paragraph | list | table
    headings: tuple[str, ...] = ()
    context: str = ""  # lead-in line or table header that the span itself lacks
    block: int = 0  # offset of the paragraph, list or table it was cut from: its siblings share it

    def search_text(self, title: str) -> str:
        """What is embedded and lexically indexed: the span with everything needed to read it alone."""
        parts = [title, " > ".join(h for h in self.headings if h != title), self.context, self.text]
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | list | table
    start: int
    end: int
    level: int = 0  # heading level


# --- blocks --------------------------------------------------------------------------------------------

_HEADING = re.compile(r"(#{1,6})\s+(.*)")
_LIST_ITEM = re.compile(r"\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+")
_QUOTE_OPEN = ("\"", "“", "‘", "'")
_ATTRIBUTION = re.compile(r"\b(?:said|says|added|adds|explained|commented|told [\w ]+|stated|warned)\s*[:,]?\s*[\"“]"
                          r"|:\s*$")


def iter_blocks(text: str) -> Iterator[Block]:
    """Split text into headings, paragraphs, lists and tables, with exact offsets."""
    pos = 0
    lines: list[tuple[int, str]] = []
    for raw in text.splitlines(keepends=True):
        lines.append((pos, raw.rstrip("\n")))
        pos += len(raw)
    group: list[tuple[int, str]] = []

    def flush() -> Iterator[Block]:
        if group:
            yield from _classify(group)
            group.clear()

    for start, line in lines:
        if not line.strip():
            yield from flush()
        elif _HEADING.match(line):
            yield from flush()
            yield Block("heading", start, start + len(line), level=len(_HEADING.match(line).group(1)))
        else:
            group.append((start, line))
    yield from flush()


def _classify(group: list[tuple[int, str]]) -> Iterator[Block]:
    """One run of non-blank lines may mix a paragraph, a list and a table: split it where the kind changes."""
    run: list[tuple[int, str]] = []
    run_kind = ""
    for start, line in group:
        if line.lstrip().startswith("|"):
            kind = "table"
        elif _LIST_ITEM.match(line):
            kind = "list"
        elif run_kind == "list" and line.startswith((" ", "\t")):
            kind = "list"  # continuation of an item
        else:
            kind = "paragraph"
        if run and kind != run_kind:
            yield Block(run_kind, run[0][0], run[-1][0] + len(run[-1][1]))
            run = []
        run.append((start, line))
        run_kind = kind
    if run:
        yield Block(run_kind, run[0][0], run[-1][0] + len(run[-1][1]))


# --- chunks --------------------------------------------------------------------------------------------

def chunk_document(doc: Document) -> list[Chunk]:
    text = doc.text
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []
    lead_in = ""
    for block in iter_blocks(text):
        body = text[block.start:block.end]
        if block.kind == "heading":
            headings = [h for h in headings if h[0] < block.level]
            headings.append((block.level, _HEADING.match(body).group(2).strip().strip("*").strip()))
            lead_in = ""
            continue
        path = tuple(h for _, h in headings)
        starts_quote = body.lstrip("*_ ").startswith(_QUOTE_OPEN)
        context = lead_in if block.kind != "paragraph" or starts_quote else ""
        spans = _split_block(text, block)
        for start, end, ctx in spans:
            chunks.append(_make_chunk(doc, start, end, block.kind, path, "\n".join(c for c in (context, ctx) if c),
                                      block.start))
        if block.kind == "paragraph" and _ATTRIBUTION.search(body):
            lead_in = body.split("“")[0].split("\"")[0].strip() if not body.endswith(":") else _last_sentence(body)
        elif block.kind == "paragraph" and not starts_quote:
            lead_in = ""
    if not chunks:  # e.g. a document that is nothing but headings
        end = len(text.rstrip())
        chunks.append(_make_chunk(doc, 0, end, "paragraph", (), ""))
    return chunks


def _last_sentence(text: str) -> str:
    """A list's lead-in is the sentence that introduces it, not the whole paragraph before it."""
    spans = _sentences(text, 0, len(text))
    return text[spans[-1][0]:spans[-1][1]] if spans else text.strip()


def _make_chunk(doc: Document, start: int, end: int, kind: str, headings: tuple[str, ...], context: str,
                block: int = 0) -> Chunk:
    span = doc.text[start:end]
    key = json.dumps([doc.source, start, end, span, headings, context, doc.metadata()], sort_keys=True)
    return Chunk(
        id=hashlib.sha256(key.encode()).hexdigest()[:32],
        source=doc.source,
        start=start,
        end=end,
        text=span,
        kind=kind,
        headings=headings,
        context=context,
        block=block,
    )


def _split_block(text: str, block: Block) -> list[tuple[int, int, str]]:
    """(start, end, extra context) spans of at most CHUNK_MAX_CHARS, cut at unit boundaries."""
    units = split_units(text, block.start, block.end, block.kind)
    if not units:
        return []
    header_ctx = ""
    if block.kind == "table":
        header_ctx = text[units[0][0]:units[0][1]]
    spans: list[tuple[int, int, str]] = []
    start, end = units[0]
    rows = 0 if block.kind == "table" else 1  # a table's header rides with its first row, uncounted
    for u_start, u_end in units[1:]:
        limit = config.LIST_MAX_CHARS if block.kind == "list" else config.CHUNK_MAX_CHARS
        too_long = u_end - start > limit
        too_many_rows = block.kind == "table" and rows >= config.TABLE_ROWS_PER_CHUNK
        if too_long or too_many_rows:
            spans.append((start, end, header_ctx if spans and block.kind == "table" else ""))
            start, rows = u_start, 0
        end = u_end
        rows += 1
    spans.append((start, end, header_ctx if spans and block.kind == "table" else ""))
    return spans


# --- units: sentences, list items, table rows ---------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "det", "supt", "insp", "sgt", "st", "no", "nos", "eg", "e.g", "ie", "i.e", "etc",
    "vs", "ch", "con", "pc", "dc", "ds", "di", "dci", "col", "gen", "lt", "rev", "prof", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "cf", "fig", "inc", "ltd", "co",
}
_LAST_WORD = re.compile(r"[\w.'’]+$")
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’')\]]*\s+")
_TABLE_SEPARATOR = re.compile(r"\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*")


def split_units(text: str, start: int = 0, end: int | None = None, kind: str = "paragraph") -> list[tuple[int, int]]:
    """Offsets of the sentences (prose), items (lists) or rows (tables) in text[start:end]."""
    end = len(text) if end is None else end
    units = _line_units(text, start, end, kind) if kind in ("table", "list") else _sentences(text, start, end)
    return [piece for unit in units for piece in _capped(text, *unit)]


def _capped(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A unit longer than CHUNK_MAX_CHARS (a line with no full stop, a megabyte of one row) is cut at the last
    space before the limit, or at the limit when there is none: no passage, and no quote, is longer."""
    out = []
    while end - start > config.CHUNK_MAX_CHARS:
        space = text.rfind(" ", start + config.CHUNK_MAX_CHARS // 2, start + config.CHUNK_MAX_CHARS)
        cut = space if space > start else start + config.CHUNK_MAX_CHARS
        out.append((start, cut))
        start = cut + (text[cut] == " ")
    out.append((start, end))
    return out


def _line_units(text: str, start: int, end: int, kind: str) -> list[tuple[int, int]]:
    units: list[tuple[int, int]] = []
    pos = start
    for line in text[start:end].split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        stripped = line.strip()
        if not stripped or (kind == "table" and _TABLE_SEPARATOR.fullmatch(stripped)):
            continue
        if kind == "list" and units and not _LIST_ITEM.match(line):
            units[-1] = (units[-1][0], line_end)  # continuation line of the item
            continue
        lead = len(line) - len(line.lstrip())
        units.append((line_start + lead, line_end))
    return units


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    units: list[tuple[int, int]] = []
    seg_start = start
    for match in _SENTENCE_BREAK.finditer(text, start, end):
        following = text[match.end():match.end() + 1]
        # The word before the stop ("neighbour's." is no initial), read from a short window: searching the whole
        # growing segment after every stop made splitting quadratic in a paragraph's length.
        word = _LAST_WORD.findall(text[max(seg_start, match.start() - 24):match.start()])
        prev = word[0].lower().rstrip(".") if word else ""
        if not following or not (following.isupper() or following.isdigit() or following in "\"“‘'(["):
            continue
        if prev in _ABBREVIATIONS or (len(prev) == 1 and prev.isalpha()):
            continue
        units.append((seg_start, match.end() - len(match.group()) + len(match.group().rstrip())))
        seg_start = match.end()
    tail_end = len(text[:end].rstrip())
    if tail_end > seg_start:
        units.append((seg_start, tail_end))
    return [(s, e) for s, e in (_strip_span(text, s, e) for s, e in units) if e > s]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
