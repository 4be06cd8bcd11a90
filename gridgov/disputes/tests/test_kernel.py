"""The dispute lifecycle on the case kernel (gridgov.cases): what the kernel adds, and what the case keeps."""

from gridgov.cases.models import TransitionRecord
from gridgov.disputes.admin import DisputeAdmin
from gridgov.disputes.models import Dispute

from .test_workflow import S, drive


def test_every_transition_writes_one_statistics_record(make_dispute, city, mediators):
    """The kernel's statistics hook: the registration and each transition, with the dispute type."""
    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    rows = TransitionRecord.objects.filter(kind="dispute", case_id=d.pk).order_by("at", "id")
    assert [(r.action, r.from_status, r.to_status) for r in rows] == [
        ("register", "", "registered"), ("accept", "registered", "accepted"), ("assign", "accepted", "assigned"),
        ("start", "assigned", "mediating")]
    assert {(r.number, r.category, r.center_id) for r in rows} == {(d.number, "neighbor", d.center_id)}
    assert [r.actor_role for r in rows] == ["grid_worker", "operator", "operator", "mediator"]


def test_the_admin_page_lists_every_column_of_the_case_in_its_own_order():
    assert sorted(DisputeAdmin.readonly_fields) == sorted(f.name for f in Dispute._meta.fields)
    assert DisputeAdmin.readonly_fields[:3] == ("id", "number", "source")
