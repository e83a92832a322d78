"""The command line, run as a user runs it: JSON that matches the contract, clear errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest

from .conftest import EVAL_DOCS, SHARED

SCHEMA = json.loads((SHARED / "answer.schema.json").read_text())
ENV = dict(os.environ, HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False")


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "index"
    result = cli("ingest", str(EVAL_DOCS), "--index", str(path))
    assert result.returncode == 0, result.stderr
    assert "added 9" in result.stdout
    return path


@pytest.mark.parametrize(("question", "status"), [
    ("How many registered sex offenders were living in Oxfordshire according to the news report?", "answered"),
    ("What is the home address of the offenders who went abroad?", "refused"),
    ("How many registered sex offenders lived in Oxfordshire in 1987?", "no_answer"),
])
def test_ask_json_matches_the_contract(index, question, status):
    result = cli("ask", question, "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    jsonschema.validate(answer, SCHEMA)
    assert answer["status"] == status


def test_reingest_reports_unchanged(index):
    result = cli("ingest", str(EVAL_DOCS), "--index", str(index), "--json")
    report = json.loads(result.stdout)
    assert report["chunks_embedded"] == 0 and len(report["unchanged"]) == 9


def test_quote_json(index):
    result = cli("quote", "we track them down fairly quickly", "--index", str(index), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["exact"][0]["source"] == "seed-oxfordshire-register.md"


def test_errors_are_clear_and_not_tracebacks(index, tmp_path):
    empty = cli("ask", "   ", "--index", str(index))
    assert empty.returncode != 0 and "empty" in empty.stderr and "Traceback" not in empty.stderr
    missing = cli("ask", "How many?", "--index", str(tmp_path / "nowhere"))
    assert missing.returncode != 0 and "ingest" in missing.stderr and "Traceback" not in missing.stderr
    bad_path = cli("ingest", str(tmp_path / "nope"), "--index", str(tmp_path / "ix"))
    assert bad_path.returncode != 0 and "no such file" in bad_path.stderr


def test_version():
    result = cli("--version")
    assert result.returncode == 0 and "policy-assistant" in result.stdout
