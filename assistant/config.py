"""Every tunable in one place, and the offline environment every entry point needs.

Library code reads these constants; nothing else in the package hard-codes a path, a limit or a model.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# No model hub, no analytics, no telemetry: these machines (and the public deployments we aim at) have no
# network, and a library that tries to phone home either hangs or logs tracebacks.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Set the offline variables unless the caller already chose a value."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def default_index_dir() -> Path:
    return Path(os.environ.get("POLICY_ASSISTANT_INDEX", "index"))


def default_chroma_url() -> str | None:
    return os.environ.get("CHROMA_URL") or None


# --- loading -------------------------------------------------------------------------------------------
SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are reported and skipped, never half-read
# A PDF, or any file over FENCED_LOAD_BYTES, is read in a worker process that is stopped after FILE_SECONDS: a
# damaged or hostile file is reported and skipped instead of holding up the ingest (or a server's upload).
FILE_SECONDS = float(os.environ.get("POLICY_ASSISTANT_FILE_SECONDS", 60))
FENCED_LOAD_BYTES = 1024 * 1024
MAX_FRONT_MATTER_CHARS = 20_000

# --- chunking ------------------------------------------------------------------------------------------
CHUNK_MAX_CHARS = 600  # MiniLM reads 256 word pieces; longer passages would be silently truncated
LIST_MAX_CHARS = 300  # list items are often facts of their own: small chunks keep their vectors sharp
TABLE_ROWS_PER_CHUNK = 1  # a row and its header read alone: a figure lookup finds its own row

# --- embedding -----------------------------------------------------------------------------------------
EMBEDDING_MODEL = os.environ.get("POLICY_ASSISTANT_MODEL", "all-MiniLM-L6-v2")
# torch | onnx | onnx-int8. int8 (per-channel) encodes 1.7x as fast as fp32 on 2 cores and lost no answer on the
# developer and held-out cases (README, "Scaling"), so new indexes use it. An existing index keeps the backend it
# was built with unless POLICY_ASSISTANT_BACKEND asks for another, which must then give the same vectors.
DEFAULT_BACKEND = "onnx-int8"
EMBEDDING_BACKEND = os.environ.get("POLICY_ASSISTANT_BACKEND") or None  # None: the index's own, else the default
ONNX_THREADS = 2
EMBED_BATCH = 32  # torch only: the ONNX backends encode one text at a time (embeddings.py)
MODEL_CACHE = Path(os.environ.get("POLICY_ASSISTANT_MODEL_CACHE", Path.home() / ".cache" / "policy-assistant"))

# --- index ---------------------------------------------------------------------------------------------
CHUNKS_COLLECTION = "chunks"
# Bumped when chunk or document metadata changes shape: the next ingest rewrites it (vectors are kept).
INDEX_LAYOUT = "v5"  # v5: each passage names the vectors it holds
DOCUMENTS_COLLECTION = "documents"
WRITE_BATCH = 256
PLAN_BATCH = 32  # documents whose stored state is looked up together during ingest
EMBED_GROUP = 2048  # new chunks gathered across documents before one encode and one write: bounded memory, few writes
READ_PAGE = 1_000  # records per read of a whole collection: larger pages cost Chroma far more memory

TOKENIZER_VERSION = "t2"  # bumped when lexical tokenisation changes: saved BM25 indexes are then rebuilt

# --- retrieval -----------------------------------------------------------------------------------------
DENSE_K = 20
LEXICAL_K = 20
RRF_K = 60
HITS_FOR_ANSWER = 12
HITS_SHARE_PER_DOCUMENT = 1 / 3  # share of the hits one document may take (at least 2)

# --- answering -----------------------------------------------------------------------------------------
MAX_QUESTION_CHARS = 2_000
MAX_REQUEST_BYTES = 256 * 1024  # a question with six turns of history is under 100 KB; anything bigger is refused
MAX_HISTORY_TURNS = 6
MAX_ANSWER_UNITS = 3  # sentences or table rows quoted in one answer
READER_MAX_LENGTH = 128  # word pieces of question + candidate the trained reader reads (a unit, its header, heading)

# --- guard ---------------------------------------------------------------------------------------------
INTENT_MAX_CHARS = 600  # of a longer question the intent model reads the first and last halves of this: every
# labelled question is under 300 characters, and its encoder's cost grows faster than the text (2,000 chars ~1 s)
INTENT_THREADS = 1  # one short query: a second thread only contends with onnxruntime's (dev eval p50 87 -> 75 ms)


def package_version() -> str:
    """The installed distribution's version: what `--version` prints and the eval report records."""
    try:
        return version("policy-assistant")
    except PackageNotFoundError:
        return "unknown"


def extra_hosts() -> list[str]:
    """Host names a deployment serves the app under, beyond 127.0.0.1 and localhost (comma-separated)."""
    return [h.strip().lower() for h in os.environ.get("POLICY_ASSISTANT_HOSTS", "").split(",") if h.strip()]
