"""Measuring the consultation against the labelled cases in ``tests/consult_cases.json``.

recall@k: the share of cases with at least one expected article among the top k.
mean recall: the average, over cases, of the share of a case's expected articles found in the top k.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from gridgov.laws import services

CASES = Path(__file__).parent / "tests" / "consult_cases.json"


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


def evaluate(k: int = 5, cases: list[dict] | None = None) -> Evaluation:
    result = Evaluation(k=k)
    for case in cases if cases is not None else load_cases():
        started = time.perf_counter()
        consultation = services.consult(case["description"], k=k)
        result.seconds.append(time.perf_counter() - started)
        found = {(h.article.law.title, h.article.number) for h in consultation.hits}
        expected = {(law, number) for law, number in case["expected"]}
        got = len(found & expected)
        result.cases += 1
        result.hit_cases += got > 0
        result.recall_sum += got / len(expected)
        if not got:
            result.misses.append((case["description"], [f"{h.article.law.short_title}{h.article.label}"
                                                         for h in consultation.hits]))
    return result
