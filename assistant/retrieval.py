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
    best, per_source = [], {}
    cap = max(2, round(k * config.HITS_SHARE_PER_DOCUMENT))
    for chunk_id in ranked:
        source = chunks[chunk_id].source if chunk_id in chunks else None
        if source is None or per_source.get(source, 0) >= cap:
            continue  # one long table or release must not crowd every other document out
        per_source[source] = per_source.get(source, 0) + 1
        best.append(chunk_id)
        if len(best) == k:
            break
    dense_score, lexical_score = dict(dense), dict(lexical)
    return [
        Hit(chunk=chunk, score=fused[chunk.id], dense=dense_score.get(chunk.id, 0.0),
            lexical=lexical_score.get(chunk.id, 0.0), rank=rank)
        for rank, chunk in enumerate(chunks[i] for i in best)
    ]


def with_table_rows(index: Index, hits: list[Hit]) -> list[Hit]:
    """A table found by one row brings its other rows: retrieval ranks rows by their shared header and
    caption, so the row that answers ("Category 2 total") may not be the row that was found first."""
    seen = {h.chunk.id for h in hits}
    tables: set[tuple[str, int]] = set()
    extra: list[Hit] = []
    for hit in hits:
        table = (hit.chunk.source, hit.chunk.block)
        if hit.chunk.kind != "table" or table in tables:
            continue
        tables.add(table)
        for row in index.siblings(hit.chunk):
            if row.id not in seen:
                seen.add(row.id)
                extra.append(Hit(chunk=row, score=hit.score, dense=hit.dense, lexical=0.0, rank=len(hits) + len(extra)))
    return hits + extra
