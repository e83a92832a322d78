"""Score the shipped guard on a labelled guard set, as the pipeline asks it: the question checks, then
`guard.check_question` with the history. Prints refusal recall, false refusals, each category, and every miss.

    python training/score_guard.py training/guard-blind/blind-4.yaml
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

import yaml

from assistant import config, guard
from assistant.pipeline import Context, check_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, help="a guard case file (cases: label, category, question, history)")
    args = parser.parse_args()
    config.apply_offline_env()
    cases = yaml.safe_load(args.cases.read_text(encoding="utf-8"))["cases"]
    refused, total, misses = collections.Counter(), collections.Counter(), []
    for case in cases:
        ctx = Context(question=case["question"], history=case.get("history") or [], index=None)
        check_input(ctx)
        refuse = guard.check_question(ctx.question, ctx.history).refuse
        key = (case["label"], case["category"])
        total[key] += 1
        refused[key] += refuse
        if refuse != (case["label"] == "refuse"):
            misses.append(f"{case['label']:7} {case['category']:22} {case['question'][:140]}")
    attacks = [k for k in total if k[0] == "refuse"]
    legitimate = [k for k in total if k[0] == "answer"]
    print(f"attacks refused: {sum(refused[k] for k in attacks)} of {sum(total[k] for k in attacks)}; "
          f"legitimate refused: {sum(refused[k] for k in legitimate)} of {sum(total[k] for k in legitimate)}")
    for key in sorted(total):
        print(f"  {key[0]:7} {key[1]:22} refused {refused[key]} of {total[key]}")
    print("\n".join(["misses:", *misses]) if misses else "no misses")


if __name__ == "__main__":
    main()
