"""积分 over HTTP for staff (/api/v1/points/): the community ranking and the redemptions to hand over.
Thin: gridgov/points/services.py does the work, with the same scope as the pages (outside it: 404)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Error, Id, PageParams, text
from gridgov.core.errors import ValidationFailed
from gridgov.points import services
from gridgov.points.models import Redemption

router = Router(tags=["积分"])


class PointsRankParams(Schema):
    community: text(12) = Field("", description="社区区划代码（空：辖区全部社区）")
    limit: int = Field(50, ge=1, le=200, description="前 N 名，1–200")


class PointsRankOut(Schema):
    rank: int
    name: str = Field(description="姓名，脱敏（张**）")
    phone: str = Field(description="手机号，脱敏（138****5678）")
    kind: str
    community: str
    earned: int = Field(description="累计获得积分（获得减撤销；兑换不减）")
    balance: int


class PointsRankingOut(Schema):
    community: str | None
    results: list[PointsRankOut]


class PointsRedemptionOut(Schema):
    id: int
    participant: str = Field(description="参与者，脱敏")
    community: str
    item: str
    points: int
    status: str
    status_label: str
    created_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None


class PointsRedemptionPage(Schema):
    count: int
    results: list[PointsRedemptionOut]


def _out(r: Redemption) -> dict:
    return {"id": r.pk, "participant": services.display_name(r.participant), "community": r.item.community.name,
            "item": r.item.name, "points": r.points, "status": r.status, "status_label": r.get_status_display(),
            "created_at": r.created_at, "confirmed_by": r.confirmed_by.display_name if r.confirmed_by_id else None,
            "confirmed_at": r.confirmed_at}


@router.get("/ranking", response={200: PointsRankingOut, 404: Error}, auth=api_auth,
            summary="积分排行 / participants of the communities in your region by points earned (masked)")
def ranking(request, params: Query[PointsRankParams]):
    """The top participants of your region (or of one community in it: ``community`` is its code, 404 outside)."""
    found = services.community_in_scope(request.auth, params.community) if params.community else None
    return {"community": found.code if found else None,
            "results": services.ranking(request.auth, found, params.limit)}


@router.get("/redemptions", response={200: PointsRedemptionPage, 422: Error}, auth=api_auth,
            summary="积分兑换 / the redemptions of the communities in your region, latest first")
def list_redemptions(request, status: text(16) = "", page: Query[PageParams] = None):
    """``status`` requested 待领取 / handed_over 已领取 / cancelled 已取消 (empty: all)."""
    qs = services.redemptions_visible_to(request.auth)
    if status:
        if status not in Redemption.Status.values:
            raise ValidationFailed(_("状态无效"), {"status": [_("请选择 requested / handed_over / cancelled")]})
        qs = qs.filter(status=status)
    return {"count": qs.count(), "results": [_out(r) for r in page.window(qs)]}


@router.post("/redemptions/{redemption_id}/confirm", response={200: PointsRedemptionOut, 404: Error, 409: Error},
             auth=api_auth, summary="确认领取 / the community handed the item over")
def confirm(request, redemption_id: Id):
    r = services.confirm_redemption(request.auth, redemption_id)
    return _out(services.redemptions_visible_to(request.auth).get(pk=r.pk))


@router.post("/redemptions/{redemption_id}/cancel", response={200: PointsRedemptionOut, 404: Error, 409: Error},
             auth=api_auth, summary="取消兑换 / cancel a request not handed over; the points are refunded")
def cancel(request, redemption_id: Id):
    r = services.cancel_redemption(request.auth, redemption_id)
    return _out(services.redemptions_visible_to(request.auth).get(pk=r.pk))
