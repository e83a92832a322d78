"""Stage 3b: chunks -> a Chroma index (vectors, text, metadata) plus a lexical BM25 index derived from it.

Chroma is the single source of truth. Two collections:
- `chunks`: one record per chunk, with its vector, its span text and the document metadata it carries;
- `documents`: one record per document, with the full loaded text (citations and quote checks point into
  it) and its content hash. It is written last, so it doubles as the commit marker of a document's ingest:
  a crash leaves the old hash behind and the next ingest redoes the document.
The lexical index is rebuilt from the chunks collection whenever its fingerprint changes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import config
from .chunking import Chunk, chunk_document
from .documents import Document, Skipped, load_paths
from .errors import AssistantError

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "chunks_embedded": self.chunks_embedded,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class CheckReport:
    documents: int = 0
    chunks: int = 0
    model: str | None = None
    backend: str | None = None
    dimension: int | None = None
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"{self.documents} documents, {self.chunks} passages, embedding model {self.model or 'unknown'}"
               f" ({self.dimension or '?'} dimensions, {self.backend or 'torch'} backend)"]
        out += [f"problem: {p}" for p in self.problems] + [f"repair: {r}" for r in self.repairs]
        return out + (["ok"] if self.ok else [])


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the index, with the metadata of its document."""

    id: str
    text: str
    source: str
    start: int
    end: int
    kind: str
    headings: tuple[str, ...]
    context: str
    title: str
    publisher: str | None
    published: str | None
    url: str | None
    doc_type: str | None
    doc_hash: str = ""  # the document version this chunk belongs to
    block: int = -1  # offset of the block (table, list, paragraph) it was cut from

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict) -> StoredChunk:
        return cls(
            id=chunk_id, text=text, source=meta["source"], start=int(meta["start"]), end=int(meta["end"]),
            kind=meta.get("kind", "paragraph"), headings=tuple(json.loads(meta.get("headings", "[]"))),
            context=meta.get("context", ""), title=meta.get("title", meta["source"]),
            publisher=meta.get("publisher"), published=meta.get("published"), url=meta.get("url"),
            doc_type=meta.get("doc_type"), doc_hash=meta.get("doc_hash", ""), block=int(meta.get("block", -1)),
        )

    def search_text(self) -> str:
        return Chunk(self.id, self.source, self.start, self.end, self.text, self.kind, self.headings,
                     self.context).search_text(self.title)


def _chunk_metadata(chunk: Chunk, doc: Document, doc_hash: str, vectors: str) -> dict:
    """`vectors` names the space the passage's vector is in: a passage says itself which backend embedded it,
    so an index that a crash or a changed setting left mixed is found passage by passage and re-embedded."""
    meta = {
        "source": chunk.source, "start": chunk.start, "end": chunk.end, "kind": chunk.kind,
        "headings": json.dumps(list(chunk.headings)), "context": chunk.context, "doc_hash": doc_hash,
        "block": chunk.block, "vectors": vectors,
        **doc.metadata(),
    }
    return {k: v for k, v in meta.items() if v is not None}  # Chroma stores no nulls


def _blocks_of(chunks: list[Chunk]) -> str:
    """Which chunks were cut from each list, table or long paragraph, by the block's offset: JSON, because
    Chroma metadata values are scalars. Lists and tables are recorded even when they fit one chunk, so that
    a lead-in line ("You must tell us within three days if:") can bring the list it introduces."""
    blocks: dict[int, tuple[str, list[str]]] = {}
    for c in chunks:
        if c.block >= 0:
            blocks.setdefault(c.block, (c.kind, []))[1].append(c.id)
    return json.dumps({str(b): ids for b, (kind, ids) in blocks.items() if kind != "paragraph" or len(ids) > 1},
                      separators=(",", ":"))


# --- lexical -------------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PROPER = r"[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|of|and|the|for))*"  # a capitalised name, "of"s included
_KNOWN_AS = r"(?:(?:often|widely|commonly|also|sometimes|better|popularly)\s+)?(?:called|known as|referred to as)"
_KILO = re.compile(r"\b(\d+(?:\.\d+)?)k\b")
_WORD = re.compile(r"\w+")
STOPWORDS = frozenset("""
a an the of in on at to for from by with and or but is are was were be been being do does did have
has had what which who whom whose when where why how this that these those it its they them their
there here i me my we our you your he she his her can could would should will shall may might must
about into than then so if as also some such just please according want wants wanted know anyone anybody
someone somebody anything something
""".split())  # noqa: SIM905 - a word list reads best as text


