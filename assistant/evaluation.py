"""Scripted evaluation: a case file -> strict per-case scores, a summary by kind, JSON and HTML reports, gates.

Every case goes through the same `Assistant.ask` the app and the CLI use. The scorer is deliberately strict:
an answer must contain an expected string *and* cite an expected source; a refusal must be a refusal and
carry nothing; an abstention must be `no_answer` and state no figure; and every figure or quotation in an
answer must be found in the passages it cites (the faithfulness check).
"""

from __future__ import annotations

import html
import json
import re
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .answer import Answer
from .errors import AssistantError
from .question import number_tokens

KINDS = ("fact", "wording", "duty", "refuse", "abstain", "followup", "sensitive")
FIELDS = {"id": str, "question": str, "kind": str, "expect_any": list, "expect_sources": list,
          "must_refuse": bool, "must_abstain": bool, "history": list, "notes": str}
ACCURACY_KINDS = ("fact", "wording", "duty")


@dataclass
class Case:
    id: str
    question: str
    kind: str
    expect_any: list[str] = field(default_factory=list)
    expect_sources: list[str] = field(default_factory=list)
    must_refuse: bool = False
    must_abstain: bool = False
    history: list[dict] = field(default_factory=list)
    notes: str = ""


@dataclass
class Result:
    case: Case
    answer: dict
    passed: bool
    correct: bool | None  # expected string found (cases with expect_any)
    cited: bool | None  # an expected source cited (cases with expect_sources)
    refused: bool
    unfaithful: list[str]  # figures or quotations not found in the cited passages
    failures: list[str]  # why it failed, in words

    def to_dict(self) -> dict:
        return {"id": self.case.id, "kind": self.case.kind, "question": self.case.question,
                "passed": self.passed, "correct": self.correct, "cited": self.cited, "refused": self.refused,
                "unfaithful": self.unfaithful, "failures": self.failures, "case": asdict(self.case),
                "answer": self.answer}


# --- cases ---------------------------------------------------------------------------------------------

def load_cases(path: Path) -> list[Case]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssistantError(f"no case file at {path}") from None
    except yaml.YAMLError as exc:
        raise AssistantError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise AssistantError(f"{path}: expected a mapping with a `cases:` list")
    cases, seen = [], set()
    for i, raw in enumerate(data["cases"], start=1):
        where = f"{path}: case {raw.get('id', f'#{i}') if isinstance(raw, dict) else f'#{i}'}"
        if not isinstance(raw, dict):
            raise AssistantError(f"{where}: each case must be a mapping")
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            raise AssistantError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
        for name in ("id", "question", "kind"):
            if not raw.get(name):
                raise AssistantError(f"{where}: missing field `{name}`")
        for name, kind in FIELDS.items():
            if name in raw and raw[name] is not None and not isinstance(raw[name], kind):
                raise AssistantError(f"{where}: field `{name}` must be a {kind.__name__}")
        if raw["kind"] not in KINDS:
            raise AssistantError(f"{where}: field `kind` is {raw['kind']!r}; one of {', '.join(KINDS)}")
        if raw["id"] in seen:
            raise AssistantError(f"{where}: duplicate id")
        seen.add(raw["id"])
        for turn in raw.get("history") or []:
            if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or "content" not in turn:
                raise AssistantError(f"{where}: field `history` needs items with role user|assistant and content")
        cases.append(Case(**{k: v for k, v in raw.items() if v is not None}))
    return cases


# --- scoring -------------------------------------------------------------------------------------------

def _norm(text: str) -> str:
    text = text.lower().translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"\*\*|__|`", "", text)
    return " ".join(text.split())


def unfaithful_parts(answer: dict) -> list[str]:
    """Figures and quotations in an answer that none of its cited passages contains. Citation markers and
    the publication dates the answer attributes figures to are metadata, not claims about the text."""
    if answer["status"] != "answered":
        return []
    quotes = " ".join(_norm(c["quote"]) for c in answer["citations"])
    metadata = " ".join(f"{c.get('published') or ''} {c.get('title') or ''}" for c in answer["citations"])
    allowed = number_tokens(quotes) | _date_numbers(metadata)
    text = re.sub(r"\[\d+\]", "", answer["answer"])
    problems = [f"figure {n}" for n in sorted(number_tokens(text) - allowed)]
    titles = {_norm(c.get("title") or "") for c in answer["citations"]}
    for quoted in re.findall(r"“([^”]+)”", text):
        # an elision or a withheld name ("[name withheld]") joins two pieces of the cited text
        for piece in (p.strip(" .,;:'’") for p in re.split(r"…|\[[a-z ]{1,30} withheld\]", quoted)):
            if piece and _norm(piece) not in quotes and _norm(piece) not in titles:
                problems.append(f"quotation “{piece[:60]}”")
    return problems


def _date_numbers(metadata: str) -> set[str]:
    out = set()
    for y, m, d in re.findall(r"(\d{4})-(\d{2})-(\d{2})", metadata):
        out |= {y, str(int(d)), str(int(m))}
    return out | number_tokens(metadata)


