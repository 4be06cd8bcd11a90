from gridgov.cases.tally import under
from gridgov.events.models import Event, event_scope_q
from gridgov.regions.models import Region


def test_operator_region_scope_is_a_prefix_of_region_codes(city):
    q = event_scope_q(city.operator_a)
    sql = str(Event.objects.filter(q).query)
    assert "371502001" in sql and "371502002" in sql and "LIKE" not in sql
    visible = Region.objects.filter(under(city.operator_a.region.code))
    assert set(visible.values_list("code", flat=True)) == {"371502001", "371502001001"}


def test_user_without_region_sees_nothing(city):
    city.operator_a.region = None
    assert str(event_scope_q(city.operator_a)) == "(AND: ('pk__in', []))"
