"""The agreement DOCX, the judicial-confirmation window, and the sweep's exactly-once reminders."""

import io
from datetime import timedelta

from django.utils import timezone
from docx import Document

from gridgov.core.models import Notification
from gridgov.disputes import services
from gridgov.disputes.agreement import build_docx
from gridgov.disputes.models import Agreement, DisputeNotice

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
    assert services.sweep(start + timedelta(days=1)) == {"reminded": 0, "overdue": 0, "confirm": 0}
    near = start + timedelta(days=25)
    assert services.sweep(near)["reminded"] == 1
    assert services.sweep(near)["reminded"] == 0
    late = start + timedelta(days=31)
    assert services.sweep(late)["overdue"] == 1
    assert services.sweep(late) == {"reminded": 0, "overdue": 0, "confirm": 0}
    assert list(d.log.filter(action__startswith="sla_").values_list("action", flat=True)) == ["sla_remind",
                                                                                               "sla_overdue"]
    assert Notification.objects.filter(kind="sla_overdue", recipient=mediators["a"].user).count() == 1


def test_a_new_deadline_gets_its_own_reminder(make_dispute, city):
    d = make_dispute()
    start = timezone.now()
    services.perform_action(city.operator_a, d, "accept", now=start)
    assert services.sweep(start + timedelta(days=25))["reminded"] == 1
    services.perform_action(city.operator_a, d, "change_channel", {"channel": "judicial", "note": "转"},
                            now=start + timedelta(days=26))
    assert services.sweep(start + timedelta(days=26 + 25))["reminded"] == 1
    assert DisputeNotice.objects.filter(dispute=d, kind="remind").count() == 2


def test_the_sweep_reminds_of_judicial_confirmation_once(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    ag = Agreement.objects.get(dispute=d)
    assert services.sweep()["confirm"] == 0  # the window has just started
    Agreement.objects.filter(pk=ag.pk).update(signed_on=ag.signed_on - timedelta(days=25))
    assert services.sweep()["confirm"] == 1
    assert services.sweep()["confirm"] == 0
    entry = d.log.get(action="confirm_remind")
    assert "最后一日" in entry.note
