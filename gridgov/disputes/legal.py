"""Legal consultation on a case (法律咨询): the law library's articles most relevant to a dispute, and
the articles cited on it (through the workflow's ``cite_law`` action)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.disputes.models import Dispute


@dataclass
class Advice:
    hit: object  # laws.services.Hit
    cited: bool


def legal_advice(user, d: Dispute, k: int = 5) -> list[Advice]:
    """The articles most relevant to the dispute's description (laws.consult), and whether each is cited."""
    from gridgov.laws import services as laws

    if not Dispute.objects.visible_to(user).filter(pk=d.pk).exists():  # never advise outside scope
        raise NotFound(_("未找到该纠纷"))
    # a long description: its beginning; the dispute's type favours the kinds of dispute of that type
    hits = laws.consult(d.description[: laws.MAX_DESCRIPTION], k=k, dispute_type=d.dispute_type).hits
    cited = set(d.cited_articles.values_list("article_id", flat=True))
    return [Advice(hit=h, cited=h.article.pk in cited) for h in hits]


def cited_articles(d: Dispute):
    return d.cited_articles.select_related("article__law", "cited_by")


def cited_article(d: Dispute, value) -> dict:
    """The article to cite: the ``cite_law`` action's params."""
    from gridgov.laws.models import Article

    try:
        article = Article.objects.select_related("law").get(pk=int(value))
    except (TypeError, ValueError, Article.DoesNotExist):
        raise ValidationFailed(_("请选择要引用的法条"), {"article": [_("未找到该法条")]}) from None
    if d.cited_articles.filter(article=article).exists():
        raise ValidationFailed(_("该法条已引用"), {"article": [_("该法条已引用")]})
    # keep the consultation's relevance when the article is one of its suggestions
    from gridgov.laws import services as laws

    hits = laws.consult(d.description[: laws.MAX_DESCRIPTION], k=20, dispute_type=d.dispute_type).hits
    hit = next((h for h in hits if h.article.pk == article.pk), None)
    return {"article": article, "relevance": hit.relevance if hit is not None else None}


def relevance_label(relevance: int | None) -> str | None:
    """高 / 中 / 低 for a cited article's stored relevance (None: cited by hand, not suggested)."""
    if relevance is None:
        return None
    from gridgov.laws.services import Hit

    return Hit.label_of(relevance)
