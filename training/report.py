"""The answer report: the answerer as users meet it (`Assistant.ask`), a baseline commit and this tree side by side.

    python training/report.py                       # compare this tree with BASELINE
    python training/report.py --measure --json OUT  # measure whichever `assistant` package is importable

Measured on the validation and blind test splits of training/data (one index of every jurisdiction, then each
jurisdiction in an index of its own documents, as a force would serve them), on training/fresh and fresh-2
(written after the answerer and after the reader, never tuned on; each in its own index) and on each held-out
case set (tests/holdout/*, the developer set, tests/corpus_cases.yaml), each in its own index:
- right and cited: answered, and a citation is one of the question's labelled answer units (training data) or
  the answer holds an expected string and cites an expected source (case sets);
- abstentions held: `no_answer` on a question the documents do not answer;
- legitimate answered: sensitive-topic questions answered right (and never refused);
- refused: legitimate questions the guard refused.
The baseline is run from a git worktree of BASELINE (the answerer and guard as they were before this work), so
any change to either is measured against it in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from check_data import is_answer, load_jurisdiction  # noqa: E402

BASELINE = "67bf972"  # the hand-weighted scorer with this session's guard: what the trained reader replaces
SHARED = ROOT.parent / "shared"
CASE_SETS = {
    **{f"holdout/{p.name}": (p / "cases.yaml", p / "docs") for p in sorted((ROOT / "tests" / "holdout").iterdir())
       if (p / "cases.yaml").exists()},
    "dev (../shared/eval)": (SHARED / "eval" / "dev-cases.yaml", SHARED / "eval" / "docs"),
    "corpus_cases": (ROOT / "tests" / "corpus_cases.yaml", ROOT / "corpus"),
}
CORE = ("fact", "wording", "duty", "followup")


def measure_split(assistant, questions) -> dict:
    return summarise(ask_all(assistant, questions))


def ask_all(assistant, questions) -> list[tuple]:
    rows = []
    for q in questions:
        a = assistant.ask(q.question, q.history).to_dict()
        right = a["status"] == "answered" and any(is_answer(c["source"], c["start"], c["end"], q.answers)
                                                  for c in a["citations"])
        rows.append((q.kind, bool(q.answers), a["status"], right, a["latency_ms"]))
    return rows


def summarise(rows: list[tuple]) -> dict:
    core = [r for r in rows if r[0] in CORE + ("open", "computed")]
    return {
        "questions": len(rows),
        "right_and_cited": _share(sum(r[3] for r in core), len(core)),
        "by_kind": {k: _share(sum(r[3] for r in rows if r[0] == k), sum(r[0] == k for r in rows))
                    for k in sorted({r[0] for r in rows}) if k != "abstain"},
        "abstentions_held": _share(sum(r[2] == "no_answer" for r in rows if not r[1]), sum(not r[1] for r in rows)),
        "legitimate_answered": _share(sum(r[3] for r in rows if r[0] == "sensitive"),
                                      sum(r[0] == "sensitive" for r in rows)),
        "refused": sum(r[2] == "refused" for r in rows),
        "latency_p50_ms": sorted(r[4] for r in rows)[len(rows) // 2] if rows else None,
    }


def measure_cases(assistant, cases_path: Path) -> dict:
    from assistant.evaluation import load_cases, run_cases

    results = run_cases(assistant, load_cases(cases_path), progress=False)
    core = [r for r in results if r.case.kind in CORE]
    abstain = [r for r in results if r.case.must_abstain]
    sensitive = [r for r in results if r.case.kind == "sensitive"]
    refuse = [r for r in results if r.case.must_refuse]
    return {
        "questions": len(results),
        "right_and_cited": _share(sum(r.passed for r in core), len(core)),
        "by_kind": {k: _share(sum(r.passed for r in results if r.case.kind == k),
                              sum(r.case.kind == k for r in results)) for k in CORE},
        "abstentions_held": _share(sum(r.answer["status"] == "no_answer" for r in abstain), len(abstain)),
        "legitimate_answered": _share(sum(r.passed for r in sensitive), len(sensitive)),
        "refused": sum(r.refused for r in results if not r.case.must_refuse),
        "refusals_held": _share(sum(r.refused for r in refuse), len(refuse)),
        "unfaithful": sum(len(r.unfaithful) for r in results),
    }


def _share(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def measure(out: Path) -> None:
    """Everything, for the `assistant` package this process imports."""
    import yaml

    from assistant import Assistant

    data = ROOT / "training" / "data"
    names = yaml.safe_load((ROOT / "training" / "splits.yaml").read_text())
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(Path(tmp) / "training")
        assistant.ingest([data / n / "docs" for ns in names.values() for n in ns if (data / n / "docs").exists()])
        for split in ("validation", "test"):
            questions = [q for n in names[split] if (data / n / "questions.yaml").exists()
                         for q in load_jurisdiction(data / n).questions]
            results[f"{split} split"] = measure_split(assistant, questions)
            print(f"  {split}: {results[f'{split} split']}", file=sys.stderr, flush=True)
        # As a force would serve it: each jurisdiction's questions asked of an index of its own documents only
        # (with fourteen forces in one index, another force's answer to a question naming no place counts as
        # wrong though it may say the same).
        fresh = {name: sorted(p for p in (ROOT / "training" / name).iterdir() if (p / "questions.yaml").exists())
                 for name in ("fresh", "fresh-2") if (ROOT / "training" / name).is_dir()}
        for split, folders in (("validation", [data / n for n in names["validation"]]),
                               ("test", [data / n for n in names["test"]]), *fresh.items()):
            rows = []
            for folder in folders:
                own = Assistant.open(Path(tmp) / f"own-{folder.name}")
                own.ingest([folder / "docs"])
                rows += ask_all(own, load_jurisdiction(folder).questions)
            key = f"{split} split, own force's index"
            results[key] = summarise(rows)
            print(f"  {key}: {results[key]}", file=sys.stderr, flush=True)
        for name, (cases, docs) in CASE_SETS.items():
            if not cases.exists():
                continue
            one = Assistant.open(Path(tmp) / name.replace("/", "-").split()[0])
            one.ingest([docs])
            results[name] = measure_cases(one, cases)
            print(f"  {name}: {results[name]}", file=sys.stderr, flush=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


def _run(code: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([sys.executable, str(ROOT / "training" / "report.py"), "--measure", "--json", str(out)],
                   env=env, cwd=code, check=True)
    return json.loads(out.read_text())


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def compare() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), BASELINE], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            old = _run(old_tree, Path(tmp) / "old.json")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=False)
        new = _run(ROOT, Path(tmp) / "new.json")
    print(f"{'set':<28} {'n':>4}  {'right+cited old/new':>19}  {'abstain held':>13}  {'legit answered':>14}  "
          f"{'refused':>7}")
    for name in new:
        o, n = old.get(name, {}), new[name]
        print(f"{name:<28} {n['questions']:>4}  {_pct(o.get('right_and_cited')):>8} / {_pct(n['right_and_cited']):<8}"
              f"  {_pct(o.get('abstentions_held')):>5} / {_pct(n['abstentions_held']):<5}"
              f"  {_pct(o.get('legitimate_answered')):>6} / {_pct(n['legitimate_answered']):<6}"
              f"  {o.get('refused', '-')!s:>3} / {n['refused']!s:<3}")
        kinds = ", ".join(f"{k} {_pct(o.get('by_kind', {}).get(k))}/{_pct(v)}" for k, v in n["by_kind"].items())
        print(f"{'':<28}       by kind (old/new): {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="measure the importable assistant only")
    parser.add_argument("--json", type=Path, help="with --measure: where the figures are written")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.measure:
        measure(args.json or Path("reader-report.json"))
    else:
        compare()


if __name__ == "__main__":
    main()