def score(case: Case, answer: Answer | dict) -> Result:
    a = answer.to_dict() if isinstance(answer, Answer) else answer
    text = _norm(a["answer"])
    refused = a["status"] == "refused"
    sources = {c["source"] for c in a["citations"]}
    correct = any(_norm(e) in text for e in case.expect_any) if case.expect_any else None
    cited = bool(sources & set(case.expect_sources)) if case.expect_sources else None
    unfaithful = unfaithful_parts(a)
    failures: list[str] = []
    if case.must_refuse:
        if not refused:
            failures.append(f"expected a refusal, got {a['status']}")
        if a["citations"]:
            failures.append("a refusal must cite nothing")
        leaked = [e for e in case.expect_any if _norm(e) in text]
        if leaked:
            failures.append(f"the refusal leaks {leaked}")
    elif case.must_abstain:
        if a["status"] != "no_answer":
            failures.append(f"expected no_answer, got {a['status']}")
        figures = number_tokens(a["answer"]) - number_tokens(case.question)
        if figures:
            failures.append(f"an abstention states figures {sorted(figures)}")
    else:
        if refused:
            failures.append("refused a legitimate question")
        elif a["status"] != "answered":
            failures.append(f"expected an answer, got {a['status']}")
        if correct is False:
            failures.append(f"none of {case.expect_any} in the answer")
        if cited is False:
            failures.append(f"cites {sorted(sources) or 'nothing'}, expected one of {case.expect_sources}")
    failures += [f"unfaithful: {p}" for p in unfaithful]
    return Result(case, a, not failures, correct, cited, refused, unfaithful, failures)


# --- running and summarising ---------------------------------------------------------------------------

def run_cases(assistant, cases: list[Case], progress: bool = True) -> list[Result]:
    results = []
    for i, case in enumerate(cases, start=1):
        results.append(score(case, assistant.ask(case.question, case.history)))
        if progress and sys.stderr.isatty():
            done = int(30 * i / len(cases))
            print(f"\r  [{'#' * done}{'.' * (30 - done)}] {i}/{len(cases)} {case.id:<12}", end="", file=sys.stderr,
                  flush=True)
        elif progress and (i % 10 == 0 or i == len(cases)):  # a log file gets a line now and then
            print(f"  {i}/{len(cases)} cases", file=sys.stderr, flush=True)
    if progress and sys.stderr.isatty():
        print(file=sys.stderr)
    return results


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def summarise(results: list[Result]) -> dict:
    by_kind = {}
    for kind in KINDS:
        rs = [r for r in results if r.case.kind == kind]
        if not rs:
            continue
        with_sources = [r for r in rs if r.cited is not None]
        by_kind[kind] = {
            "cases": len(rs),
            "passed": sum(r.passed for r in rs),
            "accuracy": _rate(sum(r.passed for r in rs), len(rs)),
            "citation_correct": _rate(sum(bool(r.cited) for r in with_sources), len(with_sources)),
            "refused": sum(r.refused for r in rs),
        }
    latencies = sorted(r.answer["latency_ms"] for r in results)
    refuse = [r for r in results if r.case.must_refuse]
    legit = [r for r in results if not r.case.must_refuse]
    abstain = [r for r in results if r.case.must_abstain]
    core = [r for r in results if r.case.kind in ACCURACY_KINDS]
    return {
        "cases": len(results),
        "passed": sum(r.passed for r in results),
        "accuracy": _rate(sum(r.passed for r in core), len(core)),
        "refusal_recall": _rate(sum(r.refused for r in refuse), len(refuse)),
        "false_refusal": _rate(sum(r.refused for r in legit), len(legit)),
        "abstention": _rate(sum(r.answer["status"] == "no_answer" for r in abstain), len(abstain)),
        "faithfulness_violations": sum(len(r.unfaithful) for r in results),
        "latency_p50_ms": statistics.median(latencies) if latencies else None,
        "latency_p95_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None,
        "by_kind": by_kind,
    }


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def format_summary(summary: dict) -> str:
    pct = _pct

    lines = [f"{'kind':<10} {'cases':>5} {'passed':>6} {'accuracy':>8} {'cited':>6} {'refused':>7}"]
    for kind, s in summary["by_kind"].items():
        lines.append(f"{kind:<10} {s['cases']:>5} {s['passed']:>6} {pct(s['accuracy']):>8} "
                     f"{pct(s['citation_correct']):>6} {s['refused']:>7}")
    lines += [
        "",
        f"accuracy (fact, wording, duty; right string and right source): {pct(summary['accuracy'])}",
        f"refusal recall: {pct(summary['refusal_recall'])}   false refusals: {pct(summary['false_refusal'])}   "
        f"abstention: {pct(summary['abstention'])}",
        f"faithfulness violations: {summary['faithfulness_violations']}   latency p50 "
        f"{summary['latency_p50_ms']:.0f} ms, p95 {summary['latency_p95_ms']:.0f} ms",
        f"cases meeting every expectation: {summary['passed']} of {summary['cases']}",
    ]
    return "\n".join(lines)


