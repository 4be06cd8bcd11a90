"""The resident page's 矛盾纠纷与信访 card: rows from the ``resident.cases`` slot, which the disputes and the
petitions apps fill (gridgov/disputes/providers.py, gridgov/petitions/providers.py)."""

from django.urls import reverse
from django.utils import timezone

from gridgov.core import providers
from gridgov.disputes import services as disputes
from gridgov.petitions import services as petitions
from gridgov.registry.services.links import linked_cases
from gridgov.registry.tests.conftest import flat, resident  # noqa: F401


def test_disputes_then_petitions_fill_the_resident_cases_slot():
    assert providers.registered("resident.cases") == ["gridgov.disputes.providers.disputes_of_resident",
                                                      "gridgov.petitions.providers.petitions_of_resident"]


def test_the_resident_page_lists_the_disputes_and_petitions_that_name_them(city, resident, client):  # noqa: F811
    d = disputes.create_dispute(city.worker_a, disputes.DisputeInput(
        dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏", lng=116.005, lat=36.405,
        parties=[{"role": "applicant", "resident": resident.pk}, {"role": "respondent", "name": "李四"}]))
    p = petitions.create_petition(city.operator_a, petitions.PetitionInput(
        channel="visit", subject="小区物业乱收费问题", demands="要求物业退还多收的费用",
        target_agency="某物业公司", petitioners=[petitions.PetitionerInput(resident_id=resident.pk)]))
    cases = linked_cases(city.operator_a, resident)
    assert [c["object"] for c in cases] == [d, p]
    assert linked_cases(city.operator_b, resident) == []
    client.force_login(city.operator_a)
    page = client.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert d.number in page and p.number in page
    # the rows as the page wrote them before the slot: link, kind, type or subject, state, day
    day = timezone.localtime(d.created_at).strftime("%Y-%m-%d")
    assert (f'<li><a href="{reverse("disputes:detail", args=[d.number])}">{d.number}</a> 纠纷 · '
            f'{d.get_dispute_type_display()} · {d.get_status_display()} · {day}</li>') in page
    day = timezone.localtime(p.registered_at).strftime("%Y-%m-%d")
    assert (f'<li><a href="{reverse("petitions:detail", args=[p.number])}">{p.number}</a> 信访 · '
            f'小区物业乱收费问题 · {p.get_status_display()} · {day}</li>') in page
