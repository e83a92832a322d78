"""The one API: the CLI, the Gradio app and the evaluation harness are thin layers over `Assistant`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import config, pipeline, quote
from .answer import Answer
from .errors import AssistantError
from .index import Index, IngestReport

PUBLIC_DOCUMENT_FIELDS = ("source", "title", "publisher", "published", "url", "doc_type", "chunks")


class Assistant:
    def __init__(self, index: Index):
        self.index = index

    @classmethod
    def open(cls, path: str | Path | None = None, *, chroma_url: str | None = None, create: bool = True,
             model: str = config.EMBEDDING_MODEL, backend: str | None = config.EMBEDDING_BACKEND) -> Assistant:
        """Open the index at `path` (created empty if missing, unless `create=False`)."""
        path = Path(path) if path is not None else config.default_index_dir()
        chroma_url = chroma_url if chroma_url is not None else config.default_chroma_url()
        if not create and not chroma_url and not (path / "chroma.sqlite3").exists():
            raise AssistantError(f"no index at {path}: build one with `policy-assistant ingest corpus "
                                 f"--index {path}` (or `make run`)")
        return cls(Index(path, chroma_url=chroma_url, model=model, backend=backend))

    def ingest(self, paths: Iterable[str | Path], progress: Callable[[str, str, int], None] | None = None,
               prune: bool = False) -> IngestReport:
        paths = list(paths)
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            raise AssistantError(f"no such file or folder: {', '.join(missing)}")
        with self._store_errors():
            return self.index.ingest(paths, progress=progress, prune=prune)

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        with self._store_errors():
            return pipeline.run(question, history, self.index)

    def quote(self, wording: str) -> quote.QuoteReport:
        with self._store_errors():
            return quote.find(self.index, wording)

    def documents(self) -> list[dict]:
        """One record per document with its public fields only (the index's hashes and block maps are its own)."""
        with self._store_errors():
            return [{k: r.get(k) for k in PUBLIC_DOCUMENT_FIELDS} for r in self.index.document_records()]

    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        """A vector store that has gone away is the user's to fix, not a traceback: say so plainly. The
        HTTP client reconnects by itself, so the next call works once the server is back."""
        try:
            yield
        except AssistantError:
            raise
        except Exception as exc:
            import httpx

            if not isinstance(exc, httpx.TransportError) and not type(exc).__module__.startswith("chromadb"):
                raise
            where = f"the Chroma server at {self.index.chroma_url}" if self.index.chroma_url else "the index"
            raise AssistantError(f"{where} is not answering ({type(exc).__name__}: {exc}); nothing was changed. "
                                 "Start it again (or check the path) and retry.") from exc
