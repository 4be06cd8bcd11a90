"""积分: what earns points, the ledger's one writer, redemptions and the ranking.

Awards come from the kernel's signal :data:`gridgov.cases.signals.transitioned` (:func:`on_transition`,
connected in ``PointsConfig.ready``), so they commit or roll back with the transition that earned them:

* a citizen's or hotline caller's report (with a phone) that the center takes on — ``reported → accepted``,
  by ``accept`` or by ``escalate`` straight to the next-level center — earns ``report_accepted``; a rejected
  report earns nothing; a merged one earns nothing, and merging a report that had earned has its award
  reversed (a negative ``reversal`` entry);
* a 回访 that reached the reporter themself (``respondent = reporter``) earns ``followup_useful``, once a case;
* ``verify_pass`` of a case in a category of ``hazard_confirmed`` (问题隐患 by default) earns its reporter
  ``hazard_confirmed``.

Every write (:func:`_write`) locks the participant's row (``select_for_update``), is refused twice by the
unique constraint (participant, rule, source, kind) — inside a savepoint, so a retried or replayed award
inserts nothing and leaves the outer transaction usable — and moves the cached ``balance`` in the same
transaction. An award over the rule's daily cap is written as a zero entry with the reason, so the source is
marked as handled and a later day does not pay it. Grid workers (accounts) earn nothing here: their work is
evaluated (考核); a registered grid volunteer is a participant of kind ``volunteer`` keyed by the phone they
report with.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import NOTHING, region_scope_q
from gridgov.core import crypto
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.events.models import Event, FollowUp, Source, Status
from gridgov.points.models import CatalogueItem, EntryKind, Participant, PointEntry, PointRule, Redemption
from gridgov.regions.models import Region

EARNING_SOURCES = (Source.CITIZEN, Source.HOTLINE)


# --- awards ---------------------------------------------------------------------------------------

def on_transition(sender, lifecycle=None, case=None, entry=None, **kwargs) -> None:
    """The receiver of ``transitioned``: events only, inside the transition's transaction."""
    if isinstance(case, Event) and entry is not None:
        award_for(case, entry)


def earns(event: Event) -> bool:
    return event.source in EARNING_SOURCES and bool(event.reporter_phone_hash)


def award_for(event: Event, entry) -> PointEntry | None:
    """What one transition of an event earns or takes back (None: nothing written)."""
    if not earns(event):
        return None
    source, at = f"event:{event.pk}", entry.created_at
    if entry.from_status == Status.REPORTED and entry.to_status == Status.ACCEPTED:
        return award(event, "report_accepted", source, at, _("事件 %(n)s 被受理") % {"n": event.number})
    if entry.action == "merge":
        target = (entry.data or {}).get("target", "")
        return reverse(event, "report_accepted", source, at, _("事件 %(n)s 已合并到 %(t)s，撤销受理积分")
                       % {"n": event.number, "t": target})
    if entry.action == "follow_up" and (entry.data or {}).get("respondent") == FollowUp.Respondent.REPORTER:
        return award(event, "followup_useful", source, at, _("事件 %(n)s 回访时提供了有效反馈") % {"n": event.number})
    if entry.action == "verify_pass":
        return award(event, "hazard_confirmed", source, at, _("事件 %(n)s 反映的安全隐患经核实") % {"n": event.number})
    return None


def community_of(event: Event) -> Region | None:
    if event.grid_id is not None:
        return event.grid.community
    if event.region.level == Region.Level.COMMUNITY:
        return event.region
    return None


def _participant_locked(event: Event) -> Participant:
    """The reporter's participant row, created on the first award, locked until the transaction ends."""
    digest = event.reporter_phone_hash
    if not Participant.objects.filter(phone_hash=digest).exists():
        try:
            with transaction.atomic():  # a concurrent first award may create it: then use theirs
                Participant.objects.create(phone=event.reporter_phone, name=event.reporter_name[:64],
                                           community=community_of(event))
        except IntegrityError:
            pass
    who = Participant.objects.select_for_update().get(phone_hash=digest)
    if who.community_id is None:
        community = community_of(event)
        if community is not None:
            who.community = community
            Participant.objects.filter(pk=who.pk).update(community=community)
    return who


