"""The dispute lifecycle on the case kernel (gridgov.cases): what the kernel adds, and what the case keeps."""

from gridgov.disputes.admin import DisputeAdmin
from gridgov.disputes.models import Dispute


def test_the_admin_page_lists_every_column_of_the_case_in_its_own_order():
    assert sorted(DisputeAdmin.readonly_fields) == sorted(f.name for f in Dispute._meta.fields)
    assert DisputeAdmin.readonly_fields[:3] == ("id", "number", "source")
