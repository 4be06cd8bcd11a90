from django.core.management import call_command

from gridgov.accounts.models import User
from gridgov.events import sla
from gridgov.events.models import Event, EventLog, Status
from gridgov.regions.models import Grid, Region


def test_load_demo_builds_a_living_city_and_a_second_run_duplicates_nothing(db, capsys):
    call_command("load_demo", "--events", "120")
    out = capsys.readouterr().out
    assert "op_gulou" in out and "worker_gulou" in out and "liaison_cg" in out and "leader_county" in out
    assert Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="3715").count() == 2408
    grids = Grid.objects.count()
    assert grids >= 2408
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)
    states = set(Event.objects.values_list("status", flat=True))
    assert states >= {Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED,
                      Status.CLOSED, Status.REJECTED}
    assert Event.objects.filter(sla.sla_q(sla.OVERDUE)).exists()
    assert Event.objects.exclude(rating="").exists()
    from gridgov.registry.models import KeyPerson, Resident, Visit

    assert Resident.objects.count() > 20 and KeyPerson.objects.count() == 10 and Visit.objects.exists()
    assert User.objects.get(username="op_gulou").has_perm("registry.view_full_identity")
    assert not User.objects.get(username="op_county").has_perm("registry.view_full_identity")
    from gridgov.laws.models import Article, Law

    assert Law.objects.exists() and Article.objects.filter(law__title__contains="人民调解法").exists()
    from gridgov.points.models import CatalogueItem, Participant, PointEntry, Redemption

    # the citizens' and callers' accepted reports earned points through the signal; their communities got a catalogue
    assert PointEntry.objects.filter(rule__code="report_accepted", points__gt=0).exists()
    assert CatalogueItem.objects.exists() and Redemption.objects.count() == 1
    assert all(p.balance == sum(p.entries.values_list("points", flat=True)) for p in Participant.objects.all())
    counts = (Event.objects.count(), EventLog.objects.count(), User.objects.count(), grids, Resident.objects.count(),
              Article.objects.count(), PointEntry.objects.count(), CatalogueItem.objects.count())

    call_command("load_demo", "--events", "120")
    assert (Event.objects.count(), EventLog.objects.count(), User.objects.count(), Grid.objects.count(),
            Resident.objects.count(), Article.objects.count(), PointEntry.objects.count(),
            CatalogueItem.objects.count()) == counts


def test_every_demo_event_log_is_consistent_with_its_state(db):
    call_command("load_demo", "--events", "60", "--quiet-logins")
    for e in Event.objects.all():
        last = e.log.exclude(to_status="").order_by("created_at", "id").last()
        assert last.to_status == e.status, e.number
        assert e.created_at <= last.created_at


def test_load_demo_prints_the_address_make_demo_serves_on(db, capsys, monkeypatch):
    monkeypatch.setenv("PORT", "8077")
    monkeypatch.delenv("HOST", raising=False)
    call_command("load_demo", "--events", "0")
    assert "打开 http://127.0.0.1:8077/ 登录" in capsys.readouterr().out
