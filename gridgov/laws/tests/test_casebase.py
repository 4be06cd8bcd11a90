"""The similar-consultation library: built from its sources, never holding a sealed case, and its inverted
index answering exactly what comparing with every case would."""

import importlib.util
import json
import math
import random
from pathlib import Path

from gridgov.laws import casebase, evaluation

ROOT = Path(__file__).resolve().parents[3]


def _build_script():
    spec = importlib.util.spec_from_file_location("build_law_casebase", ROOT / "scripts" / "build_law_casebase.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_case_base_is_what_the_build_script_makes_from_its_sources():
    script = _build_script()
    assert casebase.CASEBASE.read_text(encoding="utf-8") == script.render(script.build())
    library = sorted((ROOT / "gridgov" / "laws" / "consultations").glob("*.json"))
    assert len(library) >= 9
    written = sum(len(json.loads(p.read_text(encoding="utf-8"))["cases"]) for p in library)
    assert written >= 2000


def test_no_sealed_description_is_in_the_case_base():
    shipped = {c["description"] for c in json.loads(casebase.CASEBASE.read_text(encoding="utf-8"))["cases"]}
    sealed = {c["description"] for part in ("sealed", "sealed2", "sealed3") for c in evaluation.load_part(part)}
    assert len(shipped & sealed) == 0  # a count only: no sealed description is ever printed


def _brute_force(base, description, terms, topics, k, exclude=None):
    q = base._weigh(casebase.features(description, terms, topics))
    qn = math.sqrt(sum(x * x for x in q.values())) or 1.0
    scored = []
    for case in base.cases:
        if exclude is not None and case.description == exclude:
            continue
        dot = sum(w * case.vector[key] for key, w in q.items() if key in case.vector)
        if dot > 0:
            scored.append((case.description, dot / (qn * case.norm)))
    scored.sort(key=lambda p: (-p[1], p[0]))
    return scored[:k]


def test_the_inverted_index_answers_exactly_what_comparing_with_every_case_does():
    cases = json.loads(casebase.CASEBASE.read_text(encoding="utf-8"))["cases"]
    rng = random.Random(14)
    sample = rng.sample(cases, 300)

    def analyze(description):  # a stand-in for the lexicon: some shared statute words and kinds
        return (["出租人"] if "房" in description else []), (["wages"] if "工资" in description else [])

    base = casebase.CaseBase(sample, analyze)
    for query in ["房东扣押金不退", "老板拖欠工资三个月", "邻居家的狗把孩子咬了", "楼上漏水", "无关的话"]:
        terms, topics = analyze(query)
        got = [(c.description, round(s, 12)) for c, s in base.similar(query, terms, topics, 5)]
        want = [(d, round(s, 12)) for d, s in _brute_force(base, query, terms, topics, 5)]
        assert got == want
    # leave-one-out: the case itself is never its own neighbour
    own = sample[0]["description"]
    terms, topics = analyze(own)
    assert own not in [c.description for c, _s in base.similar(own, terms, topics, 5, exclude=own)]
    assert [c.description for c, _s in base.similar(own, terms, topics, 1)] == [own]