def _day_bounds(at: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(at)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _capped(who: Participant, rule: PointRule, at: datetime) -> tuple[int, str]:
    """The points this award may still give today under the rule's daily cap, and why it is less."""
    if rule.daily_cap is None:
        return rule.points, ""
    start, end = _day_bounds(at)
    today = PointEntry.objects.filter(participant=who, rule=rule, kind=EntryKind.AWARD,
                                      created_at__gte=start, created_at__lt=end).aggregate(s=Sum("points"))["s"] or 0
    left = max(rule.daily_cap - today, 0)
    if left >= rule.points:
        return rule.points, ""
    return left, _("（已达每日上限 %(cap)s 分）") % {"cap": rule.daily_cap}


# the entries that count as earned (the ranking): awards and their reversals, not redemptions or refunds
EARNING_KINDS = (EntryKind.AWARD, EntryKind.REVERSAL)


def _write(who: Participant, rule: PointRule | None, kind: str, points: int, source: str, reason: str,
           at: datetime) -> PointEntry | None:
    """The ledger's one writer: the entry and the cached balance together; None when the entry exists.
    ``who`` must be locked by the caller."""
    try:
        with transaction.atomic():
            entry = PointEntry.objects.create(participant=who, rule=rule, kind=kind, points=points, source=source,
                                              reason=reason[:200], created_at=at)
    except IntegrityError:
        return None
    if points:
        earned = points if kind in EARNING_KINDS else 0
        Participant.objects.filter(pk=who.pk).update(balance=F("balance") + points, earned=F("earned") + earned)
        who.balance += points
        who.earned += earned
    return entry


def award(event: Event, code: str, source: str, at: datetime, reason: str) -> PointEntry | None:
    rule = PointRule.objects.filter(code=code, active=True).first()
    if rule is None or not rule.covers(event.category.code):
        return None
    who = _participant_locked(event)
    if PointEntry.objects.filter(participant=who, rule=rule, source=source, kind=EntryKind.AWARD).exists():
        return None
    points, note = _capped(who, rule, at)
    return _write(who, rule, EntryKind.AWARD, points, source, reason + note, at)


def reverse(event: Event, code: str, source: str, at: datetime, reason: str) -> PointEntry | None:
    """Take back what ``code`` gave for ``source`` (if anything), once."""
    who = Participant.objects.select_for_update().filter(phone_hash=event.reporter_phone_hash).first()
    if who is None:
        return None
    given = PointEntry.objects.filter(participant=who, rule__code=code, source=source, kind=EntryKind.AWARD).first()
    if given is None or given.points == 0:
        return None
    return _write(who, given.rule, EntryKind.REVERSAL, -given.points, source, reason, at)


# --- redemption -----------------------------------------------------------------------------------

def _row_id(value) -> int | None:
    """A row id from a form or a URL: a positive 64-bit integer, else None (never a database overflow)."""
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return pk if 1 <= pk <= 2**63 - 1 else None


def catalogue(participant: Participant | None):
    if participant is None or participant.community_id is None:
        return CatalogueItem.objects.none()
    return CatalogueItem.objects.filter(community_id=participant.community_id, active=True)


def request_redemption(phone_hash: str, item_id, now: datetime | None = None) -> Redemption:
    """A citizen asks for an item: refused when the balance (read under the participant's lock) is short."""
    now = now or timezone.now()
    with transaction.atomic():
        who = Participant.objects.select_for_update().filter(phone_hash=phone_hash).first()
        item_pk = _row_id(item_id)
        item = (CatalogueItem.objects.select_for_update().filter(pk=item_pk, active=True).first()
                if item_pk is not None else None)
        if item is None or who is None or item.community_id != who.community_id:
            raise ValidationFailed(_("兑换失败"), {"item": [_("请选择您所在社区可兑换的物品")]})
        if item.stock is not None and item.stock < 1:
            raise ValidationFailed(_("兑换失败"), {"item": [_("该物品已兑完")]})
        if who.balance < item.cost:
            raise ValidationFailed(_("积分不足"), {"item": [
                _("积分不足：需要 %(cost)s 分，当前余额 %(balance)s 分") % {"cost": item.cost, "balance": who.balance}]})
        redemption = Redemption.objects.create(participant=who, item=item, points=item.cost, created_at=now)
        _write(who, None, EntryKind.REDEEM, -item.cost, f"redemption:{redemption.pk}",
               _("兑换 %(name)s") % {"name": item.name}, now)
        if item.stock is not None:
            CatalogueItem.objects.filter(pk=item.pk).update(stock=F("stock") - 1)
    return redemption


def staff_scope_q(user, field: str) -> Q:
    """Staff who may see a community's participants and redemptions: regions covering it (no liaisons)."""
    if not isinstance(user, User) or user.role == User.Role.LIAISON:
        return NOTHING
    return region_scope_q(user, field)


def redemptions_visible_to(user):
    return (Redemption.objects.filter(staff_scope_q(user, "item__community__code"))
            .select_related("item", "item__community", "participant", "confirmed_by"))


def _locked_redemption(user, pk) -> Redemption:
    pk = _row_id(pk)
    if pk is None:
        raise NotFound(_("未找到该兑换记录"))
    r = redemptions_visible_to(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if r is None:
        raise NotFound(_("未找到该兑换记录"))
    if r.status != Redemption.Status.REQUESTED:
        raise Conflict(_("该兑换已办理，不能重复操作"), code="redemption_done")
    return r


def confirm_redemption(user, pk, now: datetime | None = None) -> Redemption:
    """The community hands the item over (staff whose region covers the item's community; others get 404)."""
    now = now or timezone.now()
    with transaction.atomic():
        r = _locked_redemption(user, pk)
        r.status, r.confirmed_by, r.confirmed_at = Redemption.Status.HANDED_OVER, user, now
        r.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return r


def cancel_redemption(user, pk, now: datetime | None = None) -> Redemption:
    """Cancel a request not yet handed over: the points come back (a positive ``refund`` entry), the stock too."""
    now = now or timezone.now()
    with transaction.atomic():
        r = _locked_redemption(user, pk)
        who = Participant.objects.select_for_update().get(pk=r.participant_id)
        r.status, r.confirmed_by, r.confirmed_at = Redemption.Status.CANCELLED, user, now
        r.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        _write(who, None, EntryKind.REFUND, r.points, f"redemption:{r.pk}",
               _("取消兑换 %(name)s，退还积分") % {"name": r.item.name}, now)
        if r.item.stock is not None:
            CatalogueItem.objects.filter(pk=r.item_id).update(stock=F("stock") + 1)
    return r


# --- reading --------------------------------------------------------------------------------------

def participant_for_phone_hash(digest: str) -> Participant | None:
    return Participant.objects.filter(phone_hash=digest).select_related("community").first() if digest else None


def history(participant: Participant | None, limit: int = 100) -> list[PointEntry]:
    if participant is None:
        return []
    return list(participant.entries.select_related("rule")[:limit])


def mask_name(name: str) -> str:
    """张** — the first character and two stars."""
    name = (name or "").strip()
    return f"{name[0]}**" if name else ""


def display_name(p: Participant) -> str:
    return mask_name(p.name) or _("居民 %(phone)s") % {"phone": crypto.mask_phone(p.phone)}


def community_in_scope(user, code: str) -> Region:
    """A community the user may rank; any other code is a 404."""
    found = Region.objects.filter(staff_scope_q(user, "code"), code=code, level=Region.Level.COMMUNITY).first()
    if found is None:
        raise NotFound(_("未找到该社区"), {"community": [_("未找到该社区或不在您的辖区内")]})
    return found


def ranking(user, community: Region | None = None, limit: int = 50) -> list[dict]:
    """Participants of the communities in the user's scope, by the points they earned (awards net of
    reversals; spending does not lower a rank; ties share a rank: 1, 1, 3), names and phones masked. Reads the
    cached ``earned`` through the (community, -earned) index, never the ledger."""
    qs = Participant.objects.filter(staff_scope_q(user, "community__code"), earned__gt=0)
    if community is not None:
        qs = qs.filter(community=community)
    rows = list(qs.select_related("community").order_by("-earned", "id")[:limit])
    out, rank = [], 0
    for i, p in enumerate(rows, start=1):
        if i == 1 or p.earned != rows[i - 2].earned:
            rank = i
        out.append({"rank": rank, "name": mask_name(p.name) or "—", "phone": crypto.mask_phone(p.phone),
                    "kind": p.get_kind_display(), "community": p.community.name if p.community_id else "",
                    "earned": p.earned, "balance": p.balance})
    return out
