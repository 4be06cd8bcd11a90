from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.petitions import services
from gridgov.petitions.models import Petition

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday


@pytest.fixture
def register(city):
    """Register a petition in township A (as operator A unless told otherwise)."""

    def _register(actor=None, channel="letter", subject="小区物业乱收费", phone="13800138000", name="王建国",
                  now=T0, petitioners=None, **kw):
        rows = petitioners if petitioners is not None else [services.PetitionerInput(name=name, phone=phone)]
        kw.setdefault("demands", "要求物业退还多收的物业费并公示收费标准")
        kw.setdefault("target_agency", "某物业公司")
        data = services.PetitionInput(channel=channel, subject=subject, petitioners=rows, **kw)
        return services.create_petition(actor or city.operator_a, data, now=now)

    return _register


@pytest.fixture
def act(city):
    def _act(user, p, action, raw=None, now=T0):
        services.perform_action(user, Petition.objects.get(pk=p.pk), action, raw or {}, now=now)
        return Petition.objects.get(pk=p.pk)

    return _act
