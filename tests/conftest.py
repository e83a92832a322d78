"""Shared fixtures: real indexes built with the real embedding model into temporary folders, once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import Assistant, config

config.apply_offline_env()

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POLICY_ASSISTANT_SHARED", ROOT.parent / "shared"))
EVAL_DOCS = SHARED / "eval" / "docs"
EVAL_CASES = SHARED / "eval" / "dev-cases.yaml"
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def eval_assistant(tmp_path_factory) -> Assistant:
    """An index of ../shared/eval/docs (the developer evaluation corpus)."""
    if not EVAL_DOCS.is_dir():
        pytest.fail(f"the developer evaluation set is missing: expected {EVAL_DOCS}")
    assistant = Assistant.open(tmp_path_factory.mktemp("eval-index"))
    report = assistant.ingest([EVAL_DOCS])
    assert not report.skipped, report.skipped
    return assistant


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory) -> Assistant:
    """An index of corpus/ (the sample documents shipped with the project)."""
    assistant = Assistant.open(tmp_path_factory.mktemp("corpus-index"))
    assistant.ingest([CORPUS])
    return assistant


HOLDOUT = ROOT / "tests" / "holdout"


@pytest.fixture(scope="session")
def holdout_assistant(tmp_path_factory, request) -> Assistant:
    """An index of one held-out set's documents (tests/holdout/<force>/docs), built once per set."""
    assistant = Assistant.open(tmp_path_factory.mktemp(f"holdout-{request.param}"))
    report = assistant.ingest([HOLDOUT / request.param / "docs"])
    assert not report.skipped, report.skipped
    return assistant
