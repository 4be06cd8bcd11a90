"""The points ledger: participants, the rules an administrator configures, and the append-only entries."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import SealedPhone
from gridgov.core.models import AppendOnly


class Participant(models.Model):
    """A citizen (keyed by the verified phone's hash, the same key as Event.reporter_phone_hash) or a volunteer."""

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
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分参与者")
        verbose_name_plural = _("积分参与者")


class PointRule(models.Model):
    """What earns points, how many, and the daily cap per participant (none when empty)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    points = models.PositiveIntegerField(_("积分"))
    daily_cap = models.PositiveIntegerField(_("每日上限"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return self.name


class PointEntry(AppendOnly):
    """One ledger row, written once (database triggers refuse UPDATE and DELETE, core/appendonly.py)."""

    participant = models.ForeignKey(Participant, verbose_name=_("参与者"), on_delete=models.PROTECT)
    rule = models.ForeignKey(PointRule, verbose_name=_("规则"), null=True, blank=True, on_delete=models.PROTECT)
    points = models.IntegerField(_("积分"))
    source = models.CharField(_("来源"), max_length=64)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        constraints = [
            models.UniqueConstraint(fields=["participant", "rule", "source"], name="points_entry_once"),
        ]
