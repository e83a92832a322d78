"""`policy-assistant`: parses arguments, calls `Assistant`, prints. No logic of its own."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import config
from .errors import AssistantError


def _index_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None,
                   help="index folder (default: $POLICY_ASSISTANT_INDEX, else ./index)")
    p.add_argument("--chroma-url", default=None,
                   help="keep vectors on this Chroma server, e.g. http://127.0.0.1:8000 (default: $CHROMA_URL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policy-assistant",
                                     description="Cited answers from public policy documents.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {config.package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load files and folders into the index")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--prune", action="store_true", help="remove documents no longer found under PATHS")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _index_args(p)

    p = sub.add_parser("ask", help="answer one question, with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the Answer object")
    _index_args(p)

    p = sub.add_parser("quote", help="where do the documents use this wording?")
    p.add_argument("text")
    p.add_argument("--json", action="store_true")
    _index_args(p)

    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--allow-uploads", action="store_true", help="let visitors add documents from the page")
    _index_args(p)

    p = sub.add_parser("eval", help="score scripted cases and write reports")
    p.add_argument("cases", type=Path)
    p.add_argument("--docs", type=Path, default=None, help="build a fresh index from these documents")
    p.add_argument("--json", type=Path, default=None, dest="json_out", help="write per-case results here")
    p.add_argument("--report", type=Path, default=None, help="write a self-contained HTML report here")
    for gate in ("min-accuracy", "min-citation", "min-refusal-recall", "max-false-refusal", "min-abstention",
                 "max-faithfulness-violations"):
        p.add_argument(f"--{gate}", type=float, default=None)
    _index_args(p)

    p = sub.add_parser("check", help="verify an index and say how to repair it")
    _index_args(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    config.apply_offline_env()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AssistantError as exc:
        print(f"policy-assistant: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("policy-assistant: interrupted", file=sys.stderr)
        return 130


def _open(args, create: bool):
    from .api import Assistant

    return Assistant.open(args.index, chroma_url=args.chroma_url, create=create)


def cmd_ingest(args) -> int:
    import time

    from .documents import iter_files

    assistant = _open(args, create=True)
    total = sum(1 for path in args.paths if Path(path).exists() for _ in iter_files([path]))
    files = passages = 0
    started = time.perf_counter()

    def progress(status: str, detail: str, embedded: int) -> None:
        nonlocal files, passages
        files += status in ("added", "updated", "unchanged", "skipped")
        passages += embedded
        if args.json:
            return
        elapsed = max(time.perf_counter() - started, 1e-9)
        eta = (total - files) * elapsed / files if files and total > files else 0
        print(f"  {status:<9} [{files}/{total} files, {passages:,} passages, {passages / elapsed:.1f} passages/s, "
              f"{eta:.0f} s left] {detail}", file=sys.stderr, flush=True)

    report = assistant.ingest(args.paths, progress=progress, prune=args.prune)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        removed = f", removed {len(report.removed)}" if report.removed else ""
        print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}"
              f"{removed}, skipped {len(report.skipped)}; {report.chunks_embedded} passages embedded in "
              f"{report.seconds:.1f} s")
        for s in report.skipped:
            print(f"skipped {s.source}: {s.reason}")
    return 0


def cmd_ask(args) -> int:
    answer = _open(args, create=False).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(answer.answer)
    if answer.citations:
        print()
    for c in answer.citations:
        date = c.published or "undated"
        print(f"[{c.n}] {c.title} — {c.publisher or 'unknown publisher'}, {date} ({c.source}, "
              f"characters {c.start}-{c.end})")
    return 0


def cmd_quote(args) -> int:
    from .quote import closeness, render_diff

    report = _open(args, create=False).quote(args.text)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return 0
    if report.exact:
        print(f"Found exactly in {len(report.exact)} place(s):")
    elif report.near:
        print("Not found word for word. Closest wordings ([-yours-] {+document's+}):")
    else:
        print("Not found, and nothing close: the documents do not use this wording.")
    for m in report.exact + report.near:
        print(f"\n{m.title} — {m.publisher or 'unknown publisher'}, {m.published or 'undated'} ({m.source})")
        if m.speaker:
            print(f"  said by {m.speaker}")
        print(f"  “{m.quote}”" if not m.diff else
              f"  {render_diff(m.diff)}  ({closeness(m.score)} match, similarity {m.score:.0f}%)")
    return 0


def cmd_serve(args) -> int:
    from .app import serve

    serve(_open(args, create=True), host=args.host, port=args.port, allow_uploads=args.allow_uploads)
    return 0


def cmd_eval(args) -> int:
    from .evaluation import run_cli

    return run_cli(args)


def cmd_check(args) -> int:
    report = _open(args, create=False).index.check()
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "quote": cmd_quote, "serve": cmd_serve, "eval": cmd_eval,
            "check": cmd_check}
