"""The demo petitions: every state the demo wants, and a second run adds nothing."""

from gridgov.accounts.models import Department, User
from gridgov.petitions.demo import generate_petitions
from gridgov.petitions.models import Petition, PetitionLog
from gridgov.regions.models import Region


def test_the_demo_petitions_are_made_once(db):
    city = Region.objects.create(code="3715", name="聊城市", level=2)
    county = Region.objects.create(code="371502", name="东昌府区", level=3, parent=city)
    gulou = Region.objects.create(code="371502001", name="古楼街道", level=4, parent=county)
    Department.objects.create(code="ZJJ", name="市住房和城乡建设局", region=city)
    User.objects.create_user("op_gulou", role=User.Role.OPERATOR, region=gulou)
    User.objects.create_user("worker_gulou", role=User.Role.GRID_WORKER, region=gulou)
    User.objects.create_user("leader_county", role=User.Role.LEADER, region=county, full_name="东昌府区领导")
    assert generate_petitions() == 5
    counts = (Petition.objects.count(), PetitionLog.objects.count())
    assert Petition.objects.filter(repeat_count=1).count() == 2
    assert Petition.objects.filter(status="closed").exists() and Petition.objects.filter(leader__isnull=False).exists()
    assert Petition.objects.filter(is_collective=True).count() == 1
    assert Petition.objects.filter(status="closed", reply_delivered_on__isnull=False).count() == 1
    assert generate_petitions() == 0
    assert (Petition.objects.count(), PetitionLog.objects.count()) == counts
