"""Law library over HTTP: search, consultation and a law with its articles.  Any signed-in user.

``highlight`` fields are HTML: the article text escaped, with the matched words in ``<mark>``.
"""

from __future__ import annotations

from datetime import date

from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.laws import services

router = Router(tags=["laws"], auth=api_auth)


class LawBrief(Schema):
    id: int
    title: str
    status: str
    status_display: str


class ArticleHit(Schema):
    id: int
    law: LawBrief
    label: str
    number: int | None
    chapter: str
    text: str
    highlight: str


class SearchOut(Schema):
    query: str
    terms: list[str]
    partial: bool
    include_lapsed: bool = Field(description="是否包含已失效（已废止、历史版本、已被修改）法规的条文")
    lapsed_hidden: int = Field(description="匹配但未返回的已失效法规条文数（include_lapsed=false 时；最多 100）")
    results: list[ArticleHit]


class MatchedTerm(Schema):
    term: str
    weight: float
    tf: int
    score: float


class ConsultHit(ArticleHit):
    relevance: int = Field(description="相关程度：本条得分占本次结果中最高得分的百分比（0–100），供界面显示高/中/低")
    score: float = Field(description="排序得分（内部算法值，只可在同一次结果内比较；界面不显示）")
    matched: list[MatchedTerm]


class ConsultIn(Schema):
    description: str = Field(..., max_length=services.MAX_DESCRIPTION)
    k: int = Field(5, ge=1, le=20)


class ConsultOut(Schema):
    description: str
    terms: list[str]
    expanded: list[str]
    results: list[ConsultHit]


class ArticleOut(Schema):
    id: int
    label: str
    number: int | None
    chapter: str
    text: str


class LawOut(Schema):
    id: int
    title: str
    issuing_body: str
    kind: str
    level: str
    department: str
    promulgated: date | None
    effective: date | None
    status: str
    status_display: str
    source: str
    articles: list[ArticleOut]


class SearchParams(Schema):
    q: str = Field(..., max_length=services.MAX_QUERY)
    limit: int = Field(20, ge=1, le=services.MAX_LIMIT)
    law: int | None = Field(None, ge=1, le=2**31 - 1)
    include_lapsed: bool = Field(False, description="含已失效：也检索已废止、历史版本、已被修改的法规（指定 law 时总是包含）")


def law_brief(law) -> dict:
    return {"id": law.pk, "title": law.title, "status": law.status, "status_display": str(law.get_status_display())}


def hit_out(hit) -> dict:
    a = hit.article
    return {"id": a.pk, "law": law_brief(a.law), "label": a.label, "number": a.number, "chapter": a.chapter,
            "text": a.text, "highlight": hit.highlight, "score": hit.score, "relevance": hit.relevance,
            "matched": [{"term": e.term, "weight": e.weight, "tf": e.tf, "score": e.score} for e in hit.explanation]}


@router.get("/laws/search", response=SearchOut, summary="全文检索法律条文")
def search(request, params: Query[SearchParams]):
    r = services.search(params.q, limit=params.limit, law=params.law, include_lapsed=params.include_lapsed)
    return {"query": r.query, "terms": r.terms, "partial": r.partial, "include_lapsed": r.include_lapsed,
            "lapsed_hidden": r.lapsed_hidden, "results": [hit_out(h) for h in r.hits]}


@router.post("/laws/consult", response=ConsultOut, summary="法律咨询：描述纠纷，返回最相关的条文")
def consult(request, payload: ConsultIn):
    c = services.consult(payload.description, k=payload.k)
    return {"description": c.description, "terms": c.terms, "expanded": c.expanded,
            "results": [hit_out(h) for h in c.hits]}


@router.get("/laws/{int:law_id}", response=LawOut, summary="一部法律及其全部条文")
def law_detail(request, law_id: int):
    law = services.get_law(law_id)
    return {**law_brief(law), "issuing_body": law.issuing_body, "kind": law.kind, "level": law.level,
            "department": law.department, "promulgated": law.promulgated, "effective": law.effective,
            "source": law.source,
            "articles": [{"id": a.pk, "label": a.label, "number": a.number, "chapter": a.chapter, "text": a.text}
                         for a in services.articles_of(law)]}
