import pytest
from stdnum.cn import ric

from gridgov.registry import services
from gridgov.registry.models import KeyCategory


def make_id(prefix17: str) -> str:
    """A valid 居民身份证 number from its first 17 digits (check character computed, may be X)."""
    return prefix17 + ric.calc_check_digit(prefix17 + "0")  # stdnum ignores the last character


@pytest.fixture
def keycats(db):
    services.install_default_key_categories()
    return {c.code: c for c in KeyCategory.objects.all()}


@pytest.fixture
def flat(city):
    """A rented flat in grid A1 (community A), created by grid worker A."""
    address, _ = services.get_or_create_address(city.worker_a, services.AddressInput(
        region="371502001001", road="古城路18号院", building="3", unit="2", room="301", lng=116.005, lat=36.405))
    house, _ = services.save_house(city.worker_a, address, status="rented", use="residential")
    return house


@pytest.fixture
def resident(city, flat):
    r, _ = services.save_resident(city.worker_a, services.ResidentInput(
        name="王建国", id_number=make_id("37150219800101123"), phone="13812345678", house=flat))
    return r
