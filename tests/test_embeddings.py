"""Embedding backends: the ONNX export of the bundled model gives the same vectors as sentence-transformers,
and an index refuses to be queried with a backend whose vectors differ."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant, AssistantError, config
from assistant.embeddings import load_encoder

from .conftest import EVAL_DOCS

TEXTS = [
    "How many registered sex offenders live in the area?",
    "There were 1,231 registered sex offenders living in the force area at 31 March 2024. " * 12,  # truncated
    "MAPPA",
]


def test_onnx_backend_gives_the_same_vectors_as_sentence_transformers():
    torch_vectors = load_encoder(backend="torch").encode(TEXTS)
    onnx_vectors = load_encoder(backend="onnx").encode(TEXTS)
    cosines = (torch_vectors * onnx_vectors).sum(axis=1)
    assert np.all(cosines > 0.9999), cosines
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)


def test_int8_backend_is_close_but_not_identical():
    exact = load_encoder(backend="onnx").encode(TEXTS)
    small = load_encoder(backend="onnx-int8").encode(TEXTS)
    cosines = (exact * small).sum(axis=1)
    # per-channel scales keep it this close (per-tensor int8 fell to about 0.93)
    assert np.all(cosines > 0.97) and not np.all(cosines > 0.9999), cosines


def test_a_new_index_uses_the_default_backend_and_an_existing_one_keeps_its_own(tmp_path):
    fresh = Assistant.open(tmp_path / "new")
    assert fresh.index.backend == config.DEFAULT_BACKEND
    Assistant.open(tmp_path / "old", backend="onnx").ingest([EVAL_DOCS / "seed-oxfordshire-register.md"])
    reopened = Assistant.open(tmp_path / "old", backend=None)  # no backend asked for
    assert reopened.index.backend == "onnx"
    assert reopened.ask("How many registered offenders live in Oxfordshire?").status == "answered"
    assert reopened.index.check().ok


def test_index_refuses_a_backend_with_different_vectors(tmp_path):
    Assistant.open(tmp_path / "ix", backend="onnx").ingest([EVAL_DOCS / "seed-oxfordshire-register.md"])
    same = Assistant.open(tmp_path / "ix", backend="torch")  # same vectors: fine
    assert same.ask("How many registered offenders live in Oxfordshire?").status == "answered"
    other = Assistant.open(tmp_path / "ix", backend="onnx-int8")
    with pytest.raises(AssistantError, match="backend"):
        other.ask("How many registered offenders live in Oxfordshire?")
    assert any("backend" in p for p in other.index.check().problems)


def test_an_index_of_the_older_per_tensor_int8_export_is_refused_with_a_rebuild(tmp_path):
    built = Assistant.open(tmp_path / "ix", backend="onnx-int8")
    built.ingest([EVAL_DOCS / "seed-oxfordshire-register.md"])
    stamped = dict(built.index.chunks.metadata)
    assert stamped["embedding_vectors"] == "int8-per-channel"
    del stamped["embedding_vectors"]  # what an index written by the first int8 export carries
    built.index.chunks.modify(metadata=stamped)
    old = Assistant.open(tmp_path / "ix")
    with pytest.raises(AssistantError, match="int8-per-tensor.*rebuild"):
        old.ask("How many registered offenders live in Oxfordshire?")
    assert any("int8-per-tensor" in p for p in old.index.check().problems)


@pytest.mark.parametrize("backend", ["onnx-int8", "onnx"])
def test_a_text_gets_the_same_vector_whatever_it_is_encoded_with(backend):
    """int8 quantises a run's activations with one scale: in a batch, a passage's vector depended on its
    neighbours (cosine down to 0.97), so answers depended on which question came first."""
    encoder = load_encoder(backend=backend)
    alone = [encoder.encode([t])[0] for t in TEXTS]
    assert np.array_equal(encoder.encode(TEXTS), np.stack(alone))
    assert np.array_equal(encoder.encode(TEXTS[::-1])[::-1], np.stack(alone))


def test_passages_embedded_by_another_backend_are_found_and_embedded_again(tmp_path):
    """A crash or a changed setting can leave some passages with another backend's vectors: each passage says
    which vectors it holds, `check` counts the others, and the next ingest embeds exactly those again."""
    source = EVAL_DOCS / "seed-oxfordshire-register.md"
    built = Assistant.open(tmp_path / "ix", backend="onnx-int8")
    built.ingest([source])
    stored = built.index.chunks.get(include=["metadatas", "documents"])
    assert {m["vectors"] for m in stored["metadatas"]} == {"int8-per-channel"}
    wrong = stored["ids"][: len(stored["ids"]) // 2]
    exact = load_encoder(backend="onnx")
    titles = {i: m for i, m in zip(stored["ids"], stored["metadatas"], strict=True)}
    built.index.chunks.update(ids=wrong, embeddings=exact.encode([stored["documents"][i] for i in range(len(wrong))]),
                              metadatas=[{**titles[i], "vectors": "exact"} for i in wrong])
    check = built.index.check()
    assert any(f"{len(wrong)} passages hold other vectors" in p for p in check.problems), check.lines()
    report = Assistant.open(tmp_path / "ix").ingest([source])
    assert report.chunks_embedded == len(wrong)
    assert built.index.check().ok
    again = built.index.chunks.get(ids=wrong, include=["metadatas", "embeddings"])
    assert {m["vectors"] for m in again["metadatas"]} == {"int8-per-channel"}
    assert not np.allclose(again["embeddings"], exact.encode([stored["documents"][i] for i in range(len(wrong))]))
