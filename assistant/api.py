"""The one API: the CLI, the Gradio app and the evaluation harness are thin layers over `Assistant`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from . import config, pipeline, quote
from .answer import Answer
from .errors import AssistantError
from .index import Index, IngestReport


class Assistant:
    def __init__(self, index: Index):
        self.index = index

    @classmethod
    def open(cls, path: str | Path | None = None, *, chroma_url: str | None = None, create: bool = True,
             model: str = config.EMBEDDING_MODEL, backend: str = config.EMBEDDING_BACKEND) -> Assistant:
        """Open the index at `path` (created empty if missing, unless `create=False`)."""
        path = Path(path) if path is not None else config.default_index_dir()
        chroma_url = chroma_url if chroma_url is not None else config.default_chroma_url()
        if not create and not chroma_url and not (path / "chroma.sqlite3").exists():
            raise AssistantError(f"no index at {path}: build one with `policy-assistant ingest corpus "
                                 f"--index {path}` (or `make run`)")
        return cls(Index(path, chroma_url=chroma_url, model=model, backend=backend))

    def ingest(self, paths: Iterable[str | Path],
               progress: Callable[[str, str], None] | None = None) -> IngestReport:
        paths = list(paths)
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            raise AssistantError(f"no such file or folder: {', '.join(missing)}")
        return self.index.ingest(paths, progress=progress)

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        return pipeline.run(question, history, self.index)

    def quote(self, wording: str) -> quote.QuoteReport:
        return quote.find(self.index, wording)

    def documents(self) -> list[dict]:
        return self.index.document_records()
