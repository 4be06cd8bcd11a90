"""The case kernel's models: what every lifecycle's tables have in common, and the kernel's own tables.

A lifecycle (events, disputes, petitions …) declares its concrete models on these abstract bases; its
tables keep their own names and columns (the bases declare exactly the columns the three tables already
had, so adopting them moved no data). A concrete model may re-declare a field to give it its own label.

- :class:`Case` — number, status, the owning center and region, the current stage's deadline with its
  ``warn_at`` and provisional flag, ``closed_at``. ``status`` is written only by the transition engine
  (:mod:`gridgov.cases.engine`).
- :class:`SweptCase` — a Case the SLA sweep works on its stage deadline: with the sweep's marks.
- :class:`CaseLog` — one append-only row per transition; the concrete log adds the foreign key to its case.
- :class:`CaseAttachment` — a file checked and stored by :mod:`gridgov.cases.uploads`.
- :class:`CaseNotice` — a once-only SLA notice; the concrete model's unique constraint on
  (case, kind, deadline) is what makes the sweep exactly-once.
- :class:`CaseParty` — a person of a case (a dispute's party, a petitioner), the phone sealed.
- :class:`TransitionRecord` — the statistics hook: one row per transition of every lifecycle.
- :class:`DailySequence` — the per-day counters behind the human-readable numbers.
- :class:`Tally`, :class:`TallyMix`, :class:`OpenCase`, :class:`DeptTally` — the statistics rollups the
  engine keeps in step with every transition (:mod:`gridgov.cases.tally`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import marks
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
    stage_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("本阶段开始时间"))
    # deadline and warn_at: no index of their own; each concrete model declares (status, deadline) and the sweep's
    # partial indexes (marks.sweep_indexes), which serve every query of them (docs/architecture.md)
    deadline = models.DateTimeField(_("办理时限"), null=True, blank=True)
    deadline_unit = models.CharField(max_length=16, blank=True, verbose_name=_("时限单位"))
    # the moment NEAR_DUE_RATIO of the allowed time is used; fixed with the deadline, so the SLA state
    # (正常 / 即将超期 / 已超期) is a comparison with "now" at read time (gridgov.cases.sla)
    warn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("临期提醒时间"))
    # the deadline falls in a year whose holiday schedule is not known yet: computed on weekends only
    deadline_provisional = models.BooleanField(default=False, verbose_name=_("时限暂定(节假日未公布)"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    # the case's own time limit for being closed (办结时限), kept through every stage; only an approved
    # extension moves it. None where the lifecycle sets none (yet).
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    # recorded by the engine when the case closes: closed by ``due_at``? (None: open, or no limit known)
    closed_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class SweptCase(Case):
    """A case the SLA sweep reminds and escalates on its stage deadline: the sweep's marks, written with its
    action — the deadline the case was escalated (overdue) and reminded (near due) for; a case whose mark
    differs from its deadline is still to sweep. The concrete model declares ``marks.sweep_indexes(…)``
    (:mod:`gridgov.cases.marks`)."""

    sla_overdue_for = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("已超期处置的时限"))
    sla_near_due_for = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("已临期提醒的时限"))
    # computed by the database from the marks and the deadline (still to escalate / remind for this deadline):
    # the partial indexes' predicate, and a column with statistics, which the comparison itself is not
    sla_overdue_todo = models.GeneratedField(expression=marks.overdue_todo_expression(),
                                             output_field=models.BooleanField(), db_persist=True,
                                             verbose_name=_("待超期处置"))
    sla_near_due_todo = models.GeneratedField(expression=marks.near_due_todo_expression(),
                                              output_field=models.BooleanField(), db_persist=True,
                                              verbose_name=_("待临期提醒"))

    class Meta:
        abstract = True


class CaseLog(AppendOnly):
    """One transition or note on a case. The concrete model adds ``<case> = ForeignKey(…, related_name="log")``."""

    # indexed only where set (Meta): the system's rows (sweeps, reminders: a large share) have no actor
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("操作人"),
                              db_index=False)
    actor_label = models.CharField(max_length=100, blank=True, verbose_name=_("操作人(显示名)"))  # e.g. "群众 138****5678" or "系统"
    action = models.CharField(max_length=32, verbose_name=_("操作"))
    from_status = models.CharField(max_length=16, blank=True, verbose_name=_("原状态"))
    to_status = models.CharField(max_length=16, blank=True, verbose_name=_("新状态"))
    note = models.TextField(blank=True, verbose_name=_("说明"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("附加数据"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("记录时间"))

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["actor"], condition=models.Q(actor__isnull=False), name="%(class)s_actor")]


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
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("手机号摘要"))
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
    # indexed: the primary key and (kind, at) only — the statistics read the records by kind and time; the sweep
    # writes one record per case it acts on, and every index costs each of those rows (docs/architecture.md)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    center = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    category = models.CharField(_("类别"), max_length=32, blank=True)  # event category code, dispute type …
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)  # a user's role, "citizen" or "system"
    # the department the action concerns (the case's lead department when it was taken, or the one the
    # transition names through Transition.concerns: an assisting department's 报到), if any
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    on_time = models.BooleanField(null=True)
    # the department measures this transition counted (gridgov.cases.models.DEPT_MEASURES), comma-joined
    flows = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("流转统计记录")
        verbose_name_plural = _("流转统计记录")
        indexes = [
            models.Index(fields=["kind", "at"]),
        ]


class DailySequence(models.Model):
    """Per-day counter for human-readable numbers (prefix + YYYYMMDD + 5 digits), one row per prefix and day."""

    prefix = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "events_dailysequence"  # born in events; the table kept its name when the kernel took it
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="uniq_daily_sequence")]


# --- the statistics rollups (gridgov.cases.tally keeps them; gridgov.stats reads them) ---------------------

TALLY_MEASURES = (
    "reported",         # 受理/登记: every case
    "valid",            # 立案: taken up (not rejected, not merged, no longer waiting to be accepted)
    "dispatched",       # 派遣: given to a department at least once
    "closed",           # 结案/办结
    "closed_on_time",   # 按期结案: closed by its 办结时限
    "reworked",         # 返工: sent back after verification at least once
    "extended",         # 延期: an extension was approved at least once
    "returned",         # 退回: a department returned it at least once
    "rated",            # 评价数
    "satisfied",        # 满意 + 基本满意
    "resolved_grid",    # closed, resolved in the grid (on the spot)
    "resolved_township",
    "resolved_county",
    "resolved_city",
    "succeeded",        # a dispute mediated successfully (化解)
    "reply_due",        # a petition that owes a procedural reply (来信/网上信访)
    "replied_on_time",  # … and got it in time (七日内回复)
)
MIX_MEASURES = ("reported", "valid", "closed", "closed_on_time")


class TallyBase(models.Model):
    kind = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField()  # 2 city, 3 county, 4 township, 5 community, 6 grid
    code = models.CharField(max_length=15)

    class Meta:
        abstract = True


def _measure_fields(names) -> dict:
    return {name: models.IntegerField(default=0) for name in names}


class Tally(TallyBase):
    """Cases by the day they were reported and the region node (every level of the place's path), with
    counts of what they have become so far — a cohort rollup: a case's later transitions move its counts
    within the row of the day it was reported."""

    day = models.DateField()
    locals().update(_measure_fields(TALLY_MEASURES))

    class Meta:
        verbose_name = _("案件统计汇总")
        verbose_name_plural = _("案件统计汇总")
        constraints = [models.UniqueConstraint(fields=["kind", "level", "code", "day"], name="uniq_tally")]
        # the unique index reads a place's days (a region's children over a period); this one reads a period's
        # communities: the city's heat layer sums a month of every community's reported cases from it alone.
        # Partial (communities only) so that no other reader's plan can pick it over the place index; a query
        # uses it only when it says ``level = 5`` literally (gridgov.stats.api_summary.heat_points)
        # The place index with the reported count: a township's or county's heat layer (its grids' reported
        # cases over a period) is read from it alone.
        indexes = [models.Index(fields=["kind", "level", "day", "code", "reported"], condition=models.Q(level=5),
                                name="tally_community_day"),
                   models.Index(fields=["kind", "level", "code", "day", "reported"], name="tally_place_reported")]


class TallyMix(TallyBase):
    """Cases by month, category and source, for the city, county and township levels (below a township
    the cases themselves are few enough to count)."""

    month = models.DateField()  # the first of the month
    category = models.CharField(max_length=32)
    source = models.CharField(max_length=16)
    locals().update(_measure_fields(MIX_MEASURES))

    class Meta:
        verbose_name = _("案件分类统计汇总")
        verbose_name_plural = _("案件分类统计汇总")
        constraints = [
            models.UniqueConstraint(fields=["kind", "level", "code", "month", "category", "source"],
                                    name="uniq_tally_mix"),
        ]


class OpenCase(models.Model):
    """One row per open case of every lifecycle, with what time changes (overdue, 即将超期, 应结案, 积案) is
    judged against — a small table, so "how many are overdue now" is a count at read time, never stored."""

    kind = models.CharField(max_length=16)
    case_id = models.BigIntegerField()
    code = models.CharField(max_length=15)  # the place: the grid's code, else the region's
    day = models.DateField()                # the day it was reported
    status = models.CharField(max_length=16)
    category = models.CharField(max_length=32, blank=True)
    deadline = models.DateTimeField(null=True)  # the current stage's
    warn_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)    # the case's 办结时限

    class Meta:
        verbose_name = _("在办案件")
        verbose_name_plural = _("在办案件")
        constraints = [models.UniqueConstraint(fields=["kind", "case_id"], name="uniq_open_case")]
        # the place index carries every column the readers count with, so "open / overdue / near due / 积案 by
        # county" is read from the index alone (at 2,000,000 events a city has ~20,000 open cases; fetching
        # each row from the table cost SQLite ~70 ms a query)
        indexes = [models.Index(fields=["kind", "code", "day", "deadline", "warn_at", "due_at"],
                                name="opencase_place_cover"),
                   models.Index(fields=["kind", "deadline"])]


DEPT_MEASURES = (
    "received",         # dispatched to the department (as lead)
    "signed",           # 签收
    "signed_on_time",
    "handled",          # 反馈处置结果
    "handled_on_time",  # … within the handling deadline (按期处置)
    "returned",         # 退回
    "reworked",         # 核查不通过 (返工) of its work
    "extended",         # 延期 approved
    "rated",
    "satisfied",
)


class DeptTally(models.Model):
    """What departments did, by the day they did it (a flow rollup of the transition records that name a
    department)."""

    kind = models.CharField(max_length=16)
    day = models.DateField()
    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="+")
    locals().update(_measure_fields(DEPT_MEASURES))

    class Meta:
        verbose_name = _("部门统计汇总")
        verbose_name_plural = _("部门统计汇总")
        constraints = [models.UniqueConstraint(fields=["kind", "department", "day"], name="uniq_dept_tally")]


class SweepDigest(models.Model):
    """What a sweep's batch has to tell one audience (a center's operators, a department's liaisons, the leaders
    of a region, one user), written in the batch's transaction: the outbox of the sweep's digests. At the end of
    a sweep (:func:`gridgov.cases.digest.flush`) the rows of a lifecycle are summed into ONE notification per
    audience and action, and deleted in the same transaction — so a sweep killed after some batches loses no
    digest: the next sweep's flush sends what it left."""

    kind = models.CharField(max_length=16)       # the lifecycle (event, dispute, petition …)
    action = models.CharField(max_length=32)     # the sweep plan's system action (sla_escalate …)
    audience = models.CharField(max_length=16)   # operator / liaison / leader / user (gridgov.cases.notify)
    target = models.CharField(max_length=32)     # the region id, department id, region code or user id
    count = models.PositiveIntegerField()
    numbers = models.JSONField(default=list)     # the first case numbers (at most digest.NUMBERS)
    created_at = models.DateTimeField(default=timezone.now)
