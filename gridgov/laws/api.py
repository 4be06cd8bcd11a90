"""Law library over HTTP: search, consultation and a law with its articles.  Any signed-in user.

``highlight`` fields are HTML: the article text escaped, with the matched words in ``<mark>``.
"""

from __future__ import annotations

from datetime import date

from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.laws import services
from gridgov.laws.taxonomy import DisputeType

router = Router(tags=["法律法规"], auth=api_auth)


class LawBrief(Schema):
    id: int
    title: str
    status: str
    status_display: str
    status_hint: str = Field(description="时效性的说明，如“已被修改，按修改后的文本施行”")
    status_note: str = Field(description="时效性由更正表改定时的依据（否则为空）")


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
    include_lapsed: bool = Field(description="是否包含已失效（已废止、历史版本）法规的条文；已被修改的法律按修改后的文本有效，总是包含")
    lapsed_hidden: int = Field(description="匹配但未返回的已失效法规条文数（include_lapsed=false 时；最多 100）")
    results: list[ArticleHit]


class Reason(Schema):
    kind: str = Field(description="topic：像是某类纠纷，本条是这类纠纷的常用条文；case：相似的咨询引用了本条；"
                                  "words：条文中有描述里的词；terms：描述里的日常说法在法律上的用语出现在条文中")
    text: str = Field(description="给人看的说明（中文）")
    words: list[str] = Field(description="相关的词（在 highlight 中已用 <mark> 标出）")


class ConsultHit(ArticleHit):
    relevance: str = Field(description="相关度：高、中或低（按本次结果中的相对位置，不是分数）")
    reasons: list[Reason] = Field(description="为什么推荐这一条")


class ConsultIn(Schema):
    description: str = Field(..., max_length=services.MAX_DESCRIPTION)
    k: int = Field(5, ge=1, le=20)
    dispute_type: DisputeType | None = Field(None, description="纠纷类型（已知时），如 labor、marriage；用于优先考虑该类纠纷的条文")


class ConsultOut(Schema):
    description: str
    description_highlight: str = Field(description="描述原文（已转义），引出推荐的词用 <mark> 标出")
    topics: list[str] = Field(description="识别出的纠纷类别，最像的在前")
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
    include_lapsed: bool = Field(False, description="含已失效：也检索已废止、历史版本的法规（指定 law 时总是包含）")


def law_brief(law) -> dict:
    return {"id": law.pk, "title": law.title, "status": law.status, "status_display": str(law.get_status_display()),
            "status_hint": law.status_hint, "status_note": law.status_note}


def hit_out(hit) -> dict:
    a = hit.article
    return {"id": a.pk, "law": law_brief(a.law), "label": a.label, "number": a.number, "chapter": a.chapter,
            "text": a.text, "highlight": hit.highlight}


def consult_hit_out(hit) -> dict:
    return {**hit_out(hit), "relevance": hit.relevance_label,
            "reasons": [{"kind": r.kind, "text": r.text, "words": r.words} for r in hit.reasons]}


@router.get("/laws/search", response=SearchOut, summary="全文检索法律条文")
def search(request, params: Query[SearchParams]):
    r = services.search(params.q, limit=params.limit, law=params.law, include_lapsed=params.include_lapsed)
    return {"query": r.query, "terms": r.terms, "partial": r.partial, "include_lapsed": r.include_lapsed,
            "lapsed_hidden": r.lapsed_hidden, "results": [hit_out(h) for h in r.hits]}


@router.post("/laws/consult", response=ConsultOut, summary="法律咨询：描述纠纷，返回最相关的条文")
def consult(request, payload: ConsultIn):
    c = services.consult(payload.description, k=payload.k,
                         dispute_type=payload.dispute_type.value if payload.dispute_type else None)
    return {"description": c.description, "description_highlight": c.description_html, "topics": c.topics,
            "terms": c.terms, "expanded": c.expanded, "results": [consult_hit_out(h) for h in c.hits]}


@router.get("/laws/{int:law_id}", response=LawOut, summary="一部法律及其全部条文")
def law_detail(request, law_id: int):
    law = services.get_law(law_id)
    return {**law_brief(law), "issuing_body": law.issuing_body, "kind": law.kind, "level": law.level,
            "department": law.department, "promulgated": law.promulgated, "effective": law.effective,
            "source": law.source,
            "articles": [{"id": a.pk, "label": a.label, "number": a.number, "chapter": a.chapter, "text": a.text}
                         for a in services.articles_of(law)]}
