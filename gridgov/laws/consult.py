"""Ranking for legal consultation, in Python so that every database gives the same answer.

The index covers the articles of the laws in effect (现行有效, and 已被修改 — in force as amended);
amendment documents (修正案, 修改决定) are left out: their text is "replace article N with …", not a
rule a person can rely on.  A document is the article's tokens plus, once, the words of its law's
short title and, ``CHAPTER_WEIGHT`` times, its chapter path, so "离婚" finds the articles of
婚姻家庭编 第四章 离婚 even when the article itself says 男女双方.

The index is a cache: each process builds its own on first use and rebuilds it when the database
stamp (article count and largest id, law count and latest ``updated_at``) changes, so several
processes stay correct after an import.

A description is read in four ways (``analyze`` and ``rank``), the lexicon's on word boundaries:

1. its own words (jieba search mode), each weighted 1.0, a one-character word ``SHORT_WEIGHT``;
2. the statutes' words for its everyday words (``lexicon.EXPANSIONS``), weighted ``EXPANSION_WEIGHT``;
3. the kinds of dispute it sounds like (``lexicon.TOPICS``): each recognised kind lends its articles
   a share of the best lexical score, the first-listed articles the most;
4. the labelled consultations most like it (``casebase``): their articles gain the best lexical score
   times ``CASE_WEIGHT`` times the similarity.

The lexical score is Okapi BM25 (k1 = 1.2, b = 0.75) summed over the words, times a law prior: the
laws grassroots mediation cites most weigh ``COMMON_LAW_BOOST``; laws about the organisation of the
state (法律部门 宪法相关法), which a neighbour's or a worker's trouble never turns on, ``DISTANT_LAW_WEIGHT``.
Ties are broken by law title and article position.  Scores stay inside: people see why an article
was suggested (the words and the kind of dispute), never a number.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Max

from gridgov.laws import lexicon
from gridgov.laws import text as lawtext
from gridgov.laws.casebase import CaseBase
from gridgov.laws.models import Article, Law

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75
EXPANSION_WEIGHT = 0.6
SHORT_WEIGHT = 0.3  # a one-character word of the description (打, 退, 拖): rare as a token, so over-weighted by idf
CHAPTER_WEIGHT = 1  # a chapter's words count this many times in each of its articles
COMMON_LAW_BOOST = 1.6
DISTANT_LAW_WEIGHT = 0.5
DISTANT_DEPARTMENTS = frozenset({"宪法相关法"})
NEAR_LAWS = frozenset({  # 宪法相关法 laws a resident does meet
    "中华人民共和国村民委员会组织法", "中华人民共和国城市居民委员会组织法", "中华人民共和国国家赔偿法",
})
TOPIC_WEIGHT = 2.0  # a recognised kind's first article gains this share of the best lexical score …
TOPIC_DECAY = 0.1  # … each later one this much less …
TOPIC_FLOOR = 0.7  # … but never less than this share of the first's
CASE_WEIGHT = 1.0  # a similar consultation's articles gain this share of the best lexical score, times the similarity
CASE_NEIGHBOURS = 3
CASE_MIN_SIMILARITY = 0.15
TYPE_MATCH = 1.5  # a kind of the dispute's own type (when the type is known) counts this much more
TYPE_MISMATCH = 0.5
# The laws grassroots mediators cite most (人民调解 practice): a mild prior, not a filter.
COMMON_LAWS = frozenset({
    "中华人民共和国民法典", "中华人民共和国劳动合同法", "中华人民共和国劳动法", "中华人民共和国社会保险法",
    "中华人民共和国劳动争议调解仲裁法", "中华人民共和国治安管理处罚法", "中华人民共和国人民调解法",
    "中华人民共和国消费者权益保护法", "中华人民共和国老年人权益保障法", "中华人民共和国妇女权益保障法",
    "中华人民共和国未成年人保护法", "中华人民共和国反家庭暴力法", "中华人民共和国道路交通安全法",
    "中华人民共和国土地管理法", "中华人民共和国农村土地承包法", "中华人民共和国农村土地承包经营纠纷调解仲裁法",
    "中华人民共和国生态环境法典", "中华人民共和国个人信息保护法", "中华人民共和国电子商务法",
})
EXCLUDED_KINDS = ("修正案", "修改决定")
# After a one-character verb, what finishes it without changing its sense: 咬伤 咬了 摔断 砸坏 撞倒 骗走
COMPLEMENTS = frozenset("伤坏断死破倒了着过到掉走跑烂翻碎残疼醒住上下起开回")
MAX_SPAN_TOKENS = 4


@dataclass
class Expansion:
    word: str  # the description's word
    terms: list[str]  # the statutes' words it added


@dataclass
class TopicMatch:
    topic: lexicon.Topic
    words: list[str]  # the description's words that signalled it
    strength: float = 1.0


@dataclass
class Query:
    description: str
    weights: dict[str, float]
    own_terms: list[str]
    expanded_terms: list[str]
    expansions: list[Expansion] = field(default_factory=list)
    topics: list[TopicMatch] = field(default_factory=list)
    leave_out_same: bool = False  # measuring: a labelled case never finds itself in the case base

    def source_of(self, term: str) -> str | None:
        """The description's word that brought in a statute's word (None for the description's own)."""
        if term in self.own_terms:
            return None
        return next((e.word for e in self.expansions if term in e.terms), None)


@dataclass
class Explanation:
    term: str
    weight: float  # 1.0 for the description's own word, EXPANSION_WEIGHT for an added legal term
    tf: int
    score: float
    source: str | None = None  # for an added legal term: the description's word it stands for


@dataclass
class Ranked:
    article_id: int
    score: float
    explanation: list[Explanation]
    topics: list[TopicMatch] = field(default_factory=list)
    cases: list[tuple[str, float]] = field(default_factory=list)  # similar consultations: (description, cosine)


def words_of(description: str) -> set[str]:
    """Every word-bounded piece of the description a lexicon key may equal.

    jieba's precise-mode words, its search-mode words, runs of up to ``MAX_SPAN_TOKENS`` consecutive
    precise words (不给退 = 不给 + 退), and a word cut before a trailing complement (咬伤 → 咬).
    """
    jieba = lawtext.get_jieba()
    text = lawtext.normalize(description)
    precise = [w for w, _, _ in jieba.tokenize(text)]
    out: set[str] = set(precise)
    out.update(w for w, _, _ in jieba.tokenize(text, mode="search"))
    for i in range(len(precise)):
        joined = precise[i]
        for j in range(i + 1, min(i + MAX_SPAN_TOKENS, len(precise))):
            joined += precise[j]
            out.add(joined)
    for w in list(out):
        n = len(w)
        while n > 1 and w[n - 1] in COMPLEMENTS:
            n -= 1
            out.add(w[:n])
    return {w for w in out if w.strip()}


def _key_in(key: str, words: set[str]) -> bool:
    return all(part in words for part in key.split("+"))


@functools.lru_cache(maxsize=4096)
def _legal_terms(phrase: str) -> tuple[str, ...]:
    """The words of a statute phrase of ``lexicon.EXPANSIONS`` (a fixed, small set: segmented once per process)."""
    return tuple(lawtext.query_terms(phrase, search_mode=True))


_TRIGGER_TABLE: tuple[tuple, dict[str, list[int]]] | None = None


def _topics_said(words: set[str]) -> list[lexicon.Topic]:
    """The kinds of dispute (in ``lexicon.TOPICS`` order) with a trigger whose first word the description
    has: only these can match, so the full test of every trigger runs on a few kinds, not on all of them. The
    table from a trigger's first word to its kinds is built once per ``lexicon.TOPICS`` (the case base
    analyses a few thousand descriptions when the index is built; testing every trigger of every kind for
    each took ten seconds)."""
    global _TRIGGER_TABLE
    topics = lexicon.TOPICS
    if _TRIGGER_TABLE is None or _TRIGGER_TABLE[0] is not topics:
        first: dict[str, list[int]] = {}
        for i, topic in enumerate(topics):
            for trigger in topic.triggers:
                kinds = first.setdefault(trigger.lstrip("~").split("+")[0], [])
                if not kinds or kinds[-1] != i:
                    kinds.append(i)
        _TRIGGER_TABLE = (topics, first)
    table = _TRIGGER_TABLE[1]
    said = sorted({i for w in words for i in table.get(w, ())})
    return [topics[i] for i in said]


def analyze(description: str, dispute_type: str | None = None) -> Query:
    own = lawtext.query_terms(description, search_mode=True)
    weights = {t: (SHORT_WEIGHT if len(t) == 1 else 1.0) for t in own}
    words = words_of(description)
    added: list[str] = []
    expansions: list[Expansion] = []
    for word, legal in lexicon.EXPANSIONS.items():
        if word not in words:
            continue
        terms: list[str] = []
        for phrase in legal:
            for term in _legal_terms(phrase):
                terms.append(term)
                if term not in weights:
                    added.append(term)
                if weights.get(term, 0) < EXPANSION_WEIGHT:
                    weights[term] = EXPANSION_WEIGHT
        expansions.append(Expansion(word=word, terms=terms))
    topics: list[TopicMatch] = []
    for topic in _topics_said(words):
        hits = [t for t in topic.triggers if _key_in(t.lstrip("~"), words)]
        if hits:
            strength = sum(lexicon.WEAK if t.startswith("~") else 1.0 for t in hits)
            said = [w for t in hits for w in t.lstrip("~").split("+")]
            topics.append(TopicMatch(topic=topic, words=list(dict.fromkeys(said)), strength=strength))
    if topics:
        for m in topics:
            if dispute_type:
                m.strength *= TYPE_MATCH if dispute_type in m.topic.dispute_types else TYPE_MISMATCH
        best = max(1.0, max(m.strength for m in topics))  # weak words alone never make a full-strength kind
        for m in topics:
            m.strength = m.strength / best
        topics.sort(key=lambda m: -m.strength)
    return Query(description=description, weights=weights, own_terms=own, expanded_terms=added, expansions=expansions,
                 topics=topics)


def _case_features(description: str) -> tuple[list[str], list[str]]:
    q = analyze(description)
    return [t for e in q.expansions for t in e.terms], [m.topic.key for m in q.topics]


class ConsultIndex:
    def __init__(self, stamp):
        self.stamp = stamp
        laws = {
            law.pk: law
            for law in (Law.objects.filter(status__in=Law.EFFECTIVE_STATUSES).exclude(kind__in=EXCLUDED_KINDS)
                        .exclude(title__contains="修正案"))  # 宪法修正案 is filed as 宪法
        }
        title_words = {pk: lawtext.index_tokens(law.short_title) for pk, law in laws.items()}
        chapter_words: dict[str, list[str]] = {}
        ids, doc_laws, sort_keys, lengths = [], [], [], []
        by_number: dict[tuple[str, int], list[int]] = {}
        by_label: dict[tuple[str, str], list[int]] = {}
        postings: dict[str, tuple[list[int], list[int]]] = {}
        rows = (Article.objects.filter(law_id__in=list(laws)).order_by("law_id", "position")
                .values_list("id", "law_id", "position", "number", "label", "chapter", "tokens"))
        for doc, (pk, law_id, position, number, label, chapter, tokens) in enumerate(rows.iterator(chunk_size=5000)):
            if chapter not in chapter_words:
                chapter_words[chapter] = lawtext.index_tokens(chapter) if chapter else []
            words = tokens.split()
            counts = Counter(words)
            for w in set(title_words[law_id]):
                counts[w] += 1
            for w in set(chapter_words[chapter]):
                counts[w] += CHAPTER_WEIGHT
            title = laws[law_id].title
            if number is not None:
                by_number.setdefault((title, number), []).append(doc)
            by_label.setdefault((title, label), []).append(doc)
            ids.append(pk)
            doc_laws.append(law_id)
            sort_keys.append((title, laws[law_id].key, position))
            lengths.append(sum(counts.values()))
            for w, n in counts.items():
                p = postings.get(w)
                if p is None:
                    postings[w] = ([doc], [n])
                else:
                    p[0].append(doc)
                    p[1].append(n)
        self.ids = np.array(ids, dtype=np.int64)
        self.prior = np.array([self._law_prior(laws[law_id]) for law_id in doc_laws])
        order = sorted(range(len(ids)), key=sort_keys.__getitem__)
        self.tiebreak = np.empty(len(ids), dtype=np.int64)  # rank of (law title, key, position)
        self.tiebreak[order] = np.arange(len(ids))
        self.lengths = np.array(lengths, dtype=np.float64)
        self.n = len(ids)
        self.avgdl = float(self.lengths.mean()) if self.n else 1.0
        self.postings = {w: (np.array(d, dtype=np.int64), np.array(n, dtype=np.float64)) for w, (d, n) in
                         postings.items()}
        # each kind of dispute: its articles' documents and their rank in the kind's list
        self.topic_docs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.unresolved: list[tuple[str, str, int | str]] = []  # (kind, law, article) not in the library
        for topic in lexicon.TOPICS:
            docs: dict[int, int] = {}
            rank = 0
            for title, refs in topic.articles:
                for ref in refs:
                    found = by_label.get((title, ref), []) if isinstance(ref, str) else by_number.get((title, ref), [])
                    if not found:
                        self.unresolved.append((topic.key, title, ref))
                    for d in found:
                        docs.setdefault(d, rank)
                    rank += 1
            self.topic_docs[topic.key] = (np.array(list(docs), dtype=np.int64),
                                          np.array(list(docs.values()), dtype=np.float64))
        self.by_number = by_number
        self.casebase = CaseBase.load(_case_features)

    @staticmethod
    def _law_prior(law: Law) -> float:
        if law.title in COMMON_LAWS:
            return COMMON_LAW_BOOST
        if law.department in DISTANT_DEPARTMENTS and law.title not in NEAR_LAWS:
            return DISTANT_LAW_WEIGHT
        return 1.0

    def idf(self, term: str) -> float:
        df = len(self.postings[term][0]) if term in self.postings else 0
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def query(self, description: str, dispute_type: str | None = None) -> Query:
        return analyze(description, dispute_type)

    def _term_scores(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        docs, tf = self.postings[term]
        norm = K1 * (1 - B + B * self.lengths[docs] / self.avgdl)
        return docs, tf, self.idf(term) * tf * (K1 + 1) / (tf + norm)

    def rank(self, query: Query, k: int) -> list[Ranked]:
        if not self.n:
            return []
        scores = np.zeros(self.n)
        parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for term, weight in query.weights.items():
            if term not in self.postings:
                continue
            docs, tf, s = self._term_scores(term)
            scores[docs] += weight * s
            parts[term] = (docs, tf, s)
        scores *= self.prior
        lexical_best = float(scores.max()) if len(parts) else 0.0
        reference = lexical_best if lexical_best > 0 else 1.0
        topic_of: dict[int, list[TopicMatch]] = {}
        for m in query.topics:
            docs, rank = self.topic_docs.get(m.topic.key, (np.empty(0, dtype=np.int64), np.empty(0)))
            if not len(docs):
                continue
            bonus = TOPIC_WEIGHT * m.strength * reference * np.maximum(TOPIC_FLOOR, 1 - TOPIC_DECAY * rank)
            scores[docs] += bonus
            for d in docs.tolist():
                topic_of.setdefault(d, []).append(m)
        case_of: dict[int, list[tuple[str, float]]] = {}
        terms = [t for e in query.expansions for t in e.terms]
        for case, similarity in self.casebase.similar(query.description, terms, [m.topic.key for m in query.topics],
                                                      CASE_NEIGHBOURS,
                                                      exclude=query.description if query.leave_out_same else None):
            if similarity < CASE_MIN_SIMILARITY:
                break
            for title, number in case.articles:
                for d in self.by_number.get((title, number), ()):
                    scores[d] += CASE_WEIGHT * similarity * reference
                    case_of.setdefault(d, []).append((case.description, similarity))
        hit = np.flatnonzero(scores > 0)
        if not len(hit):
            return []
        # highest score first; equal scores (rounded, so float noise cannot reorder) by law and position
        order = np.lexsort((self.tiebreak[hit], -np.round(scores[hit], 9)))[:k]
        out = []
        for doc in hit[order]:
            explanation = []
            for term, (docs, tf, s) in parts.items():
                i = np.searchsorted(docs, doc)
                if i < len(docs) and docs[i] == doc:
                    w = query.weights[term]
                    explanation.append(Explanation(term=term, weight=w, tf=int(tf[i]),
                                                   score=round(float(w * s[i] * self.prior[doc]), 4),
                                                   source=query.source_of(term)))
            explanation.sort(key=lambda e: -e.score)
            out.append(Ranked(article_id=int(self.ids[doc]), score=round(float(scores[doc]), 4),
                              explanation=explanation, topics=topic_of.get(int(doc), []),
                              cases=case_of.get(int(doc), [])))
        return out


_lock = threading.Lock()
_index: ConsultIndex | None = None


def stamp():
    a = Article.objects.aggregate(n=Count("id"), last=Max("id"))
    law = Law.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (a["n"], a["last"], law["n"], law["last"])


def warm_up() -> bool:
    """Build the process's index now, if the library holds any article (a worker calls it in a thread of its own
    at start, so the first consultation does not wait seconds for it). True when an index was built or was
    current; errors are logged, never raised: a consultation builds the index on demand as before."""
    from django.db import connection

    try:
        if not Article.objects.exists():
            return False
        get_index()
        return True
    except Exception:  # a warm-up must not take the worker down; the first consultation retries
        log.exception("the legal consultation index could not be built at start")
        return False
    finally:
        connection.close()  # this thread's own connection


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="consult-warm-up", daemon=True)
    thread.start()
    return thread


def get_index() -> ConsultIndex:
    """The process's index, rebuilt when the database has changed since it was built."""
    global _index
    current = stamp()
    index = _index
    if index is not None and index.stamp == current:
        return index
    with _lock:
        if _index is None or _index.stamp != current:
            _index = ConsultIndex(current)
        return _index
