"""The demo city tells a coherent story: each case's text fits its type — an event's description its
category, a dispatched event goes to its category's department and is answered in that department's
terms, a mediation agreement fits its dispute type (a 婚姻家庭 case carries no repair bill), and a mediator
handles only the kinds of dispute they list."""

from __future__ import annotations

import re

from django.core.management import call_command

from gridgov.demo.services import DESCRIPTIONS, FEEDBACK
from gridgov.disputes.demo import AGREEMENT_TERMS, agreement_terms
from gridgov.disputes.models import Agreement, Dispute
from gridgov.events.models import Event, EventLog


def test_every_demo_case_is_coherent_with_its_type(db):
    call_command("load_demo", "--events", "80", "--quiet-logins")

    events = list(Event.objects.select_related("category", "category__default_department", "lead_department"))
    assert events
    for e in events:
        assert e.description in DESCRIPTIONS[e.category.code], (e.number, e.category.name, e.description)
        if e.lead_department_id:
            assert e.lead_department == e.category.default_department, (e.number, e.category.name,
                                                                        e.lead_department.name)
    dispatched = [e for e in events if e.lead_department_id]
    assert {e.lead_department.code for e in dispatched} - {"CGJ", "ZJJ", "GAJ"}, "only three departments used"
    for log in EventLog.objects.filter(action="feedback").select_related("event__category"):
        assert log.note in FEEDBACK[log.event.category.code[:2]], (log.event.number, log.event.category.name, log.note)

    agreements = list(Agreement.objects.select_related("dispute"))
    assert agreements
    for a in agreements:
        d = a.dispute
        assert a.terms in agreement_terms(d.dispute_type, d.amount), (d.number, d.get_dispute_type_display(), a.terms)
        money = re.findall(r"(\d+)元", a.terms)
        assert all(int(m) == int(d.amount) > 0 for m in money), (d.number, a.terms, d.amount)
    assert any(a.dispute.dispute_type == "marriage" for a in agreements)
    for d in Dispute.objects.exclude(mediator=None).select_related("mediator"):
        assert d.dispute_type in d.mediator.specialties, (d.number, d.dispute_type, d.mediator.name)


def test_the_agreement_templates_are_the_types_own():
    # a repair bill belongs to neighbours, not to a marriage; every type's templates name no other type's matter
    assert not any("维修费" in t for t in AGREEMENT_TERMS["marriage"])
    assert all("工资" in t for t in AGREEMENT_TERMS["labor"])
    assert agreement_terms("neighbor", 3000)[0].startswith("被申请人于十日内赔偿申请人维修费3000元")
    assert agreement_terms("other", 0) == []