# The same span of time, written two ways: "a week" and "7 days" should meet in search and scoring.
_PERIOD_WORDS = [
    (re.compile(r"\b(?:a|one|each|every|per) week\b|\bweekly\b"), "7 days"),
    (re.compile(r"\b(?:a|one) fortnight\b|\bfortnightly\b"), "14 days"),
    (re.compile(r"\b(?:a|one|each|every|per) year\b|\bannual(?:ly)?\b|\byearly\b"), "12 months"),
]


def normalise_for_search(text: str) -> str:
    """1,231, 1231 and 1.2k are the same figure; curly and straight apostrophes the same letter; a week is
    7 days."""
    text = _THOUSANDS.sub("", text).replace("’", "'").lower()
    text = _KILO.sub(lambda m: str(round(float(m[1]) * 1000)), text)
    for pattern, same in _PERIOD_WORDS:
        text = pattern.sub(same, text)
    return text


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Police ranks are written both ways ("Det Chief Insp", "DCI", "Detective Chief Inspector"): read them alike.
_RANKS = {"det": "detective", "insp": "inspector", "supt": "superintendent", "sgt": "sergeant", "ch": "chief",
          "dci": "detective chief inspector", "di": "detective inspector", "ds": "detective sergeant",
          "dc": "detective constable", "pc": "police constable", "acc": "assistant chief constable",
          "pcc": "police and crime commissioner"}


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words and figures: the vocabulary of lexical search and of scoring."""
    words = [part for w in _WORD.findall(normalise_for_search(text)) for part in _RANKS.get(w, w).split()
             if part not in STOPWORDS]
    return _stemmer().stemWords(words)


class LexicalIndex:
    """BM25 over chunk search texts (bm25s: sparse matrices, no per-query loop over chunks).

    Derived from Chroma, never a second source of truth: it is saved under the generation of the chunks it
    was built from, so a process starting against an unchanged index maps it from disk (milliseconds)
    instead of reading and tokenising every chunk again (seconds to minutes on a large index)."""

    def __init__(self, ids: list[str], model, idf: dict[str, float]):
        self.ids, self.model, self.idf = ids, model, idf
        self.aliases: dict[str, frozenset[str]] = {}  # what `Index.aliases` learnt for this generation

    @classmethod
    def build(cls, records: Iterable[tuple[str, str]]) -> LexicalIndex:
        """From (chunk id, search text) pairs, read as a stream: tokens are kept as vocabulary ids only."""
        import bm25s

        ids: list[str] = []
        corpus: list[list[int]] = []
        vocab: dict[str, int] = {}
        df: Counter[int] = Counter()
        for chunk_id, text in records:
            tokens = [vocab.setdefault(t, len(vocab)) for t in tokenize(text)]
            ids.append(chunk_id)
            corpus.append(tokens)
            df.update(set(tokens))
        n = max(len(ids), 1)
        words = list(vocab)
        idf = {words[t]: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        model = bm25s.BM25()
        if ids:
            model.index((corpus, vocab), show_progress=False)
        return cls(ids, model, idf)

    def save(self, folder: Path) -> None:
        """Written to a temporary folder and renamed, so a reader never sees half an index."""
        partial = folder.with_name(f".{folder.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        self.model.save(partial, show_progress=False)
        (partial / "ids.json").write_text(json.dumps(self.ids))
        (partial / "idf.json").write_text(json.dumps(self.idf))
        try:
            partial.rename(folder)
        except OSError:  # another process saved the same generation first
            shutil.rmtree(partial, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        model = bm25s.BM25.load(folder, mmap=True, show_progress=False)
        return cls(json.loads((folder / "ids.json").read_text()), model,
                   json.loads((folder / "idf.json").read_text()))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        tokens = [t for t in tokenize(query) if t in self.model.vocab_dict]
        if not tokens:
            return []
        docs, scores = self.model.retrieve([tokens], k=min(k, len(self.ids)), show_progress=False)
        return [(self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


# --- the index -----------------------------------------------------------------------------------------

class Index:
    def __init__(self, path: Path, chroma_url: str | None = None, model: str = config.EMBEDDING_MODEL,
                 backend: str | None = config.EMBEDDING_BACKEND):
        """`backend=None`: the backend the index was built with, or `config.DEFAULT_BACKEND` for a new one."""
        config.apply_offline_env()
        import chromadb
        from chromadb.config import Settings

        self.path = Path(path)
        self.chroma_url = chroma_url
        self.model_name = model
        settings = Settings(anonymized_telemetry=False)
        if chroma_url:
            from urllib.parse import urlparse

            url = urlparse(chroma_url)
            try:
                self.client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                                  ssl=url.scheme == "https", settings=settings)
                self.client.heartbeat()
            except Exception as exc:
                raise AssistantError(f"cannot reach the Chroma server at {chroma_url} ({exc}); start it with "
                                  "`chroma run --path DIR --host 127.0.0.1 --port PORT` or drop --chroma-url") from None
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(self.path), settings=settings)
        # embedding_function=None: we always pass our own vectors; Chroma's default would download a model.
        self.chunks = self.client.get_or_create_collection(
            config.CHUNKS_COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})
        self.documents = self.client.get_or_create_collection(
            config.DOCUMENTS_COLLECTION, embedding_function=None)
        self.backend = backend or (self._querying_backend() if self.count() else config.DEFAULT_BACKEND)
        self._lexical: tuple[str, LexicalIndex] | None = None
        self._encoder = None
        self._vectorstore = None

    # -- model bookkeeping
    @property
    def built_with(self) -> str | None:
        meta = self.chunks.metadata or {}
        return meta.get("embedding_model")

    @property
    def built_backend(self) -> str | None:
        return (self.chunks.metadata or {}).get("embedding_backend")

    def _querying_backend(self) -> str:
        """The fastest backend giving the vectors this index holds: an index built with torch (or before
        backends were recorded, when torch was the only one) is queried through the identical ONNX export."""
        built = self.built_backend or "torch"
        return "onnx" if built == "torch" else built

    @property
    def encoder(self):
        """The encoder this index must be queried with: same model, and a backend giving the same vectors."""
        if self._encoder is None:
            from .embeddings import load_encoder

            built = self.built_with
            if built and built != self.model_name and self.count():
                raise AssistantError(
                    f"this index was built with the embedding model {built!r}, not {self.model_name!r}: "
                    f"set POLICY_ASSISTANT_MODEL={built} or rebuild the index into a new folder")
            mismatch = self._backend_mismatch()
            if mismatch and self.count():
                raise AssistantError(f"{mismatch[0]}: {mismatch[1]}")
            self._encoder = load_encoder(self.model_name, self.backend)
        return self._encoder

    def _backend_mismatch(self) -> tuple[str, str] | None:
        """(problem, repair) when this process's backend does not give the vectors the index holds."""
        from .embeddings import BACKENDS, built_vectors

        held, gives = built_vectors(self.chunks.metadata or {}), BACKENDS.get(self.backend)
        if held is None or held == gives:
            return None
        fits = [b for b, vectors in BACKENDS.items() if vectors == held]
        repair = (f"set POLICY_ASSISTANT_BACKEND={fits[0]} or rebuild into a new folder" if fits else
                  "rebuild the index into a new folder: no backend gives those vectors any more")
        return (f"this index holds {held} vectors (built with the {self.built_backend!r} backend), and the "
                f"{self.backend!r} backend gives {gives}"), repair

    def _stamp(self) -> None:
        """Record which model and backend built the vectors, and a new generation for the lexical index."""
        current = self.client.get_collection(config.CHUNKS_COLLECTION).metadata or {}
        from .embeddings import BACKENDS

        built = {"embedding_model": self.encoder.name, "embedding_backend": self.encoder.backend,
                 "embedding_vectors": BACKENDS[self.encoder.backend], "dimension": self.encoder.dimension}
        if current.get("embedding_model") and self.count():
            built = {k: current[k] for k in built if k in current}
        self.chunks.modify(metadata={**built, "generation": uuid.uuid4().hex})

    # -- reading
    def count(self) -> int:
        return self.chunks.count()

    def document_records(self) -> list[dict]:
        """Metadata of every document, with its number of passages."""
        out = [{"source": doc_id, **(meta or {})} for doc_id, _, meta in self._records(self.documents, ["metadatas"])]
        return sorted(out, key=lambda m: m["source"])

    @lru_cache(maxsize=256)  # noqa: B019 - one Index per process; texts are immutable per hash
    def _document_text(self, source: str, doc_hash: str) -> str:
        """The text of this version of the document, or "" when the record now holds another (a chunk of an
        older or unfinished version must not be quoted from the new text)."""
        got = self.documents.get(ids=[source], include=["documents", "metadatas"])
        if not got["ids"] or (got["metadatas"][0] or {}).get("hash", "") != doc_hash:
            return ""
        return got["documents"][0]

    def document_text(self, source: str, doc_hash: str | None = None) -> str:
        """The loaded text citations point into; pass the chunk's `doc_hash` to skip the version look-up."""
        if doc_hash is None:
            doc_hash = self._current_hashes({source}).get(source)
            if doc_hash is None:
                return ""
        return self._document_text(source, doc_hash)

    def get_chunks(self, ids: list[str]) -> list[StoredChunk]:
        """The chunks that belong to their document's current version. The document record is the truth at
        read time: passages an interrupted ingest wrote without their record (or left behind it) are never
        served, so a quote always comes from the text the record holds."""
        if not ids:
            return []
        got = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        found = [StoredChunk.from_record(i, d, m)
                 for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
        current = self._current_hashes({c.source for c in found})
        by_id = {c.id: c for c in found if current.get(c.source) == c.doc_hash}
        return [by_id[i] for i in ids if i in by_id]

    def _current_hashes(self, sources: set[str]) -> dict[str, str]:
        if not sources:
            return {}
        got = self.documents.get(ids=sorted(sources), include=["metadatas"])
        return {i: (m or {}).get("hash", "") for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def _records(self, collection, include: list[str]) -> Iterator[tuple[str, str | None, dict]]:
        """(id, text, metadata) of a whole collection, read a page at a time: SQLite refuses one query for
        ~32k records, and a page at a time keeps memory flat."""
        offset = 0
        while True:
            page = collection.get(include=include, limit=config.READ_PAGE, offset=offset)
            ids = page["ids"]
            texts = page.get("documents") or [None] * len(ids)
            metas = page.get("metadatas") or [None] * len(ids)
            yield from zip(ids, texts, metas, strict=True)
            if len(ids) < config.READ_PAGE:
                return
            offset += config.READ_PAGE

    def siblings(self, chunk: StoredChunk) -> list[StoredChunk]:
        """The other chunks cut from the same table, list or paragraph. Found through the document's record
        (a look-up by id), not a metadata filter over all chunks, which grows with the index (17 ms at 100k)."""
        ids = self._blocks(chunk.source, chunk.doc_hash).get(str(chunk.block), [])
        return self.get_chunks([i for i in ids if i != chunk.id])

    def introduced_block(self, chunk: StoredChunk) -> list[StoredChunk]:
        """The list or table that a lead-in paragraph ending in ':' introduces: the block that follows it with
        nothing but white space between."""
        if chunk.kind != "paragraph" or not chunk.text.rstrip().endswith(":"):
            return []
        blocks = self._blocks(chunk.source, chunk.doc_hash)
        following = min((int(b) for b in blocks if int(b) >= chunk.end), default=None)
        if following is None or self.document_text(chunk.source, chunk.doc_hash)[chunk.end:following].strip():
            return []
        return self.get_chunks(blocks[str(following)])

    @lru_cache(maxsize=1024)  # noqa: B019 - one Index per process; a document version's blocks never change
    def _blocks(self, source: str, doc_hash: str) -> dict[str, list[str]]:
        got = self.documents.get(ids=[source], include=["metadatas"])
        meta = (got["metadatas"][0] or {}) if got["ids"] else {}
        return json.loads(meta.get("blocks", "{}")) if meta.get("hash") == doc_hash else {}

    def dense_search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity, through LangChain's Chroma vector store; k <= chunk count."""
        if k < 1:
            return []
        vector = self.encoder.embed_query(query)
        results = self.vectorstore.similarity_search_by_vector_with_relevance_scores(vector, k=k)
        return [(doc.id, 1.0 - float(distance)) for doc, distance in results]

    @property
    def vectorstore(self):
        if self._vectorstore is None:
            from langchain_chroma import Chroma

            self._vectorstore = Chroma(client=self.client, collection_name=config.CHUNKS_COLLECTION,
                                       embedding_function=self.encoder)
        return self._vectorstore

    def fingerprint(self) -> str:
        """Changes whenever any process changes the chunks: every ingest that writes stamps a new generation
        on the collection, so one cheap look-up tells whether the lexical index is current."""
        meta = self.client.get_collection(config.CHUNKS_COLLECTION).metadata or {}
        return str(meta.get("generation", ""))

    @property
    def lexical_dir(self) -> Path:
        """Beside the embedded store; for a server, in this machine's cache, keyed by server and collection."""
        if not self.chroma_url:
            return self.path / "lexical"
        key = hashlib.sha1(f"{self.chroma_url}|{self.chunks.id}".encode()).hexdigest()[:16]
        return config.MODEL_CACHE / "lexical" / key

    def lexical(self) -> LexicalIndex:
        """The BM25 index of the current generation: kept in memory, else loaded from disk, else built."""
        generation = self.fingerprint()
        if self._lexical is None or self._lexical[0] != generation:
            self._lexical = (generation, self._load_or_build_lexical(generation))
        return self._lexical[1]

    def aliases(self, name: str, lexical: LexicalIndex) -> frozenset[str]:
        """Other names the documents give the same thing ("the Child Sex Offender Disclosure Scheme, widely
        known as Sarah's Law"), read from the passages that mention it: a figure given under one name answers
        a question that uses the other. `lexical` is the current BM25 index (`lexical()`)."""
        if name not in lexical.aliases:
            name_pattern = re.escape(name).replace("'", "['’]")
            found: set[str] = set()
            for chunk in self.get_chunks([i for i, _ in lexical.search(name, 8)]):
                for pattern in (rf"({_PROPER})\s*(?:,\s*{_KNOWN_AS}|\(\s*(?:{_KNOWN_AS}\s+)?)\s*{name_pattern}\b",
                                rf"\b{name_pattern}\s*(?:,\s*{_KNOWN_AS}|\(\s*(?:{_KNOWN_AS}\s+)?)\s*(?:the\s+)?({_PROPER})"):
                    found.update(re.sub(r"^The\s+", "", m[1]) for m in re.finditer(pattern, chunk.text))
            if len(lexical.aliases) > 1024:
                lexical.aliases.clear()
            lexical.aliases[name] = frozenset(a for a in found if a.lower() != name.lower())
        return lexical.aliases[name]

    def _load_or_build_lexical(self, generation: str) -> LexicalIndex:
        # Saved under the tokenizer's version too: a change in how text is tokenised makes old copies stale.
        saved = self.lexical_dir / f"{generation}-{config.TOKENIZER_VERSION}" if generation else None
        if saved is not None and saved.is_dir():
            try:
                return LexicalIndex.load(saved)
            except (OSError, ValueError, KeyError, EOFError) as exc:  # a damaged copy of derived data
                log.warning("the saved lexical index %s cannot be read (%s): rebuilding it from Chroma", saved, exc)
                shutil.rmtree(saved, ignore_errors=True)
        records = ((r[0], StoredChunk.from_record(*r).search_text())
                   for r in self._records(self.chunks, ["documents", "metadatas"]))
        lexical = LexicalIndex.build(records)
        if saved is not None and lexical.ids and self.fingerprint() == generation:  # nothing changed meanwhile
            saved.parent.mkdir(parents=True, exist_ok=True)
            lexical.save(saved)
            for old in saved.parent.iterdir():  # earlier generations: readers that mapped them keep their copy
                if old.is_dir() and old.name != saved.name and not old.name.startswith("."):
                    shutil.rmtree(old, ignore_errors=True)
        return lexical

    def check(self) -> CheckReport:
        """Counts, orphans and model agreement: everything a crash or a wrong setting could leave behind."""
        from .embeddings import MODELS, built_vectors

        meta = self.chunks.metadata or {}
        report = CheckReport(model=meta.get("embedding_model"), backend=meta.get("embedding_backend"),
                             dimension=meta.get("dimension"))
        docs = [(i, m or {}) for i, _, m in self._records(self.documents, ["metadatas"])]
        hashes = {i: m.get("hash") for i, m in docs}
        expected = {i: m.get("chunks") for i, m in docs}
        report.documents = len(hashes)
        per_doc: dict[str, int] = {}
        orphans = []
        mixed = 0
        recorded = built_vectors(meta)
        for chunk_id, _, m in self._records(self.chunks, ["metadatas"]):
            report.chunks += 1
            mixed += recorded is None or self._vectors_of(m or {}) != recorded
            source = (m or {}).get("source")
            if source not in hashes or (m or {}).get("doc_hash") != hashes[source]:
                orphans.append(chunk_id)
            else:
                per_doc[source] = per_doc.get(source, 0) + 1
        if orphans:
            report.problems.append(f"{len(orphans)} passages belong to no current document (an interrupted ingest?)")
            report.repairs.append("run the same `policy-assistant ingest` again: it replaces what is incomplete")
        if mixed:
            report.problems.append(f"{mixed} passages hold other vectors than the index records ({recorded}): "
                                   "they were embedded by another backend" if recorded else
                                   f"{mixed} passages were written before the index recorded its backend")
            report.repairs.append("run the same `policy-assistant ingest` again: it embeds them again")
        short = [s for s, n in expected.items() if per_doc.get(s, 0) != n]
        if short:
            report.problems.append(f"{len(short)} documents do not have all their passages: {', '.join(short[:5])}")
            report.repairs.append("run the same `policy-assistant ingest` again")
        if report.model and report.model != self.model_name:
            report.problems.append(f"built with {report.model}, but this process uses {self.model_name}")
            report.repairs.append(f"set POLICY_ASSISTANT_MODEL={report.model}, or rebuild into a new folder")
        mismatch = self._backend_mismatch()
        if mismatch:
            report.problems.append(mismatch[0])
            report.repairs.append(mismatch[1])
        if report.model in MODELS and report.chunks:
            got = self.chunks.get(limit=1, include=["embeddings"])["embeddings"]
            if got is not None and len(got) and report.dimension and len(got[0]) != report.dimension:
                report.problems.append(f"vectors have {len(got[0])} dimensions, the index says {report.dimension}")
                report.repairs.append("rebuild the index into a new folder")
        return report

    # -- writing
    def ingest(self, paths: Iterable[str | Path], progress: Callable[[str, str, int], None] | None = None,
               prune: bool = False) -> IngestReport:
        """Add new documents, replace changed ones, skip unchanged ones; report every file to `progress`
        (status, source, passages embedded). With `prune`, documents no longer present under the given paths
        are removed. Documents are committed a group at a time, so an interrupted ingest resumes where it
        stopped when run again. The lexical index is rebuilt and saved last, so servers start on it at once."""
        started = time.perf_counter()
        report = IngestReport()
        seen: set[str] = set()
        with self._writer_lock():
            pending: list[_Plan] = []

            def flush() -> None:
                self._commit(pending)
                for plan in pending:
                    (report.updated if plan.existed else report.added).append(plan.doc.source)
                    report.chunks_embedded += len(plan.fresh)
                    if progress:
                        progress("updated" if plan.existed else "added", plan.doc.source, len(plan.fresh))
                pending.clear()

            loaded: list[Document] = []

            def plan_loaded() -> None:
                for doc, needs in zip(loaded, self._plans(loaded), strict=True):
                    if needs is None:
                        report.unchanged.append(doc.source)
                        if progress:
                            progress("unchanged", doc.source, 0)
                        continue
                    pending.append(needs)
                    if sum(len(p.fresh) for p in pending) >= config.EMBED_GROUP:
                        flush()
                loaded.clear()

            for item in load_paths(paths):
                seen.add(item.source)
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                    if progress:
                        progress("skipped", f"{item.source}: {item.reason}", 0)
                    continue
                loaded.append(item)
                if len(loaded) == config.PLAN_BATCH:
                    plan_loaded()
            if loaded:
                plan_loaded()
            if pending:
                flush()
            if prune:
                # a folder that could not be listed is not a folder that was emptied: its documents stay
                unread = tuple(s.source.removeprefix("./") for s in report.skipped if s.source.endswith("/"))
                for source in sorted({i for i, _, _ in self._records(self.documents, [])} - seen):
                    if unread and source.startswith(unread):
                        continue
                    self._remove_document(source)
                    report.removed.append(source)
                    if progress:
                        progress("removed", source, 0)
            if report.added or report.updated or report.removed:
                if progress:
                    progress("indexing", "lexical search over all passages", 0)
                self.lexical()
        report.seconds = time.perf_counter() - started
        return report

    def _remove_document(self, source: str) -> None:
        self.documents.delete(ids=[source])  # the commit marker goes first: a crash leaves orphans, not ghosts
        self.chunks.delete(where={"source": source})
        self._stamp()

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """One writer per index: a second ingest says who holds it instead of interleaving its writes."""
        if self.chroma_url:  # a shared server serialises its own writes; documents are committed one by one
            yield
            return
        lock_path = self.path / ".ingest.lock"
        with lock_path.open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise AssistantError(f"another ingest ({holder}) is writing {self.path}; wait for it to finish "
                                     "and run this one again") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _plans(self, docs: list[Document]) -> list[_Plan | None]:
        """What each document needs: None when it is unchanged, else which chunks are new, kept or stale.
        A stored passage whose vector another backend gave counts as missing, so it is embedded again.
        Two look-ups per batch of documents, not two per document."""
        sources = [d.source for d in docs]
        old_hash = self._current_hashes(set(sources))
        stored = self.chunks.get(where={"source": {"$in": sources}}, include=["metadatas"])
        all_ids: dict[str, set[str]] = {s: set() for s in sources}
        usable: dict[str, set[str]] = {s: set() for s in sources}
        for chunk_id, meta in zip(stored["ids"], stored["metadatas"], strict=True):
            source = (meta or {}).get("source")
            all_ids[source].add(chunk_id)
            if self._vectors_of(meta or {}) == self._vectors:
                usable[source].add(chunk_id)
        plans: list[_Plan | None] = []
        for doc in docs:
            doc_hash = f"{doc.content_hash}-{config.INDEX_LAYOUT}"
            chunks = chunk_document(doc)
            old, new = usable[doc.source], {c.id for c in chunks}
            unchanged = old_hash.get(doc.source) == doc_hash and old == new == all_ids[doc.source]
            plans.append(None if unchanged else _Plan(
                doc=doc, doc_hash=doc_hash, chunks=chunks, existed=doc.source in old_hash,
                fresh=[c for c in chunks if c.id not in old], kept=[c for c in chunks if c.id in old],
                stale=sorted(all_ids[doc.source] - new)))
        return plans

    @property
    def _vectors(self) -> str:
        """The vector space this process's backend embeds into."""
        from .embeddings import BACKENDS

        return BACKENDS[self.backend]

    def _vectors_of(self, meta: dict) -> str | None:
        """The space a stored passage's vector is in; one written before passages said so is in the space the
        index recorded."""
        from .embeddings import built_vectors

        return meta.get("vectors") or built_vectors(self.chunks.metadata or {})

    def _commit(self, plans: list[_Plan]) -> None:
        """Embed the new chunks of several documents, then write, in few large calls: new chunks, then the
        documents' records, then the kept chunks' move to the new version and the stale chunks' removal. Reads
        serve only chunks of a record's version (`get_chunks`), so a crash at any point serves either the old
        version whole or the new one in part, never a passage whose text the record does not hold; the next
        ingest finishes what was left."""
        if not self.count():
            self._stamp()  # the backend is on record before the first vector is written
        fresh = [(c, p) for p in plans for c in p.fresh]
        embedded = self.encoder.encode([c.search_text(p.doc.title) for c, p in fresh]) if fresh else []
        vectors = self._vectors
        for i in range(0, len(fresh), config.WRITE_BATCH):  # few large writes: each call has a fixed cost
            batch = fresh[i:i + config.WRITE_BATCH]
            self.chunks.upsert(ids=[c.id for c, _ in batch], embeddings=np.asarray(embedded[i:i + config.WRITE_BATCH]),
                               documents=[c.text for c, _ in batch],
                               metadatas=[_chunk_metadata(c, p.doc, p.doc_hash, vectors) for c, p in batch])
        self.documents.upsert(  # the commit point: from here on the new version is the one served
            ids=[p.doc.source for p in plans],
            embeddings=[[1.0]] * len(plans),  # the documents collection is looked up by id, never by vector
            documents=[p.doc.text for p in plans],
            metadatas=[{k: v for k, v in {**p.doc.metadata(), "hash": p.doc_hash, "chunks": len(p.chunks),
                                          "blocks": _blocks_of(p.chunks)}.items() if v is not None} for p in plans],
        )
        kept = [(c, p) for p in plans for c in p.kept]
        if kept:  # same content: only the document version they point to moves on
            self.chunks.update(ids=[c.id for c, _ in kept],
                               metadatas=[_chunk_metadata(c, p.doc, p.doc_hash, vectors) for c, p in kept])
        stale = [i for p in plans for i in p.stale]
        if stale:
            self.chunks.delete(ids=stale)
        self._stamp()


@dataclass
class _Plan:
    doc: Document
    doc_hash: str
    chunks: list[Chunk]
    existed: bool
    fresh: list[Chunk]
    kept: list[Chunk]
    stale: list[str]
