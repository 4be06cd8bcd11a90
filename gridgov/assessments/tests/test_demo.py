"""The demo assessments: one in 跟踪 with its report filed, one at 风险识别; a second run adds nothing."""

from gridgov.accounts.models import User
from gridgov.assessments.demo import generate_assessments
from gridgov.assessments.models import Assessment, AssessmentLog
from gridgov.regions.models import Region


def test_the_demo_assessments_are_made_once(db, settings, tmp_path):
    city = Region.objects.create(code="3715", name="聊城市", level=2)
    county = Region.objects.create(code="371502", name="东昌府区", level=3, parent=city)
    Region.objects.create(code="371502001", name="古楼街道", level=4, parent=county)
    User.objects.create_user("op_county", role=User.Role.OPERATOR, region=county)
    assert generate_assessments() == 2
    tracked = Assessment.objects.get(status="tracking")
    assert tracked.report and tracked.implementation_started_on and tracked.findings.count() == 4
    assert Assessment.objects.get(status="identify").risks.count() == 1
    counts = (Assessment.objects.count(), AssessmentLog.objects.count())
    assert generate_assessments() == 0
    assert (Assessment.objects.count(), AssessmentLog.objects.count()) == counts
