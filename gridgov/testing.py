"""A tiny city for tests: two townships with square grids, departments and one user per role.

Grids are axis-aligned squares of 0.01° so tests can reason about points:
township A (古楼街道) community 001 has grid ...001001 at lng 116.00–116.01,
lat 36.40–36.41 and grid ...001002 east of it; township B (柳园街道) has
grid ...002001001 at lng 116.10–116.11.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.accounts.models import Department, User
from gridgov.regions.models import Grid, GridStaff, Region

PASSWORD = "Gridgov-test-2026"


def square(lng: float, lat: float, size: float = 0.01, holes: list[list[list[float]]] | None = None) -> dict:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring, *(holes or [])]}


@dataclass
class City:
    province: Region
    city: Region
    county: Region
    township_a: Region
    township_b: Region
    community_a: Region
    community_b: Region
    grid_a1: Grid
    grid_a2: Grid
    grid_b1: Grid
    dept_cg: Department  # 城管
    dept_zj: Department  # 住建
    admin: User
    city_operator: User
    county_operator: User
    operator_a: User
    operator_b: User
    liaison_cg: User
    liaison_zj: User
    worker_a: User
    worker_b: User
    leader_county: User
    leader_a: User


def _region(code: str, name: str, level: int, parent: Region | None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent)


def _user(username: str, role: str, **kw) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, **kw)
    return user


def make_city() -> City:
    province = _region("37", "山东省", 1, None)
    city = _region("3715", "聊城市", 2, province)
    county = _region("371502", "东昌府区", 3, city)
    ta = _region("371502001", "古楼街道", 4, county)
    tb = _region("371502002", "柳园街道", 4, county)
    ca = _region("371502001001", "古城社区居委会", 5, ta)
    cb = _region("371502002001", "柳园社区居委会", 5, tb)
    ga1 = Grid.objects.create(code="371502001001001", name="古城社区第一网格", community=ca, boundary=square(116.00, 36.40))
    ga2 = Grid.objects.create(code="371502001001002", name="古城社区第二网格", community=ca, boundary=square(116.01, 36.40))
    gb1 = Grid.objects.create(code="371502002001001", name="柳园社区第一网格", community=cb, boundary=square(116.10, 36.40))
    cg = Department.objects.create(code="CG", name="区城管局", region=county)
    zj = Department.objects.create(code="ZJ", name="区住建局", region=county)
    c = City(
        province=province, city=city, county=county, township_a=ta, township_b=tb, community_a=ca, community_b=cb,
        grid_a1=ga1, grid_a2=ga2, grid_b1=gb1, dept_cg=cg, dept_zj=zj,
        admin=_user("admin", User.Role.ADMIN, is_staff=True, is_superuser=True, full_name="管理员"),
        city_operator=_user("op_city", User.Role.OPERATOR, region=city, full_name="市中心受理员"),
        county_operator=_user("op_county", User.Role.OPERATOR, region=county, full_name="区中心受理员"),
        operator_a=_user("op_a", User.Role.OPERATOR, region=ta, full_name="古楼受理员"),
        operator_b=_user("op_b", User.Role.OPERATOR, region=tb, full_name="柳园受理员"),
        liaison_cg=_user("liaison_cg", User.Role.LIAISON, department=cg, full_name="城管联络员"),
        liaison_zj=_user("liaison_zj", User.Role.LIAISON, department=zj, full_name="住建联络员"),
        worker_a=_user("worker_a", User.Role.GRID_WORKER, region=ta, full_name="古楼网格员"),
        worker_b=_user("worker_b", User.Role.GRID_WORKER, region=tb, full_name="柳园网格员"),
        leader_county=_user("leader_county", User.Role.LEADER, region=county, full_name="区领导"),
        leader_a=_user("leader_a", User.Role.LEADER, region=ta, full_name="古楼领导"),
    )
    GridStaff.objects.create(grid=ga1, user=c.worker_a, role=GridStaff.Role.WORKER)
    GridStaff.objects.create(grid=gb1, user=c.worker_b, role=GridStaff.Role.WORKER)
    return c


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), color=(200, 30, 30), **save) -> bytes:
    """A real, decodable picture (uploads are re-encoded with Pillow, so test files must be images)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def at_once(work, n: int = 2) -> list:
    """Run ``work()`` in ``n`` threads released together (a barrier), each on its own database connection, closed
    after; returns what each returned, in no particular order. For races between connections (PostgreSQL)."""
    import threading

    from django.db import connection

    results, barrier = [], threading.Barrier(n)

    def run():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results
