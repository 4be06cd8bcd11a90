"""The agreement DOCX, the judicial-confirmation window, and the sweep's exactly-once reminders."""

import io
from datetime import timedelta

from django.utils import timezone
from docx import Document

from gridgov.core.models import Notification
from gridgov.disputes import services, sla
from gridgov.disputes.agreement import build_docx
from gridgov.disputes.models import Agreement, DisputeLog, DisputeNotice

from .test_workflow import S, drive


def _text(body: bytes) -> str:
    doc = Document(io.BytesIO(body))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_the_agreement_docx_has_parties_terms_and_the_signature_block(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    text = _text(build_docx(d))
    assert "人民调解协议书" in text and d.number in text
    assert "申请人：张三" in text and "被申请人：李四" in text
    assert "1. 李四赔偿张三维修费3000元" in text and "2. 双方互不追究" in text
    for line in ("当事人签名", "调解员签名", "人民调解委员会（印章）", "日期"):
        assert line in text
    assert "古楼街道人民调解委员会" in text and "司法确认" in text


def test_the_confirmation_window_ends_30_days_after_signing(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    ag = Agreement.objects.get(dispute=d)
    assert ag.confirmation_last_day == ag.signed_on + timedelta(days=30)


def test_the_sweep_reminds_near_due_and_reports_overdue_once_per_deadline(make_dispute, city, mediators):
    d = make_dispute()
    start = timezone.now()
    services.perform_action(city.operator_a, d, "accept", now=start)
    services.perform_action(city.operator_a, d, "assign", {"mediator": mediators["a"].pk}, now=start)
    assert sla.sweep(start + timedelta(days=1)) == {"reminded": 0, "overdue": 0, "confirm": 0}
    near = start + timedelta(days=25)
    assert sla.sweep(near)["reminded"] == 1
    assert sla.sweep(near)["reminded"] == 0
    late = start + timedelta(days=31)
    assert sla.sweep(late)["overdue"] == 1
    assert sla.sweep(late) == {"reminded": 0, "overdue": 0, "confirm": 0}
    assert list(d.log.filter(action__startswith="sla_").values_list("action", flat=True)) == ["sla_remind",
                                                                                               "sla_overdue"]
    assert Notification.objects.filter(kind="sla_overdue", recipient=mediators["a"].user).count() == 1


def test_a_new_deadline_gets_its_own_reminder(make_dispute, city):
    d = make_dispute()
    start = timezone.now()
    services.perform_action(city.operator_a, d, "accept", now=start)
    assert sla.sweep(start + timedelta(days=25))["reminded"] == 1
    services.perform_action(city.operator_a, d, "change_channel", {"channel": "judicial", "note": "转"},
                            now=start + timedelta(days=26))
    assert sla.sweep(start + timedelta(days=26 + 25))["reminded"] == 1
    assert DisputeNotice.objects.filter(dispute=d, kind="remind").count() == 2


def test_the_sweep_reminds_of_judicial_confirmation_once(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    ag = Agreement.objects.get(dispute=d)
    assert sla.sweep()["confirm"] == 0  # the window has just started
    Agreement.objects.filter(pk=ag.pk).update(signed_on=ag.signed_on - timedelta(days=25))
    assert sla.sweep()["confirm"] == 1
    assert sla.sweep()["confirm"] == 0
    entry = d.log.get(action="confirm_remind")
    assert "最后一日" in entry.note


def test_a_second_notice_of_the_same_kind_and_deadline_is_refused_by_the_database(make_dispute, city):
    """What makes concurrent sweeps exactly-once, without relying on threads overlapping."""
    import pytest
    from django.db import IntegrityError, transaction

    d = make_dispute()
    services.perform_action(city.operator_a, d, "accept")
    d.refresh_from_db()
    DisputeNotice.objects.create(dispute=d, kind=DisputeNotice.Kind.OVERDUE, deadline=d.deadline)
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeNotice.objects.create(dispute=d, kind=DisputeNotice.Kind.OVERDUE, deadline=d.deadline)
    DisputeNotice.objects.create(dispute=d, kind=DisputeNotice.Kind.REMIND, deadline=d.deadline)
    assert DisputeNotice.objects.filter(dispute=d).count() == 2


def test_the_sweep_takes_its_cases_set_based(make_dispute, city, mediators):
    """Overdue reports and confirmation reminders: the same statements for two cases as for six, and each
    case its notice, its log row and its notifications (the center's operators and the mediator)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = timezone.now()
    late = start + timedelta(days=31)

    def swept(n: int) -> tuple[dict, int]:
        for _i in range(n):
            d = make_dispute()
            services.perform_action(city.operator_a, d, "accept", now=start)
            services.perform_action(city.operator_a, d, "assign", {"mediator": mediators["a"].pk}, now=start)
            drive(make_dispute(), city, mediators, S.SUCCEEDED)
        Agreement.objects.update(signed_on=timezone.localdate(late) - timedelta(days=25))
        with CaptureQueriesContext(connection) as ctx:
            counts = sla.sweep(late)
        return counts, len(ctx.captured_queries)

    two, queries_two = swept(2)
    assert two == {"reminded": 0, "overdue": 2, "confirm": 2}
    six, queries_six = swept(6)
    assert six == {"reminded": 0, "overdue": 6, "confirm": 6}
    assert queries_six == queries_two
    assert DisputeNotice.objects.filter(kind="overdue").count() == 8
    assert DisputeNotice.objects.filter(kind="confirm").count() == 8
    mediator = mediators["a"].user
    # one digest per audience and sweep: the mediator and the center's operator each got two of each kind
    for who in (mediator, city.operator_a):
        told = Notification.objects.filter(kind="sla_overdue", recipient=who).order_by("pk")
        assert [n.subject for n in told] == ["调解已超期纠纷2件", "调解已超期纠纷6件"]
    reminders = Notification.objects.filter(kind="confirm_remind", recipient=mediator).order_by("pk")
    assert [n.subject for n in reminders] == ["调解协议司法确认申请期限将至的纠纷2件", "调解协议司法确认申请期限将至的纠纷6件"]
    # the last day of each agreement stays in its case's log
    notes = DisputeLog.objects.filter(action="confirm_remind").values_list("note", flat=True)
    assert len(notes) == 8 and all("申请司法确认的最后一日" in n for n in notes)
