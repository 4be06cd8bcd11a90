import pytest

from gridgov.accounts.models import User
from gridgov.disputes import services
from gridgov.disputes.models import Mediator
from gridgov.testing import PASSWORD


@pytest.fixture
def mediators(city):
    """Two mediators with accounts (古楼 neighbour/marriage, 柳园 labour) and one without an account."""
    u1 = User.objects.create_user("med_a", password=PASSWORD, role=User.Role.MEDIATOR, full_name="王调解")
    u2 = User.objects.create_user("med_b", password=PASSWORD, role=User.Role.MEDIATOR, full_name="李调解")
    return {
        "a": Mediator.objects.create(user=u1, name="王调解", org_name="古楼街道人民调解委员会",
                                     specialties=["neighbor", "marriage"], region=city.township_a),
        "b": Mediator.objects.create(user=u2, name="李调解", org_name="柳园劳动争议调解室", org_kind="studio",
                                     specialties=["labor"], region=city.township_b),
        "c": Mediator.objects.create(name="赵老师", org_name="区物业纠纷调委会", org_kind="professional",
                                     specialties=["property"], region=city.county),
    }


def new_input(**kw) -> services.DisputeInput:
    base = dict(
        dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
        parties=[{"role": "applicant", "name": "张三", "phone": "13800000001"},
                 {"role": "respondent", "name": "李四", "phone": "13800000002"}],
        lng=116.005, lat=36.405, address="古城路1号", amount=3000, people_count=2,
    )
    base.update(kw)
    return services.DisputeInput(**base)


@pytest.fixture
def make_dispute(city):
    def make(actor=None, **kw):
        return services.create_dispute(actor or city.worker_a, new_input(**kw))

    return make
