"""The case kernel's models: what every lifecycle's tables have in common, and the kernel's own tables.

A lifecycle (events, disputes, petitions …) declares its concrete models on these abstract bases; its
tables keep their own names and columns (the bases declare exactly the columns the three tables already
had, so adopting them moved no data). A concrete model may re-declare a field to give it its own label.

- :class:`Case` — number, status, the owning center and region, the current stage's deadline with its
  ``warn_at`` and provisional flag, ``closed_at``. ``status`` is written only by the transition engine
  (:mod:`gridgov.cases.engine`).
- :class:`CaseLog` — one append-only row per transition; the concrete log adds the foreign key to its case.
- :class:`CaseAttachment` — a file checked and stored by :mod:`gridgov.cases.uploads`.
- :class:`CaseNotice` — a once-only SLA notice; the concrete model's unique constraint on
  (case, kind, deadline) is what makes the sweep exactly-once.
- :class:`CaseParty` — a person of a case (a dispute's party, a petitioner), the phone sealed.
- :class:`TransitionRecord` — the statistics hook: one row per transition of every lifecycle.
- :class:`DailySequence` — the per-day counters behind the human-readable numbers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import SealedPhone, mask_phone
from gridgov.core.models import AppendOnly


class Case(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    status = models.CharField(_("状态"), max_length=16, db_index=True)
    # the lowest region known for the matter's place
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="%(class)ss",
                               verbose_name=_("所属区划"))
    # the region whose governance center currently owns the case
    center = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="center_%(class)ss",
                               verbose_name=_("受理中心"))

    # the deadline of the current stage; None when no stage runs (finished, or waiting on the public)
    stage_started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(_("办理时限"), null=True, blank=True, db_index=True)
    deadline_unit = models.CharField(max_length=16, blank=True)
    # the moment NEAR_DUE_RATIO of the allowed time is used; fixed with the deadline, so the SLA state
    # (正常 / 即将超期 / 已超期) is a comparison with "now" at read time (gridgov.cases.sla)
    warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # the deadline falls in a year whose holiday schedule is not known yet: computed on weekends only
    deadline_provisional = models.BooleanField(default=False)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class CaseLog(AppendOnly):
    """One transition or note on a case. The concrete model adds ``<case> = ForeignKey(…, related_name="log")``."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=100, blank=True)  # e.g. "群众 138****5678" or "系统"
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


def upload_path(instance: CaseAttachment, filename: str) -> str:
    """Content-addressed: ``<UPLOAD_DIR>/YYYY/MM/ab/<sha256><ext>`` (the name the uploader gave is kept apart)."""
    day = timezone.localdate()
    return f"{instance.UPLOAD_DIR}/{day:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class CaseAttachment(models.Model):
    """A file stored by :func:`gridgov.cases.uploads.store_upload`. The concrete model adds its case key,
    ``UPLOAD_DIR`` and the ``url`` of the view that checks the viewer may see it."""

    UPLOAD_DIR = "cases"

    kind = models.CharField(max_length=8)
    file = models.FileField(upload_to=upload_path, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class CaseNotice(models.Model):
    """A reminder or escalation the SLA sweep has made, once per case, kind and deadline."""

    kind = models.CharField(max_length=16)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class CaseParty(models.Model):
    """A person a case is about or for (a dispute's party, a petitioner): the registry resident when known,
    and always a name and the phone, sealed (:class:`gridgov.core.crypto.SealedPhone`). The concrete model adds
    its case key, the resident key (with its related name) and what is its own (a role, an order …)."""

    name = models.CharField(_("姓名"), max_length=50)
    phone_enc = models.TextField(_("联系电话(加密)"), blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = SealedPhone("phone")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class TransitionRecord(AppendOnly):
    """The statistics hook: one row for every transition of every lifecycle, written by the engine in
    the transition's transaction, so no lifecycle can forget it. The command center aggregates these.

    ``on_time`` is about the stage the transition ended: True/False when a deadline was running (was
    the action taken by it?), None when none was.
    """

    kind = models.CharField(_("案件类型"), max_length=16)  # the lifecycle: event, dispute, petition …
    case_id = models.BigIntegerField()
    number = models.CharField(_("编号"), max_length=20)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    center = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("类别"), max_length=32, blank=True)  # event category code, dispute type …
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)  # a user's role, "citizen" or "system"
    on_time = models.BooleanField(null=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("流转统计记录")
        verbose_name_plural = _("流转统计记录")
        indexes = [
            models.Index(fields=["kind", "at"]),
            models.Index(fields=["kind", "case_id"]),
        ]


class DailySequence(models.Model):
    """Per-day counter for human-readable numbers (prefix + YYYYMMDD + 5 digits), one row per prefix and day."""

    prefix = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "events_dailysequence"  # born in events; the table kept its name when the kernel took it
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="uniq_daily_sequence")]
