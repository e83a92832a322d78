"""Labelled reader data -> answer units with offsets, and the check the data writers run.

A writer labels an answer by copying its words from the document as a reader sees it (DATA_SPEC.md); this
module finds those words in the text the assistant itself loads from the file (so HTML boilerplate, PDF line
breaks and markdown markup are as the assistant sees them) and turns them into the units the answerer quotes:
every sentence, list item or table row that the labelled words cover. A label that cannot be found is an
error: a training pair is never guessed. Usage:
    python training/check_data.py training/data/<slug> [...]
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

if importlib.util.find_spec("assistant") is None:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.chunking import Chunk, chunk_document, split_units  # noqa: E402
from assistant.documents import Document, load_file  # noqa: E402

KINDS = {"fact", "wording", "duty", "open", "followup", "sensitive", "computed", "abstain"}
ASKERS = {"public", "press", "evaluator"}
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-", "\u00a0": " ",
                       "†": "+"})
_DROPPED = set("|*_`")


@dataclass
class Unit:
    source: str
    start: int
    end: int
    chunk: Chunk


@dataclass
class Question:
    id: str
    jurisdiction: str
    question: str
    kind: str
    asker: str
    history: list[dict]
    answers: list[Unit] = field(default_factory=list)  # the units that answer; empty when not answerable
    note: str = ""


@dataclass
class Jurisdiction:
    slug: str
    docs: dict[str, Document]
    questions: list[Question]
    errors: list[str]


def _folded(text: str) -> tuple[str, list[int]]:
    """Lower-case text with markup, quote styles and runs of white space folded, and the offset in `text`
    of every character kept, so that a match in the folded text maps back to the original."""
    out: list[str] = []
    where: list[int] = []
    space = True
    for i, ch in enumerate(text.translate(_FOLD).lower()):
        if ch in _DROPPED:
            continue
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        out.append(ch)
        where.append(i)
        space = False
    return "".join(out), where


def units_of(doc: Document) -> list[Unit]:
    """The units the answerer quotes: sentences of paragraphs, items of lists, rows of tables."""
    return [Unit(doc.source, chunk.start + s, chunk.start + e, chunk)
            for chunk in chunk_document(doc) for s, e in split_units(chunk.text, 0, len(chunk.text), chunk.kind)]


def is_answer(source: str, start: int, end: int, gold: list[Unit]) -> bool:
    """Whether a span the assistant quoted is one of the labelled answer units: the same document, and most of
    the shorter of the two spans shared (a quote may take a sentence's lead-in or a table row's header)."""
    for g in gold:
        shared = min(end, g.end) - max(start, g.start)
        if source == g.source and shared > 0 and shared >= 0.5 * min(end - start, g.end - g.start):
            return True
    return False


def locate(doc: Document, units: list[Unit], words: str) -> list[Unit]:
    """Every unit that the labelled words cover (a sentence split in two by the splitter gives both)."""
    haystack, where = _folded(doc.text)
    needle = _folded(words)[0].strip(" .")
    if len(needle) < 3:
        return []
    found: list[Unit] = []
    for match in re.finditer(re.escape(needle), haystack):
        start, end = where[match.start()], where[match.end() - 1] + 1
        for u in units:
            overlap = min(u.end, end) - max(u.start, start)
            covers = overlap >= 0.5 * (u.end - u.start) or overlap >= 0.8 * (end - start)
            if overlap > 0 and covers and u not in found:
                found.append(u)
    return found


def load_jurisdiction(folder: Path) -> Jurisdiction:
    errors: list[str] = []
    docs: dict[str, Document] = {}
    for path in sorted((folder / "docs").iterdir()):
        try:
            docs[path.name] = load_file(path, path.name)
        except Exception as exc:  # a document the assistant cannot read is a data error to fix
            errors.append(f"{path.name}: cannot be loaded: {exc}")
    units = {name: units_of(doc) for name, doc in docs.items()}
    raw = yaml.safe_load((folder / "questions.yaml").read_text(encoding="utf-8")) or {}
    questions: list[Question] = []
    seen: set[str] = set()
    for i, item in enumerate(raw.get("questions") or []):
        qid = str(item.get("id") or f"#{i}")
        problems = []
        if qid in seen:
            problems.append("duplicate id")
        seen.add(qid)
        if item.get("kind") not in KINDS:
            problems.append(f"kind {item.get('kind')!r} is not one of {sorted(KINDS)}")
        if item.get("asker") not in ASKERS:
            problems.append(f"asker {item.get('asker')!r} is not one of {sorted(ASKERS)}")
        history = item.get("history") or []
        if not all(isinstance(t, dict) and t.get("role") in ("user", "assistant") and t.get("content")
                   for t in history):
            problems.append("history turns need role (user|assistant) and content")
        answers = item.get("answers") or []
        if item.get("kind") == "abstain" and answers:
            problems.append("an abstain question has answers")
        if item.get("kind") not in ("abstain", None) and not answers:
            problems.append("no answers given")
        found: list[Unit] = []
        for answer in answers:
            source, words = str(answer.get("source", "")), str(answer.get("text", ""))
            if source not in docs:
                problems.append(f"source {source!r} is not in docs/")
                continue
            hit = locate(docs[source], units[source], words)
            if not hit:
                problems.append(f"text not found in {source} as the assistant reads it: {words[:80]!r}")
            found += [u for u in hit if u not in found]
        if not str(item.get("question") or "").strip():
            problems.append("empty question")
        errors += [f"{qid}: {p}" for p in problems]
        if not problems:
            questions.append(Question(qid, folder.name, str(item["question"]), item["kind"], item["asker"],
                                      history, found, str(item.get("note") or "")))
    return Jurisdiction(folder.name, docs, questions, errors)


def main(folders: list[str]) -> int:
    bad = 0
    for folder in map(Path, folders):
        j = load_jurisdiction(folder)
        for line in j.errors:
            print(f"{folder.name}: {line}")
        kinds: dict[str, int] = {}
        for q in j.questions:
            kinds[q.kind] = kinds.get(q.kind, 0) + 1
        print(f"{folder.name}: {len(j.docs)} documents, {len(j.questions)} questions accepted "
              f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}), {len(j.errors)} problems")
        bad += len(j.errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
