"""Measuring the consultation against labelled everyday descriptions.

Parts (``load_part``):

* ``first48`` — ``tests/consult_cases.json``: the first 48 cases, the ones the earlier expansion table
  was adjusted on;
* ``tuning`` — ``tests/consult_eval/tuning.json``: the tuning half of the issue-14 pool;
* ``sealed`` — ``tests/consult_eval/sealed.json``: the test half, never read while tuning;
* ``sealed2`` — ``tests/consult_eval/sealed2.json``: a second test set by new writers, sealed as a whole;
* ``sealed3`` — ``tests/consult_eval/sealed3.json``: a third, by another writer, sealed as a whole.

A sealed part's evaluation keeps no misses (``evaluate(..., keep_misses=False)``), so the tools print
only totals.

recall@k: the share of cases with at least one expected article among the top k.
mean recall: the average, over cases, of the share of a case's expected articles found in the top k.

A case never finds itself: the consultation's case base (``laws.casebase``, built from the tuning
parts) is consulted without the case being measured (leave-one-out).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from gridgov.laws import services

TESTS = Path(__file__).parent / "tests"
CASES = TESTS / "consult_cases.json"
PARTS = {"first48": CASES, "tuning": TESTS / "consult_eval" / "tuning.json",
         "sealed": TESTS / "consult_eval" / "sealed.json", "sealed2": TESTS / "consult_eval" / "sealed2.json",
         "sealed3": TESTS / "consult_eval" / "sealed3.json"}
SEALED = ("sealed", "sealed2", "sealed3")
SEALED_SHA256 = {"sealed": "628804fd2d844e22db2004f79559596420ed64255807571c7581924eca57da6e",  # docs/laws.md
                 "sealed2": "fcac983ed5466fb86073749aeebbab943108bc765e242c6623fd24c3f738cad4",
                 "sealed3": "cf0f7bfd8ba51fa69cfe1bb59425a78c7ea9de21baa0d8dea6bc46dba1de3d1a"}


@dataclass
class Evaluation:
    k: int
    cases: int = 0
    hit_cases: int = 0
    recall_sum: float = 0.0
    seconds: list[float] = field(default_factory=list)
    misses: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def recall_at_k(self) -> float:
        return self.hit_cases / self.cases if self.cases else 0.0

    @property
    def mean_recall(self) -> float:
        return self.recall_sum / self.cases if self.cases else 0.0


def load_cases(path: Path = CASES) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


def load_part(name: str) -> list[dict]:
    return load_cases(PARTS[name])


def sealed_digest(part: str = "sealed") -> str:
    return hashlib.sha256(PARTS[part].read_bytes()).hexdigest()


def evaluate(k: int = 5, cases: list[dict] | None = None, *, with_type: bool = False,
             keep_misses: bool = True) -> Evaluation:
    """``with_type``: pass each case's dispute type (when it has one) as a mediator's consultation would."""
    result = Evaluation(k=k)
    for case in cases if cases is not None else load_cases():
        started = time.perf_counter()
        consultation = services.consult(case["description"], k=k, leave_out_same=True,
                                        dispute_type=case.get("dispute_type") if with_type else None)
        result.seconds.append(time.perf_counter() - started)
        found = {(h.article.law.title, h.article.number) for h in consultation.hits}
        expected = {(law, number) for law, number in case["expected"]}
        got = len(found & expected)
        result.cases += 1
        result.hit_cases += got > 0
        result.recall_sum += got / len(expected)
        if not got and keep_misses:
            result.misses.append((case["description"], [f"{h.article.law.short_title}{h.article.label}"
                                                         for h in consultation.hits]))
    return result
