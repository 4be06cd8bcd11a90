"""重复信访 detection, the backlog (积案) list and the sweep."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from gridgov.petitions import services, sla
from gridgov.petitions.models import Petition, PetitionNotice
from gridgov.petitions.tests.conftest import T0

DAY = timedelta(days=1)


@pytest.mark.parametrize(("a", "b", "similar"), [
    ("小区物业乱收费", "再次反映小区物业乱收费问题", True),
    ("拖欠农民工工资", "要求支付拖欠的农民工工资", True),
    ("小区物业乱收费", "拖欠农民工工资", False),
    ("征地补偿款未发放", "小区物业乱收费", False),
    ("", "小区物业乱收费", False),
])
def test_subject_similarity_on_fixed_cases(a, b, similar):
    assert (services.subject_similarity(a, b) >= 0.5) is similar


def test_the_same_phone_and_a_similar_subject_is_a_repeat(register):
    first = register(subject="小区物业乱收费")
    second = register(subject="再次反映小区物业乱收费问题", now=T0 + 40 * DAY)
    assert second.repeat_of == first and second.repeat_count == 1
    assert Petition.objects.get(pk=first.pk).repeat_count == 1


def test_a_different_subject_or_a_different_petitioner_is_not_a_repeat(register):
    register(subject="小区物业乱收费")
    other_subject = register(subject="拖欠农民工工资")
    other_person = register(subject="小区物业乱收费", phone="13911112222", name="李秀英")
    assert other_subject.repeat_of is None and other_subject.repeat_count == 0
    assert other_person.repeat_of is None and other_person.repeat_count == 0


def test_the_same_registry_resident_is_recognised_by_the_identity_number(city, register):
    from gridgov.core import crypto
    from gridgov.registry.models import Resident

    resident = Resident.objects.create(name="张伟", region=city.community_a, id_type="ric",
                                       id_hash=crypto.lookup_hash("ric:11010519491231002X"), phone="")
    row = services.PetitionerInput(name="", id_number="11010519491231002X")
    first = register(petitioners=[row], subject="征地补偿款未发放")
    p = first.petitioners.get()
    assert p.resident == resident and p.name == "张伟" and p.id_number_enc == ""  # linked, not stored
    second = register(petitioners=[services.PetitionerInput(name="张伟", id_number="11010519491231002X")],
                      subject="征地补偿款一直未发放")
    assert second.repeat_of == first


def test_an_unknown_identity_number_is_stored_encrypted_and_masked(register):
    from gridgov.core import crypto

    p = register(petitioners=[services.PetitionerInput(name="赵强", id_number="11010519491231002X")])
    x = p.petitioners.get()
    assert x.resident is None and "11010519491231002X" not in x.id_number_enc
    assert crypto.decrypt(x.id_number_enc) == "11010519491231002X" and x.id_masked.startswith("110105")


def test_the_same_unregistered_identity_number_with_a_similar_subject_is_a_repeat(register):
    """No registry record and a new phone: the keyed hash of the identity number still ties them."""
    first = register(petitioners=[services.PetitionerInput(name="赵强", id_number="11010519491231002X",
                                                           phone="13900000011")], subject="征地补偿款未发放")
    second = register(petitioners=[services.PetitionerInput(name="赵强", id_number="11010519491231002X",
                                                            phone="13900000022")], subject="征地补偿款一直未发放")
    other = register(petitioners=[services.PetitionerInput(name="赵强", id_number="11010519491231002X",
                                                           phone="13900000033")], subject="小区噪音扰民")
    assert second.repeat_of == first and second.repeat_count == 1
    assert other.repeat_of is None


def test_five_petitioners_make_a_collective_petition(register):
    rows = [services.PetitionerInput(name=f"联名人{i}", phone=f"1390000000{i}") for i in range(5)]
    assert register(petitioners=rows).is_collective
    assert not register(phone="13911110000").is_collective
    assert register(phone="13911110001", collective=True).is_collective
    assert register(phone="13911110002", people_count=30, channel="visit").is_collective


def test_the_third_repeat_makes_every_open_petition_of_the_group_a_backlog_case(city, register):
    ps = [register(subject="小区物业乱收费", now=T0 + i * DAY) for i in range(4)]
    assert [Petition.objects.get(pk=p.pk).repeat_count for p in ps] == [3, 3, 3, 3]
    backlog = services.filtered_petitions(city.operator_a, backlog="1", now=T0 + 5 * DAY)
    assert {p.pk for p in backlog} == {p.pk for p in ps}
    assert set(services.filtered_petitions(city.operator_a, repeat="1")) == set(ps)


def test_an_overdue_petition_is_a_backlog_case_and_a_closed_one_is_not(city, register, act):
    late = register(subject="拖欠农民工工资")
    done = act(city.operator_a, register(subject="路灯不亮", phone="13911110003"), "accept")
    done = act(city.operator_a, done, "reply", {"note": "已修复"})
    done = act(city.operator_a, done, "close")
    fresh = register(subject="噪声扰民", phone="13911110004", now=T0 + 10 * DAY)
    backlog = set(services.filtered_petitions(city.operator_a, backlog="1", now=T0 + 16 * DAY))
    assert late in backlog and done not in backlog and fresh not in backlog
    assert sla.is_backlog(late, T0 + 16 * DAY) and not sla.is_backlog(fresh, T0 + 16 * DAY)


def test_the_sweep_reminds_and_escalates_once_per_deadline_when_run_twice(city, register, act):
    p = register()  # a letter: accept deadline 15 days, reply 7 days
    assert sla.sweep(T0 + 6 * DAY)["ack_reminded"] == 0  # 80 % of the 7 days is past only at 11:24
    assert sla.sweep(T0 + 6 * DAY + timedelta(hours=3))["ack_reminded"] == 1
    assert sla.sweep(T0 + 8 * DAY) == {"reminded": 0, "escalated": 0, "ack_reminded": 0, "ack_overdue": 1}
    assert sla.sweep(T0 + 8 * DAY) == {"reminded": 0, "escalated": 0, "ack_reminded": 0, "ack_overdue": 0}
    assert sla.sweep(T0 + 13 * DAY)["reminded"] == 1
    assert sla.sweep(T0 + 16 * DAY)["escalated"] == 1
    assert sla.sweep(T0 + 17 * DAY) == {"reminded": 0, "escalated": 0, "ack_reminded": 0, "ack_overdue": 0}
    assert list(p.log.exclude(action="register").values_list("action", flat=True)) == [
        "ack_remind", "ack_overdue", "sla_remind", "sla_escalate"]
    # a new stage has a new deadline and gets its own notices
    act(city.operator_a, p, "accept", now=T0 + 17 * DAY)
    assert sla.sweep(T0 + 80 * DAY)["escalated"] == 1
    assert PetitionNotice.objects.filter(petition=p, kind="escalate").count() == 2


def test_the_escalation_tells_the_center_above_and_the_leaders(city, register):
    from gridgov.core.models import Notification

    register()
    sla.sweep(T0 + 16 * DAY)
    assert Notification.objects.filter(recipient=city.county_operator, kind="sla_escalate").count() == 1
    assert Notification.objects.filter(recipient=city.leader_a, kind="sla_escalate").count() == 1


def test_the_command_runs_the_sweep(register, capsys):
    from django.utils import timezone

    register(now=timezone.now() - 20 * DAY)  # by the real clock: overdue
    call_command("petition_sweep")
    assert "escalated=1" in capsys.readouterr().out
    call_command("petition_sweep")
    assert "escalated=0" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_escalate_each_petition_exactly_once(city, register):
    ps = [register(phone=f"1390000{i:04d}", subject=f"事项编号{i}号问题") for i in range(5)]
    results, errors = [], []

    def run():
        try:
            results.append(sla.sweep(T0 + 20 * DAY))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(r["escalated"] for r in results) == len(ps)
    assert sum(r["ack_overdue"] for r in results) == len(ps)
    for p in ps:
        assert p.log.filter(action="sla_escalate").count() == 1


# --- the sweep's batch in SQL writes what the batch through instances and perform() write --------------------

def _outcome(ids, action):
    from gridgov.cases.models import SweepDigest, TransitionRecord
    from gridgov.petitions.models import PetitionLog

    return {
        "logs": list(PetitionLog.objects.filter(petition_id__in=ids, action=action).order_by("petition_id").values_list(
            "petition_id", "actor_id", "actor_label", "from_status", "to_status", "note", "data", "created_at")),
        "records": list(TransitionRecord.objects.filter(kind="petition", case_id__in=ids, action=action)
                        .order_by("case_id").values_list("case_id", "number", "region_id", "center_id", "category",
                                                         "from_status", "to_status", "actor_role", "on_time", "at")),
        "notices": list(PetitionNotice.objects.filter(petition_id__in=ids).order_by("petition_id", "kind")
                        .values_list("petition_id", "kind", "deadline")),
        "digests": sorted(SweepDigest.objects.filter(action=action)
                          .values_list("audience", "target", "count", "numbers")),
    }


@pytest.mark.parametrize(("action", "days"), [("ack_overdue", 8), ("sla_escalate", 16)])
def test_the_sweeps_batch_in_sql_writes_what_instances_and_perform_write(city, register, act, monkeypatch, action,
                                                                          days):
    from django.db import transaction

    from gridgov.cases import sweep
    from gridgov.cases.engine import SYSTEM
    from gridgov.petitions.workflow import LIFECYCLE

    taken = act(city.leader_a, register(subject="拖欠农民工工资", phone="13911110001"), "take")
    cases = [register(), taken, register(actor=city.operator_b, subject="噪声扰民", phone="13911110002")]
    ids = [p.pk for p in cases]
    now = T0 + days * DAY
    out = []
    for in_sql in (True, False):
        monkeypatch.setattr(sweep.digest, "flush", lambda lc: 0)
        real = sweep.set_based
        monkeypatch.setattr(sweep, "set_based", lambda lc, plan, real=real, in_sql=in_sql: in_sql and real(lc, plan))
        with transaction.atomic():
            assert sweep.sweep_lifecycle(LIFECYCLE, now)[{"ack_overdue": "ack_overdue"}.get(action, "escalated")] == 3
            out.append(_outcome(ids, action))
            transaction.set_rollback(True)
        monkeypatch.undo()
    with transaction.atomic():
        for p in cases:
            LIFECYCLE.perform(Petition.objects.get(pk=p.pk), action, SYSTEM, now=now)
        one_by_one = _outcome(ids, action)
        transaction.set_rollback(True)
    in_sql, through_instances = out
    assert len(in_sql["logs"]) == 3 and len(in_sql["digests"]) >= 3
    assert in_sql == through_instances
    assert in_sql["logs"] == one_by_one["logs"] and in_sql["records"] == one_by_one["records"]
    clock = "ack_due_at" if action == "ack_overdue" else "deadline"
    assert in_sql["logs"][0][6] == {"deadline": getattr(Petition.objects.get(pk=ids[0]), clock).isoformat()}
    # the 包案 leader of the taken one is told of it alone
    assert ("user", str(city.leader_a.pk), 1, [taken.number]) in in_sql["digests"]