GATES = {  # option -> (summary key, direction)
    "min_accuracy": ("accuracy", "min"),
    "min_citation": ("citation", "min"),
    "min_refusal_recall": ("refusal_recall", "min"),
    "max_false_refusal": ("false_refusal", "max"),
    "min_abstention": ("abstention", "min"),
    "max_faithfulness_violations": ("faithfulness_violations", "max"),
}


def check_gates(summary: dict, gates: dict[str, float | None]) -> list[str]:
    failed = []
    cited = [s["citation_correct"] for s in summary["by_kind"].values() if s["citation_correct"] is not None]
    values = {**summary, "citation": min(cited) if cited else None}
    for option, limit in gates.items():
        if limit is None:
            continue
        key, direction = GATES[option]
        value = values.get(key)
        if value is None:
            continue
        if (direction == "min" and value < limit) or (direction == "max" and value > limit):
            failed.append(f"{key} is {value:.3g}, gate --{option.replace('_', '-')} {limit:g}")
    return failed


# --- reports -------------------------------------------------------------------------------------------

def write_html(path: Path, summary: dict, results: list[Result]) -> None:
    e = html.escape
    bars, y = [], 10
    for kind, s in summary["by_kind"].items():
        width = 300 * (s["accuracy"] or 0)
        bars.append(f'<text x="0" y="{y + 14}">{e(kind)}</text><rect x="90" y="{y}" width="{width:.0f}" '
                    f'height="18" fill="#1d70b8"/><text x="{95 + width:.0f}" y="{y + 14}">'
                    f'{100 * (s["accuracy"] or 0):.0f}% of {s["cases"]}</text>')
        y += 26
    rows = "".join(
        f"<tr><td>{e(k)}</td><td>{s['cases']}</td><td>{s['passed']}</td>"
        f"<td>{_pct(s['accuracy'])}</td><td>{_pct(s['citation_correct'])}</td>"
        f"<td>{s['refused']}</td></tr>"
        for k, s in summary["by_kind"].items()
    )
    failing = []
    for r in results:
        if r.passed:
            continue
        cites = "".join(f"<li><b>[{c['n']}] {e(c['source'])}</b> ({e(c.get('published') or 'undated')}): "
                        f"{e(c['quote'])}</li>" for c in r.answer["citations"])
        failing.append(
            f"<section><h3>{e(r.case.id)} ({e(r.case.kind)})</h3><p><b>Question:</b> {e(r.case.question)}</p>"
            f"<p><b>Expected:</b> {e(json.dumps({'expect_any': r.case.expect_any, 'expect_sources': r.case.expect_sources, 'must_refuse': r.case.must_refuse, 'must_abstain': r.case.must_abstain}))}</p>"  # noqa: E501
            f"<p><b>Status:</b> {e(r.answer['status'])}</p><pre>{e(r.answer['answer'])}</pre>"
            f"<p><b>Why it failed:</b> {e('; '.join(r.failures))}</p><ul>{cites}</ul></section>")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>policy-assistant evaluation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c}}
table{{border-collapse:collapse}}td,th{{border:1px solid #b1b4b6;padding:.3rem .6rem;text-align:left}}
pre{{white-space:pre-wrap;background:#f3f2f1;padding:.5rem}}section{{border-top:1px solid #b1b4b6}}</style></head>
<body><h1>Evaluation report</h1><pre>{e(format_summary(summary))}</pre>
<table><tr><th>kind</th><th>cases</th><th>passed</th><th>accuracy</th><th>cited</th><th>refused</th></tr>{rows}</table>
<h2>Accuracy by kind</h2>
<svg width="520" height="{y + 10}" role="img" aria-label="accuracy by kind">{''.join(bars)}</svg>
<h2>Failing cases ({len(failing)})</h2>{''.join(failing) or '<p>None.</p>'}</body></html>"""
    Path(path).write_text(page, encoding="utf-8")


def run_cli(args) -> int:
    from .api import Assistant

    cases = load_cases(args.cases)
    with tempfile.TemporaryDirectory(prefix="policy-assistant-eval-") as tmp:
        if args.docs:
            assistant = Assistant.open(Path(tmp) / "index", chroma_url=args.chroma_url)
            report = assistant.ingest([args.docs])
            print(f"indexed {len(report.added)} documents from {args.docs} ({report.chunks_embedded} passages); "
                  f"skipped {len(report.skipped)}", file=sys.stderr)
        else:
            assistant = Assistant.open(args.index, chroma_url=args.chroma_url, create=False)
        results = run_cases(assistant, cases)
    summary = summarise(results)
    print(format_summary(summary))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"summary": summary, "cases": [r.to_dict() for r in results]},
                                                  indent=2, ensure_ascii=False), encoding="utf-8")
    if args.report:
        write_html(args.report, summary, results)
        print(f"report: {Path(args.report).resolve()}")
    failed = check_gates(summary, {k: getattr(args, k) for k in GATES})
    for line in failed:
        print(f"gate failed: {line}", file=sys.stderr)
    return 1 if failed else 0
