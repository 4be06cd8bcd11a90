"""Similar consultations (相似咨询): labelled everyday descriptions and the articles a mediator cited.

``casebase.json`` holds descriptions written in everyday words, each with the articles a mediator would
cite (built by ``scripts/build_law_casebase.py`` from the labelled cases the consultation was tuned on and
the written library in ``consultations/`` — never from a sealed test part).  A new description is compared with each of them; the articles of the
most similar ones are suggested too, and the suggestion says which consultation it resembles.

Similarity is the cosine of two sparse vectors: the description's character pairs (中文 bigrams,
TF-IDF over the case base, so 押金 or 工资 count more than 一个), plus the statute's words the lexicon
adds (出租人, 劳动报酬 …) and the kinds of dispute recognised, so 房东扣着押金不给 and 租的房子到期了
定金不退 resemble each other though they share few characters.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gridgov.laws import text as lawtext

CASEBASE = Path(__file__).with_name("casebase.json")
TERM_WEIGHT = 1.0  # a statute's word added by the lexicon, against one character pair
TOPIC_WEIGHT = 2.0  # a kind of dispute recognised


@dataclass
class Case:
    description: str
    articles: list[tuple[str, int]]
    vector: dict[str, float]
    norm: float


def bigrams(description: str) -> Counter:
    text = "".join(ch for ch in lawtext.normalize(description) if ch.isalnum())
    return Counter(text[i:i + 2] for i in range(len(text) - 1))


def features(description: str, terms: list[str], topics: list[str]) -> Counter:
    out = Counter({f"c:{g}": n for g, n in bigrams(description).items()})
    for t in terms:
        out[f"t:{t}"] = TERM_WEIGHT
    for t in topics:
        out[f"k:{t}"] = TOPIC_WEIGHT
    return out


class CaseBase:
    def __init__(self, cases: list[dict], analyze):
        """``analyze``: description → (statute's words, kinds of dispute), as the consultation reads it."""
        raw = []
        df: Counter = Counter()
        for c in cases:
            terms, topics = analyze(c["description"])
            f = features(c["description"], terms, topics)
            raw.append((c, f))
            df.update(f.keys())
        self.n = len(raw)
        self.idf = {k: math.log(1 + self.n / (1 + v)) for k, v in df.items()}
        self.default_idf = math.log(1 + self.n)
        self.cases: list[Case] = []
        # an inverted index (feature → [(case, weight)]): a query visits only the cases sharing a feature with
        # it, so the library can grow without every consultation reading all of it
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for c, f in raw:
            v = self._weigh(f)
            for key, weight in v.items():
                self.postings.setdefault(key, []).append((len(self.cases), weight))
            self.cases.append(Case(description=c["description"], articles=[tuple(a) for a in c["articles"]],
                                   vector=v, norm=math.sqrt(sum(x * x for x in v.values())) or 1.0))

    @classmethod
    def load(cls, analyze, path: Path = CASEBASE) -> CaseBase:
        if not path.is_file():
            return cls([], analyze)
        return cls(json.loads(path.read_text(encoding="utf-8"))["cases"], analyze)

    def _weigh(self, f: Counter) -> dict[str, float]:
        return {k: n * self.idf.get(k, self.default_idf) for k, n in f.items()}

    def similar(self, description: str, terms: list[str], topics: list[str], k: int,
                exclude: str | None = None) -> list[tuple[Case, float]]:
        """The ``k`` most similar cases with their cosine (> 0), most similar first; ``exclude`` leaves
        out a case with exactly that description (leave-one-out measurement)."""
        if not self.cases:
            return []
        q = self._weigh(features(description, terms, topics))
        qn = math.sqrt(sum(x * x for x in q.values())) or 1.0
        dots: dict[int, float] = {}
        for key, w in q.items():
            for i, weight in self.postings.get(key, ()):
                dots[i] = dots.get(i, 0.0) + w * weight
        scored = []
        for i, dot in dots.items():
            case = self.cases[i]
            if dot > 0 and not (exclude is not None and case.description == exclude):
                scored.append((case, dot / (qn * case.norm)))
        scored.sort(key=lambda p: (-p[1], p[0].description))
        return scored[:k]
