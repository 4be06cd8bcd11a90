import pytest
from stdnum.cn import ric

from gridgov.registry.models import KeyCategory
from gridgov.registry.services.addresses import AddressInput, get_or_create_address
from gridgov.registry.services.houses import save_house
from gridgov.registry.services.key_people import install_default_key_categories, list_key_person
from gridgov.registry.services.residents import ResidentInput, save_resident
from gridgov.registry.services.units import UnitInput, save_unit


def make_id(prefix17: str) -> str:
    """A valid 居民身份证 number from its first 17 digits (check character computed, may be X)."""
    return prefix17 + ric.calc_check_digit(prefix17 + "0")  # stdnum ignores the last character


@pytest.fixture
def keycats(db):
    install_default_key_categories()
    return {c.code: c for c in KeyCategory.objects.all()}


@pytest.fixture
def flat(city):
    """A rented flat in grid A1 (community A), created by grid worker A."""
    address, _ = get_or_create_address(city.worker_a, AddressInput(
        region="371502001001", road="古城路18号院", building="3", unit="2", room="301", lng=116.005, lat=36.405))
    house, _ = save_house(city.worker_a, address, status="rented", use="residential")
    return house


@pytest.fixture
def resident(city, flat):
    r, _ = save_resident(city.worker_a, ResidentInput(
        name="王建国", id_number=make_id("37150219800101123"), phone="13812345678", house=flat))
    return r


# --- a small register on both sides of the township line (web and API tests) ----------------------

FULL_ID = make_id("37150219800101123")  # 37150219800101123X
BIRTH_DATE = "1980-01-01"  # in FULL_ID, hidden by its mask
OLD_PHONE = "13812345678"  # the resident's first phone: only in the (masked) history now
FULL_PHONE = "13987654321"  # the resident's current phone
OWNER_PHONE = "13700001111"
UNIT_PHONE = "13955556666"
B_ID = make_id("37150219900615123")
B_PHONE = "13611112222"


def grant(user, codename: str):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)  # fresh: permissions are cached on the instance


@pytest.fixture
def worker_a2(city):
    """A grid worker of grid A2: same community as the flat, other grid."""
    from gridgov.accounts.models import User
    from gridgov.regions.models import GridStaff

    user = User.objects.create_user(username="worker_a2", password="x", role=User.Role.GRID_WORKER,
                                    region=city.township_a, full_name="古城二网格员")
    GridStaff.objects.create(grid=city.grid_a2, user=user, role=GridStaff.Role.WORKER)
    return user


@pytest.fixture
def register(city, flat, resident, keycats):
    """In grid A1: the flat (owner phone), 王建国 (phone changed once, so the history holds a phone), a unit
    and his key-person listing.  In grid B1: a house, 李柳园, a unit and her listing."""
    from types import SimpleNamespace

    w = city.worker_a
    house, _ = save_house(w, flat.address, owner_name="王房东", owner_phone=OWNER_PHONE)
    person, _ = save_resident(w, ResidentInput(
        name=resident.name, id_number=FULL_ID, phone=FULL_PHONE, house=flat), resident=resident)
    unit, _ = save_unit(w, UnitInput(
        name="古城便民超市", address=flat.address, contact="赵经理", phone=UNIT_PHONE, key_flags=["crowded"]))
    kp, _ = list_key_person(w, person, keycats["mental_health"], risk_level="high",
                            attributes={"danger_level": "1", "guardian": "王妻"}, worker=w)

    wb = city.worker_b
    b_address, _ = get_or_create_address(wb, AddressInput(
        region="371502002001", road="柳园路6号", building="1", room="101", lng=116.105, lat=36.405))
    b_house, _ = save_house(wb, b_address, owner_phone=B_PHONE)
    b_person, _ = save_resident(wb, ResidentInput(
        name="李柳园", id_number=B_ID, phone=B_PHONE, house=b_house))
    b_unit, _ = save_unit(wb, UnitInput(name="柳园五金店", address=b_address, phone=B_PHONE))
    b_kp, _ = list_key_person(wb, b_person, keycats["youth"], worker=wb)
    return SimpleNamespace(house=house, resident=person, unit=unit, kp=kp,
                           b_house=b_house, b_resident=b_person, b_unit=b_unit, b_kp=b_kp)
