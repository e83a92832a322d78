"""Stage 4: question -> ranked `Hit`s, fusing dense and lexical search.

Dense vectors find paraphrases; BM25 finds figures, scheme names and exact phrases, which embeddings blur.
Reciprocal rank fusion combines the two rankings without having to calibrate their scores against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import config
from .index import Index, LexicalIndex, StoredChunk


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float  # fused RRF score
    dense: float  # cosine similarity, 0 when only the lexical side found it
    lexical: float  # BM25 score, 0 when only the dense side found it
    rank: int


def search(index: Index, lexical: LexicalIndex, query: str, k: int = config.HITS_FOR_ANSWER) -> list[Hit]:
    """`lexical` is the index's current BM25 (`index.lexical()`), fetched once per question by the caller."""
    dense = index.dense_search(query, min(config.DENSE_K, len(lexical.ids)))
    lexical = lexical.search(query, config.LEXICAL_K)
    fused: dict[str, float] = {}
    for ranking in (dense, lexical):
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (config.RRF_K + rank + 1)
    ranked = sorted(fused, key=fused.get, reverse=True)
    chunks = {c.id: c for c in index.get_chunks(ranked[:k * 3])}
    best, per_source, tables = [], {}, set()
    cap = max(2, round(k * config.HITS_SHARE_PER_DOCUMENT))
    for chunk_id in ranked:
        chunk = chunks.get(chunk_id)
        if chunk is None or per_source.get(chunk.source, 0) >= cap:
            continue  # one long table or release must not crowd every other document out
        if chunk.kind == "table":
            if (chunk.source, chunk.block) in tables:
                continue  # a table takes one place: `with_blocks` brings its other rows
            tables.add((chunk.source, chunk.block))
        per_source[chunk.source] = per_source.get(chunk.source, 0) + 1
        best.append(chunk_id)
        if len(best) == k:
            break
    dense_score, lexical_score = dict(dense), dict(lexical)
    return [
        Hit(chunk=chunk, score=fused[chunk.id], dense=dense_score.get(chunk.id, 0.0),
            lexical=lexical_score.get(chunk.id, 0.0), rank=rank)
        for rank, chunk in enumerate(chunks[i] for i in best)
    ]


def with_blocks(index: Index, hits: list[Hit]) -> list[Hit]:
    """A table or list found by one of its chunks brings the rest, and a lead-in line ("You must tell us
    within three days if:") brings the list it introduces: retrieval ranks rows and items by what they share
    (header, caption, lead-in), so the one that answers ("Category 2 total", "you change your home address")
    may not be the one found first."""
    seen = {h.chunk.id for h in hits}
    blocks: set[tuple[str, int]] = set()
    extra: list[Hit] = []
    for hit in hits:
        block = (hit.chunk.source, hit.chunk.block)
        if block in blocks:
            continue
        blocks.add(block)
        found = index.siblings(hit.chunk) if hit.chunk.kind in ("table", "list") else index.introduced_block(hit.chunk)
        for chunk in found:
            if chunk.id not in seen:
                seen.add(chunk.id)
                extra.append(Hit(chunk=chunk, score=hit.score, dense=hit.dense, lexical=0.0,
                                 rank=len(hits) + len(extra)))
    return hits + extra
