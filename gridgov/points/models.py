"""The points ledger: participants, the rules an administrator configures, the append-only entries, the
community catalogue (道德银行 / 邻礼中心), redemptions and the one-time codes of the citizen page."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import SealedPhone
from gridgov.core.models import AppendOnly


class Participant(models.Model):
    """A citizen or a registered grid volunteer, keyed by the phone's hash (the same key as
    Event.reporter_phone_hash): a volunteer's own reports by that phone earn for the volunteer."""

    KIND_CHOICES = [("citizen", _("居民")), ("volunteer", _("网格志愿者"))]

    kind = models.CharField(_("类型"), max_length=16, choices=KIND_CHOICES, default="citizen")
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone_enc = models.TextField(_("手机号(加密)"), blank=True, editable=False)
    phone_hash = models.CharField(_("手机号摘要"), max_length=64, unique=True, editable=False)
    phone = SealedPhone("phone")
    community = models.ForeignKey(
        "regions.Region", verbose_name=_("社区"), null=True, blank=True, on_delete=models.PROTECT
    )
    balance = models.IntegerField(_("余额"), default=0)
    # points earned: awards net of reversals (spending does not lower it) — the ranking's key, cached like the
    # balance in the ledger writer's transaction, so a community's ranking reads an index, not the ledger
    earned = models.IntegerField(_("累计获得"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分参与者")
        verbose_name_plural = _("积分参与者")
        indexes = [models.Index(fields=["community", "-earned", "id"], name="points_participant_ranking"),
                   # the ranking of a township, county or city (no community chosen): the top of this index,
                   # filtered by the scope, instead of sorting every participant in it
                   models.Index(fields=["-earned", "id"], name="points_participant_top")]

    def __str__(self) -> str:
        from gridgov.points.services import display_name

        return display_name(self)


class PointRule(models.Model):
    """What earns points, how many, the daily cap per participant (none when empty) and, for rules bound to
    the kind of problem, the event categories it applies to (codes; a group's code covers its leaves)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    points = models.PositiveIntegerField(_("积分"))
    daily_cap = models.PositiveIntegerField(_("每日上限"), null=True, blank=True,
                                            help_text=_("每人每天按本规则最多获得的积分；留空为不限"))
    categories = models.CharField(_("适用分类编码"), max_length=200, blank=True,
                                  help_text=_("以逗号分隔的事件分类编码，一级分类包含其下所有分类；留空为全部分类"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Every category code must exist (the admin's form calls this): a typo would silently match nothing."""
        from django.core.exceptions import ValidationError

        from gridgov.events.models import Category

        codes = [c.strip() for c in self.categories.split(",") if c.strip()]
        unknown = sorted(set(codes) - set(Category.objects.filter(code__in=codes).values_list("code", flat=True)))
        if unknown:
            raise ValidationError({"categories": _("未知的分类编码：%(codes)s") % {"codes": "、".join(unknown)}})
        self.categories = ",".join(codes)

    def covers(self, category_code: str) -> bool:
        prefixes = [c.strip() for c in self.categories.split(",") if c.strip()]
        return not prefixes or any(category_code.startswith(p) for p in prefixes)


class EntryKind(models.TextChoices):
    AWARD = "award", _("获得")
    REVERSAL = "reversal", _("撤销")
    REDEEM = "redeem", _("兑换")
    REFUND = "refund", _("退还")


class PointEntry(AppendOnly):
    """One ledger row, written once (database triggers refuse UPDATE and DELETE, core/appendonly.py)."""

    participant = models.ForeignKey(Participant, verbose_name=_("参与者"), on_delete=models.PROTECT,
                                    related_name="entries")
    rule = models.ForeignKey(PointRule, verbose_name=_("规则"), null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(_("类别"), max_length=16, choices=EntryKind.choices, default=EntryKind.AWARD)
    points = models.IntegerField(_("积分"))
    source = models.CharField(_("来源"), max_length=64)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "rule", "source", "kind"], name="points_entry_once"),
            # redemptions and refunds have no rule, and NULLs are distinct in a unique index: their own constraint
            models.UniqueConstraint(fields=["participant", "source", "kind"], condition=models.Q(rule__isnull=True),
                                    name="points_entry_once_without_rule"),
        ]
        indexes = [models.Index(fields=["participant", "rule", "created_at"])]


class CatalogueItem(models.Model):
    """A service or a good a community offers for points (道德银行 / 邻礼中心)."""

    community = models.ForeignKey("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT,
                                  related_name="+")
    name = models.CharField(_("名称"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), null=True, blank=True, help_text=_("留空为不限"))
    active = models.BooleanField(_("上架"), default=True)

    class Meta:
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        ordering = ["cost", "id"]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("待领取")
        HANDED_OVER = "handed_over", _("已领取")
        CANCELLED = "cancelled", _("已取消")

    participant = models.ForeignKey(Participant, verbose_name=_("参与者"), on_delete=models.PROTECT,
                                    related_name="redemptions")
    item = models.ForeignKey(CatalogueItem, verbose_name=_("兑换物品"), on_delete=models.PROTECT,
                             related_name="redemptions")
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    confirmed_by = models.ForeignKey("accounts.User", verbose_name=_("办理人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("办理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-created_at", "-id"]


class LoginCode(models.Model):
    """A one-time code sent to a phone for the citizen points page; only its keyed hash is kept."""

    phone_hash = models.CharField(_("手机号摘要"), max_length=64, db_index=True)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    used = models.BooleanField(_("已使用"), default=False)

    class Meta:
        verbose_name = _("积分验证码")
        verbose_name_plural = _("积分验证码")
