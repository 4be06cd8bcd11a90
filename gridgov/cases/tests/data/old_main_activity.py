# ruff: noqa: I001  (run with the code of 563b3c1, where the test support was gridgov.core.testing)
"""Activity on the demo city with the code of commit 563b3c1, for the upgrade fixture.

Not imported by gridgov: make_upgrade_db.sh runs it with the OLD tree's ``manage.py shell``, after
``load_demo``, so that every table of events, disputes and petitions has rows written by the old
services (extension requests decided and pending, attachments, cited articles, linked cases, the
SLA notices of all three sweeps) before the current code migrates the file.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from gridgov.accounts.models import ApiToken, User
from gridgov.core.testing import image_bytes
from gridgov.disputes import services as disputes
from gridgov.disputes import workflow as dispute_workflow
from gridgov.disputes.models import Dispute, Session
from gridgov.events import services as events
from gridgov.events import sla as event_sla
from gridgov.events import workflow as event_workflow
from gridgov.events.models import Event
from gridgov.laws.models import Article
from gridgov.petitions import services as petitions
from gridgov.petitions import sla as petition_sla
from gridgov.petitions import workflow as petition_workflow
from gridgov.petitions.models import Petition
from gridgov.registry import services as registry
from gridgov.registry.models import House, KeyPerson, Resident

NOW = timezone.now()
USERS = list(User.objects.order_by("pk"))


def picture(name: str, color=(200, 30, 30)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", (16, 12), color), content_type="image/png")


def first_allowed(cases, action: str, allowed) -> tuple:
    """The first (case, user) for which the old workflow allows ``action``."""
    for case in cases:
        for user in USERS:
            if action in allowed(case, user):
                return case, user
    raise SystemExit(f"no case allows {action!r}")


# --- events: extension requests (approved, denied, pending) and attachments --------------------------
def event_action(action: str, raw: dict, exclude=(), uploads=()):
    qs = Event.objects.exclude(pk__in=exclude).order_by("pk")
    event, user = first_allowed(qs, action, event_workflow.allowed_actions)
    events.perform_action(user, event, action, raw, uploads=uploads)
    return event


later = (NOW + timedelta(days=30)).isoformat()
asked = []
for _decision in ("approve_extension", "deny_extension", None):
    e = event_action("request_extension", {"requested_deadline": later, "note": "需要协调多个部门，申请延期"},
                     exclude=asked)
    asked.append(e.pk)
    if _decision:
        _e, center_user = first_allowed([e], _decision, event_workflow.allowed_actions)
        events.perform_action(center_user, e, _decision, {"note": "同意" if _decision.startswith("approve") else "理由不足"})
for i, e in enumerate(Event.objects.order_by("pk")[:3]):
    events.add_attachment(e, picture(f"scene{i}.png"), e.reporter)
event_action("supplement", {"note": "补充现场照片"}, uploads=[picture("more.png", (30, 200, 30))])

# --- petitions: an extension, attachments, a petition linked to an event and a dispute ----------------
p, handler = first_allowed(Petition.objects.order_by("pk"), "request_extension",
                           lambda c, u: petition_workflow.allowed_actions(c, u, NOW))
petitions.perform_action(handler, p, "request_extension", {"days": 15, "note": "涉及多个部门，需延长办理期限"})
_p, office = first_allowed([p], "approve_extension", lambda c, u: petition_workflow.allowed_actions(c, u, NOW))
petitions.perform_action(office, p, "approve_extension", {"note": "同意延期"})
for i, p in enumerate(Petition.objects.order_by("pk")[:2]):
    petitions.add_attachment(p, picture(f"letter{i}.png", (30, 30, 200)), p.registered_by)
op = User.objects.get(username="op_gulou")
linked = petitions.create_petition(op, petitions.PetitionInput(
    channel="visit", subject="道路积水长期未处理", demands="要求尽快疏通排水",
    petitioners=[petitions.PetitionerInput(name="赵丽", phone="13805350009")],
    target_agency="古楼街道办事处",
    events=[Event.objects.visible_to(op).order_by("pk").first().number],
    disputes=[Dispute.objects.visible_to(op).order_by("pk").first().number],
))
assert linked.events.exists() and linked.disputes.exists()

# --- disputes: a session with a file, a cited article -------------------------------------------------
d, mediator = first_allowed(Dispute.objects.order_by("pk"), "session", dispute_workflow.allowed_actions)
disputes.perform_action(mediator, d, "session", {
    "held_at": (NOW - timedelta(hours=2)).isoformat(), "mode": "onsite", "place": "古楼街道调解室",
    "participants": "双方当事人", "minutes": "双方陈述事实，初步达成一致意向",
}, uploads=[picture("session.png", (120, 120, 0))])
disputes.add_session_attachment(Session.objects.order_by("pk").first(), picture("minutes.png", (0, 120, 120)))
d, citer = first_allowed(Dispute.objects.order_by("pk"), "cite_law", dispute_workflow.allowed_actions)
disputes.perform_action(citer, d, "cite_law", {"article": Article.objects.order_by("pk").first().pk})

# --- registry rows that point at cases, and a token ------------------------------------------------------
registry.link_to_event(op, Event.objects.visible_to(op).order_by("pk").first().number,
                       Resident.objects.visible_to(op).order_by("pk").first())
house = House.objects.visible_to(op).order_by("pk").first()
tenant = Resident.objects.visible_to(op).order_by("-pk").first()
registry.add_tenancy(op, house, tenant, NOW.date() - timedelta(days=40))
kp = KeyPerson.objects.order_by("pk").first()
registry.record_visit(User.objects.get(username="worker_gulou"), kp, method="in_person", findings="情况稳定，无异常",
                      photos=[picture("visit.png", (90, 90, 90))])
registry.save_unit(op, registry.UnitInput(name="古楼便民超市", address=house.address, contact="孙经理"))
registry.log_export(op, "resident", ["name", "phone"], 78, "季度人口核对")
ApiToken.issue(User.objects.get(username="worker_gulou"))

# --- the three sweeps, far enough ahead that every open case is near due or overdue ---------------------
for days in (3, 40, 400):
    at = NOW + timedelta(days=days)
    print(f"+{days}d", "events", event_sla.sweep(now=at), "disputes", disputes.sweep(now=at),
          "petitions", petition_sla.sweep(now=at), "visits", registry.visit_sweep(now=at))

with connection.cursor() as cursor:
    for table in ("events_attachment", "events_extensionrequest", "events_slanotice", "events_dailysequence",
                  "events_eventlog", "petitions_extension", "petitions_petitionattachment",
                  "petitions_petitionnotice", "petitions_petitionlog", "petitions_petition_events",
                  "petitions_petition_disputes", "disputes_sessionattachment", "disputes_disputenotice",
                  "disputes_disputearticle", "disputes_disputelog", "disputes_session"):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        n = cursor.fetchone()[0]
        print(f"{table}: {n}")
        assert n, f"{table} is empty"
