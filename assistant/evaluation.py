"""Scripted evaluation: a case file -> strict per-case scores, a summary by kind, JSON and HTML reports, gates.

Every case goes through the same `Assistant.ask` the app and the CLI use. The scorer is deliberately strict:
an answer must contain an expected string *and* cite an expected source; a refusal must be a refusal and
carry nothing; an abstention must be `no_answer` and state no figure; and every figure or quotation in an
answer must be found in the passages it cites (the faithfulness check).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import config
from .answer import Answer
from .errors import AssistantError
from .index import Index
from .intent import MODEL_DIR as INTENT_DIR
from .question import number_tokens
from .reader import MODEL_DIR as READER_DIR

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


def _quoted(strings: list[str]) -> str:
    return ", ".join(f"“{s}”" for s in strings)


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
            failures.append(f"the refusal leaks {_quoted(leaked)}")
    elif case.must_abstain:
        if a["status"] != "no_answer":
            failures.append(f"expected no_answer, got {a['status']}")
        figures = number_tokens(a["answer"]) - number_tokens(case.question)
        if figures:
            failures.append(f"an abstention states figures {', '.join(sorted(figures))}")
    else:
        if refused:
            failures.append("refused a legitimate question")
        elif a["status"] != "answered":
            failures.append(f"expected an answer, got {a['status']}")
        if correct is False:
            failures.append(f"the answer contains none of {_quoted(case.expect_any)}")
        if cited is False:
            failures.append(f"cites {', '.join(sorted(sources)) or 'nothing'}, expected one of "
                            f"{', '.join(case.expect_sources)}")
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


def gate_results(summary: dict, gates: dict[str, float | None]) -> list[dict]:
    """Every gate set, with the value measured and how far it missed: 0 when met, None when no case measures it
    (an abstention gate on a file without abstain cases), which does not fail the run."""
    cited = [s["citation_correct"] for s in summary["by_kind"].values() if s["citation_correct"] is not None]
    values = {**summary, "citation": min(cited) if cited else None}
    rows = []
    for option, limit in gates.items():
        if limit is None:
            continue
        key, direction = GATES[option]
        value = values.get(key)
        missed = None if value is None else max(0.0, limit - value if direction == "min" else value - limit)
        rows.append({"gate": f"--{option.replace('_', '-')}", "measure": key, "limit": limit, "value": value,
                     "missed_by": missed})
    return rows


def _gate_line(gate: dict) -> str:
    return (f"{gate['measure']} is {gate['value']:.3g}, gate {gate['gate']} {gate['limit']:g}, "
            f"missed by {gate['missed_by']:.3g}")


def verdict(gates: list[dict]) -> str:
    """`passed` or `failed` against the gates given; without gates a run judges nothing, and says so."""
    if not gates:
        return "no gates set"
    return "failed" if any(g["missed_by"] for g in gates) else "passed"


# --- reports -------------------------------------------------------------------------------------------

def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def describe_run(args: argparse.Namespace, index: Index, summary: dict, started: datetime) -> dict:
    """When, which code, which models, which data and which gates: what an evaluator needs to trust a report or
    to compare two. The trained reader, answerability decision and intent model carry no version of their own
    (`make train` rebuilds them without changing the package's), so they are named by a hash of their files."""
    built = index.chunks.metadata or {}
    reader = json.loads((READER_DIR / "reader.json").read_text())["model"]
    encoder = json.loads((INTENT_DIR / "intent.json").read_text())["encoder"]
    gates = gate_results(summary, {k: getattr(args, k) for k in GATES})
    return {
        "date": started.isoformat(timespec="seconds"),
        "version": config.package_version(),
        "cases_file": str(args.cases),
        "docs": str(args.docs) if args.docs else None,
        "index": None if args.docs else str(index.path),  # None: a fresh temporary index built from `docs`
        "vector_store": f"Chroma server at {index.chroma_url}" if index.chroma_url else "Chroma, embedded",
        "embedding_model": built.get("embedding_model") or index.model_name,
        "embedding_backend": index.backend,
        "dimension": built.get("dimension"),
        "reader": f"cross-encoder {reader}, sha256 {_fingerprint(READER_DIR / reader)}; answerability decision, "
                  f"sha256 {_fingerprint(READER_DIR / 'answerable.json')}",
        "intent_model": f"{encoder}, sha256 {_fingerprint(INTENT_DIR / 'intent.onnx')} and "
                        f"{_fingerprint(INTENT_DIR / 'intent.json')}",
        "gates": gates,
        "verdict": verdict(gates),
    }


def expectations(case: Case) -> list[str]:
    """What the scorer checks for a case, in words an evaluator reads without knowing the case schema."""
    wanted = _quoted(case.expect_any)
    if case.must_refuse:
        return ["Should be refused, citing nothing"] + ([f"Should not contain any of: {wanted}"] if wanted else [])
    if case.must_abstain:
        return ["Should say the documents don’t answer, stating no figure the question does not"]
    out = ["Should be answered, not refused"]
    if wanted:
        out.append(f"Answer should contain any of: {wanted}")
    if case.expect_sources:
        out.append(f"Should cite one of: {', '.join(case.expect_sources)}")
    return [*out, "Every figure and quotation should be in the passages it cites"]


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _table(header: list[str] | None, rows: list[list[str]]) -> str:
    """Cells are HTML already; each row's first cell is its header, so a screen reader names every value."""
    head = "<tr>" + "".join(f'<th scope="col">{h}</th>' for h in header) + "</tr>" if header else ""
    body = "".join(f'<tr><th scope="row">{r[0]}</th>' + "".join(f"<td>{c}</td>" for c in r[1:]) + "</tr>"
                   for r in rows)
    return f"<table>{head}{body}</table>"


def _case_html(r: Result) -> str:
    e, a = html.escape, r.answer
    turns = "".join(f"<li>{e(t['role'])}: {e(str(t['content']))}</li>" for t in r.case.history)
    cites = "".join(f"<li>[{c['n']}] <b>{e(c['source'])}</b> ({e(c.get('published') or 'undated')})"
                    f"<blockquote>{e(c['quote'])}</blockquote></li>" for c in a["citations"])
    reason = f", reason {e(a['reason'])}" if a["reason"] else ""
    rows = [("Question", e(r.case.question))]
    if turns:
        rows.append(("Earlier turns", f"<ol>{turns}</ol>"))
    rows += [("Expected", _list(expectations(r.case))),
             ("Status", f"{e(a['status'])}{reason}, {a['latency_ms']:.0f} ms"),
             ("Answer", f"<pre>{e(a['answer'])}</pre>"),
             ("Sources cited", f"<ul>{cites}</ul>" if cites else "none")]
    if r.failures:
        rows.append(("Why it failed", _list(r.failures)))
    if r.case.notes:
        rows.append(("Notes", e(r.case.notes)))
    outcome = "meets every expectation" if r.passed else "does not meet every expectation"
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (f'<section id="case-{e(r.case.id)}"><h3>{e(r.case.id)} ({e(r.case.kind)}): {outcome}</h3>'
            f"<dl>{body}</dl></section>")


def _gate_cells(gate: dict) -> list[str]:
    measured = "not measured" if gate["value"] is None else f"{gate['value']:.3g}"
    result = ("no case measures it" if gate["missed_by"] is None else
              f"<strong>missed by {gate['missed_by']:.3g}</strong>" if gate["missed_by"] else "met")
    return [html.escape(gate["gate"]), f"{gate['limit']:g}", measured, result]


STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c;
background:#fff;line-height:1.45}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #b1b4b6;padding:.3rem .6rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;font:inherit;background:#f3f2f1;padding:.5rem;margin:0}a{color:#1d4f91}
blockquote{white-space:pre-wrap;margin:.2rem 0 .6rem;padding-left:.6rem;border-left:3px solid #b1b4b6}
section{border-top:1px solid #b1b4b6}dt{font-weight:bold;margin-top:.5rem}dd{margin-left:1rem}
.verdict{font-size:1.2rem;font-weight:bold;padding:.6rem 1rem;border-left:.5rem solid}
.passed{background:#e7f4ec;color:#00452a}.failed{background:#fbeae8;color:#7a1b10}
.no-gates-set{background:#f3f2f1;color:#0b0c0c}"""  # every text colour passes WCAG AA on its background


def write_html(path: Path, summary: dict, results: list[Result], run: dict) -> None:
    """One self-contained page for an evaluator: the verdict and what it was judged on first, then every case,
    those that miss an expectation first, each with what was expected in words and what came back."""
    e = html.escape
    missed = [g for g in run["gates"] if g["missed_by"]]
    headline = {"no gates set": "no gates set, so nothing was judged against a threshold",
                "passed": f"PASSED: all {len(run['gates'])} gates met",
                "failed": f"FAILED: {len(missed)} of {len(run['gates'])} gates missed ("
                          + "; ".join(_gate_line(g) for g in missed) + ")"}[run["verdict"]]
    facts = [("Run at (UTC)", run["date"]), ("policy-assistant version", run["version"]),
             ("Case file", run["cases_file"]),
             ("Index", f"a fresh temporary index of {run['docs']}" if run["docs"] else run["index"]),
             ("Vector store", run["vector_store"]),
             ("Embedding model", f"{run['embedding_model']}, {run['embedding_backend']} backend, "
                                 f"{run['dimension'] or '?'} dimensions"),
             ("Reader", run["reader"]), ("Intent model", run["intent_model"])]
    measures = [("Accuracy (fact, wording, duty: right string and right source)", _pct(summary["accuracy"])),
                ("Refusal recall", _pct(summary["refusal_recall"])), ("False refusals", _pct(summary["false_refusal"])),
                ("Abstention", _pct(summary["abstention"])),
                ("Faithfulness violations", str(summary["faithfulness_violations"])),
                ("Latency p50 / p95", f"{summary['latency_p50_ms']:.0f} ms / {summary['latency_p95_ms']:.0f} ms"),
                ("Cases meeting every expectation", f"{summary['passed']} of {summary['cases']}")]
    kinds = [[e(k), str(s["cases"]), str(s["passed"]), _pct(s["accuracy"]), _pct(s["citation_correct"]),
              str(s["refused"])] for k, s in summary["by_kind"].items()]
    bars, y = [], 10
    for kind, s in summary["by_kind"].items():
        width = 300 * (s["accuracy"] or 0)
        bars.append(f'<text x="0" y="{y + 14}">{e(kind)}</text><rect x="90" y="{y}" width="{width:.0f}" '
                    f'height="18" fill="#1d70b8"/><text x="{95 + width:.0f}" y="{y + 14}">'
                    f'{100 * (s["accuracy"] or 0):.0f}% of {s["cases"]}</text>')
        y += 26
    failing, passing = [r for r in results if not r.passed], [r for r in results if r.passed]
    overview = [[f'<a href="#case-{e(r.case.id)}">{e(r.case.id)}</a>', e(r.case.kind), e(r.case.question),
                 "met" if r.passed else "<strong>not met</strong>", e(r.answer["status"])] for r in failing + passing]
    gates = (_table(["gate", "limit", "measured", "result"], [_gate_cells(g) for g in run["gates"]])
             if run["gates"] else "<p>No gates were set on the command line.</p>")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>policy-assistant evaluation: {e(run["verdict"])}</title><style>{STYLE}</style></head>
<body><h1>Evaluation report</h1>
<p class="verdict {run["verdict"].replace(" ", "-")}">Verdict: {e(headline)}</p>
<h2>Run</h2>{_table(None, [[k, e(v)] for k, v in facts])}
<h2>Gates</h2>{gates}
<h2>Results</h2>{_table(None, [[k, e(v)] for k, v in measures])}
{_table(["kind", "cases", "meeting every expectation", "accuracy", "cited", "refused"], kinds)}
<h2>Accuracy by kind</h2>
<svg width="520" height="{y + 10}" role="img" aria-label="accuracy by kind">{"".join(bars)}</svg>
<h2>All cases ({len(results)}), those not meeting every expectation first</h2>
{_table(["case", "kind", "question", "expectations", "status"], overview)}
<h2>Cases not meeting every expectation ({len(failing)})</h2>{"".join(map(_case_html, failing)) or "<p>None.</p>"}
<h2>Cases meeting every expectation ({len(passing)})</h2>{"".join(map(_case_html, passing)) or "<p>None.</p>"}
</body></html>"""
    Path(path).write_text(page, encoding="utf-8")


def run_cli(args: argparse.Namespace) -> int:
    from .api import Assistant

    cases = load_cases(args.cases)
    started = datetime.now(UTC)
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
        run = describe_run(args, assistant.index, summary, started)  # before the temporary index goes
    print(format_summary(summary))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"run": run, "summary": summary,
                                                   "cases": [r.to_dict() for r in results]},
                                                  indent=2, ensure_ascii=False), encoding="utf-8")
    if args.report:
        write_html(args.report, summary, results, run)
        print(f"report: {Path(args.report).resolve()}")
    for gate in run["gates"]:
        if gate["missed_by"]:
            print(f"gate failed: {_gate_line(gate)}", file=sys.stderr)
    return 1 if run["verdict"] == "failed" else 0
