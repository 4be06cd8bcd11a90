"""The events of a generated city, planned as column arrays (bench/generate.py's step 5).  A benchmark fixture.

Every case is drawn at once with numpy: when it was reported (weighted to working hours), where (a grid,
or one of the busy spots), what (category, source, reporter) and its planned lifecycle — one of five paths
whose step durations are log-normal — then cut at ``as_of``.  The deadlines of every stage that started are
computed on a :class:`gen_calendar.WorkAxis` (the project's Calendar asked once per day), so each statistics
record's ``on_time`` and each open case's deadline and ``warn_at`` are what the engine would have written.
:func:`write` (gen_load.py) expands the plan into event rows, one log row and one statistics record per step,
and the department rows, chunk by chunk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from gen_calendar import HOUR_US, UNIT_CODES, US, WorkAxis, from_us, to_us

SOURCES = [("grid_patrol", 45), ("citizen", 25), ("hotline", 22), ("video", 4), ("department", 2), ("superior", 2)]
CATEGORY_GROUP_WEIGHT = {"01": 1.0, "02": 1.0, "03": 2.2, "04": 0.6}  # city management is the bulk
HOTSPOTS = 20
HOTSPOT_SHARE = 0.03
HOTSPOT_CATEGORIES = ["0303", "0304", "0301", "0308", "0305", "0201"]
RATINGS = ["satisfied", "basically", "unsatisfied"]

# --- the lifecycle paths ---------------------------------------------------------------------------------
ACTIONS = ["report", "accept", "reject", "merge", "dispatch", "sign", "feedback", "verify_fail", "verify_pass",
           "rate", "resolve_on_spot"]
A = {a: i for i, a in enumerate(ACTIONS)}
MOVES = {  # action -> (from, to)
    "report": ("", "reported"), "accept": ("reported", "accepted"), "reject": ("reported", "rejected"),
    "merge": ("reported", "merged"), "dispatch": ("accepted", "dispatched"), "sign": ("dispatched", "handling"),
    "feedback": ("handling", "handled"), "verify_fail": ("handled", "dispatched"),
    "verify_pass": ("handled", "closed"), "rate": ("closed", "closed"), "resolve_on_spot": ("reported", "handled"),
}
NOTES = {
    "reject": "经核实不属于受理范围",
    "feedback": "已到现场处置完毕，附整改照片",
    "verify_fail": "现场核查未整改到位，请返工",
    "resolve_on_spot": "已现场劝导，问题当场解决",
}
REPORTER, OPERATOR, LIAISON = 0, 1, 2
ACTOR_OF = {"report": REPORTER, "resolve_on_spot": REPORTER, "rate": REPORTER, "sign": LIAISON, "feedback": LIAISON}
SPOT, REJECT, MERGE, FULL, REWORK = range(5)
PATHS = {
    SPOT: ["report", "resolve_on_spot", "verify_pass"],
    REJECT: ["report", "reject"],
    MERGE: ["report", "merge"],
    FULL: ["report", "accept", "dispatch", "sign", "feedback", "verify_pass", "rate"],
    REWORK: ["report", "accept", "dispatch", "sign", "feedback", "verify_fail", "sign", "feedback", "verify_pass",
             "rate"],
}
WIDTH = max(len(p) for p in PATHS.values())
# the stage an action starts (workflow: report → acceptance; dispatch, verify_fail → handling; feedback,
# resolve_on_spot → verification) and the actions that end the running one
ACC, HAND, VER = 1, 2, 3
STARTS = {"report": ACC, "dispatch": HAND, "verify_fail": HAND, "feedback": VER, "resolve_on_spot": VER}
ENDS = {"reject", "merge", "verify_pass"}


def _tables():
    """Per (path, position): action code, stage started, index of the stage-starting step running after it."""
    action = np.full((5, WIDTH), -1, dtype=np.int64)
    starts = np.zeros((5, WIDTH), dtype=np.int64)
    running = np.full((5, WIDTH), -1, dtype=np.int64)
    result = np.zeros((5, WIDTH), dtype=np.int64)  # 0 "", 1 the feedback note, 2 the on-the-spot note
    for p, steps in PATHS.items():
        cur, res = -1, 0
        for k, a in enumerate(steps):
            action[p, k] = A[a]
            if a in STARTS:
                starts[p, k], cur = STARTS[a], k
            if a in ENDS:
                cur = -1
            res = {"feedback": 1, "resolve_on_spot": 2, "verify_fail": 0}.get(a, res)
            running[p, k], result[p, k] = cur, res
    return action, starts, running, result


PATH_ACTION, PATH_STARTS, PATH_RUNNING, PATH_RESULT = _tables()


@dataclass
class Plan:
    """The generated city's events as arrays (index i is event id ``first_id + i``)."""

    n: int
    first_id: int
    as_of_us: int
    t: np.ndarray            # (n, WIDTH) step times, µs; beyond the plan: INT64 max
    path: np.ndarray
    done: np.ndarray         # steps taken by as_of
    stage_deadline: np.ndarray  # (n, WIDTH) deadline of the stage step k started (-1: none or not started)
    stage_provisional: np.ndarray
    cols: dict = field(default_factory=dict)   # per-event arrays (grid, category, source, reporter …)
    ref: dict = field(default_factory=dict)    # lookup lists (category rows, users, departments …)


def lognormal_us(rng, median_hours: float, sigma: float, size: int) -> np.ndarray:
    return np.rint(median_hours * np.exp(rng.normal(0.0, sigma, size)) * HOUR_US).astype(np.int64)


def reference():
    """What the generator needs from the database, read once."""
    from gridgov.accounts.models import Department, User
    from gridgov.demo.services import DESCRIPTIONS
    from gridgov.events.models import Category
    from gridgov.regions.models import Grid, Region

    ref = {}
    ref["regions"] = {code: (rid, name) for rid, code, name in Region.objects.values_list("id", "code", "name")}
    ref["users"] = {u.username: u for u in User.objects.exclude(username__startswith="gw_")}
    ref["workers"] = {u[1]: (u[0], u[2]) for u in User.objects.filter(username__startswith="gw_")
                      .values_list("id", "username", "full_name")}
    ref["depts"] = {d.code: d for d in Department.objects.all()}
    leaves = list(Category.objects.filter(parent__isnull=False, active=True).select_related("default_department")
                  .order_by("code"))
    ref["leaves"] = leaves
    ref["descriptions"] = [DESCRIPTIONS.get(c.code) or [f"{c.name}：群众反映的情况需核实处理"] for c in leaves]
    grids = []
    for gid, code, boundary, community_id, kind in Grid.objects.filter(active=True).order_by("code").values_list(
            "id", "code", "boundary", "community_id", "kind"):
        ring = boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        grids.append((gid, code, (min(xs), min(ys), max(xs), max(ys)), boundary if len(boundary["coordinates"]) > 1
                      else None, community_id, kind == Grid.Kind.GENERAL))
    ref["grids"] = grids
    return ref


def _points(rng, gi, bbox, holed, near=None):
    """A point in each grid ``gi`` (uniform, or ~80 m around ``near``), outside the holes of holed grids."""
    import shapely
    from shapely.geometry import shape

    n = len(gi)
    x, y = np.empty(n), np.empty(n)
    todo = np.arange(n)
    shapes = {i: shape(holed[i]) for i in set(gi.tolist()) if holed[i] is not None}
    for _ in range(100):
        if not len(todo):
            break
        b = bbox[gi[todo]]
        if near is None:
            x[todo] = rng.uniform(b[:, 0], b[:, 2])
            y[todo] = rng.uniform(b[:, 1], b[:, 3])
        else:
            cx, cy = near[0][todo], near[1][todo]
            x[todo] = cx + rng.normal(0, 1, len(todo)) * (80 / (111_320 * np.cos(np.radians(cy))))
            y[todo] = cy + rng.normal(0, 1, len(todo)) * (80 / 111_320)
        ok = (b[:, 0] < x[todo]) & (x[todo] < b[:, 2]) & (b[:, 1] < y[todo]) & (y[todo] < b[:, 3])
        for g, geom in shapes.items():
            sel = ok & (gi[todo] == g)
            if sel.any():
                ok[sel] = shapely.contains_xy(geom, x[todo][sel], y[todo][sel])
        todo = todo[~ok]
    if len(todo):  # the old generator's fallback: a sixth of the way up the middle
        b = bbox[gi[todo]]
        x[todo], y[todo] = (b[:, 0] + b[:, 2]) / 2, b[:, 1] + (b[:, 3] - b[:, 1]) / 6
    return np.round(x, 6), np.round(y, 6)


def plan(n: int, seed: int, as_of, first_id: int = 1) -> Plan:
    """Draw ``n`` events reported over the 365 days before ``as_of`` and their lifecycles, as arrays."""
    from django.conf import settings

    from gridgov.worktime import calendar as workcal

    rng = np.random.default_rng(seed)
    ref = reference()
    grids, leaves = ref["grids"], ref["leaves"]
    as_of_us = to_us(as_of)
    start_us = as_of_us - 365 * 86400 * US
    axis = WorkAxis((as_of - timedelta(days=367)).astimezone(workcal.local_zone()).date(),
                    (as_of + timedelta(days=400)).astimezone(workcal.local_zone()).date())
    offsets = {(as_of - timedelta(days=d)).astimezone(axis.zone).utcoffset() for d in range(0, 800, 7)}
    if len(offsets) != 1:
        raise SystemExit(f"{axis.zone} changes its UTC offset: the generator needs a fixed one")
    offset_s = int(offsets.pop().total_seconds())

    # --- when: uniform seconds, kept with the weight of their local hour and weekday, then sorted
    chunks, have = [], 0
    while have < n:
        s = rng.integers(0, 365 * 86400 - 900, size=int((n - have) * 2.6) + 1000)
        local = s + (start_us // US) + offset_s
        hour, weekday = (local // 3600) % 24, ((local // 86400) + 3) % 7  # 1970-01-01 was a Thursday
        w = np.where((hour >= 8) & (hour < 20), 1.0, np.where((hour >= 6) & (hour < 23), 0.25, 0.05))
        w = np.where(weekday >= 5, w * 0.6, w)
        kept = s[rng.random(len(s)) < w]
        chunks.append(kept[: n - have])
        have += len(chunks[-1])
    t0 = np.sort(np.concatenate(chunks)) * US + start_us

    # --- where and what
    ng = len(grids)
    bbox = np.array([g[2] for g in grids])
    holed = [g[3] for g in grids]
    general = np.array([g[5] for g in grids])
    gw = np.array([2.0 if g[1].startswith("371502") else 1.0 for g in grids])
    gi = rng.choice(ng, size=n, p=gw / gw.sum())
    cat_w = np.array([CATEGORY_GROUP_WEIGHT.get(c.code[:2], 1.0) for c in leaves])
    ci = rng.choice(len(leaves), size=n, p=cat_w / cat_w.sum())
    spot_grids = rng.choice(np.flatnonzero(general), size=HOTSPOTS, replace=False)
    cat_index = {c.code: i for i, c in enumerate(leaves)}
    hotspots = []
    for i, g in enumerate(spot_grids):
        x0, y0, x1, y1 = bbox[g]
        hotspots.append({"grid": grids[g][1], "lng": round((x0 + x1) / 2, 6), "lat": round((y0 + y1) / 2, 6),
                         "category": HOTSPOT_CATEGORIES[i % len(HOTSPOT_CATEGORIES)], "weight": 1 / (i + 1)})
    hot = rng.random(n) < HOTSPOT_SHARE
    hw = np.array([h["weight"] for h in hotspots])
    hi = rng.choice(HOTSPOTS, size=int(hot.sum()), p=hw / hw.sum())
    gi[hot] = spot_grids[hi]
    lng, lat = np.empty(n), np.empty(n)
    lng[~hot], lat[~hot] = _points(rng, gi[~hot], bbox, holed)
    centers = (np.array([h["lng"] for h in hotspots])[hi], np.array([h["lat"] for h in hotspots])[hi])
    lng[hot], lat[hot] = _points(rng, gi[hot], bbox, holed, near=centers)
    hot_cat = np.array([cat_index[h["category"]] for h in hotspots])[hi]
    ci[hot] = np.where(rng.random(int(hot.sum())) < 0.6, hot_cat, ci[hot])
    sw = np.array([w for _s, w in SOURCES], dtype=float)
    src = rng.choice(len(SOURCES), size=n, p=sw / sw.sum())
    src[(src == 0) & ~general[gi]] = 2  # no grid worker patrols a school grid: the hotline
    people = np.array([0, 1, 1, 2, 3, 5])[rng.integers(0, 6, n)]
    desc_pick = rng.random(n)

    # --- lifecycles: five paths, durations drawn for every case, then cut at as_of
    t = np.full((n, WIDTH), np.iinfo(np.int64).max, dtype=np.int64)
    t[:, 0] = t0
    path = np.full(n, FULL)
    spot = (src == 0) & (rng.random(n) < 0.15)
    roll = rng.random(n)
    path[~spot & (roll < 0.04)] = REJECT
    path[~spot & (roll >= 0.04) & (roll < 0.07)] = MERGE
    rework = rng.random(n) < 0.06
    path[(path == FULL) & rework] = REWORK
    spot_dt = np.rint(rng.uniform(5, 40, n) * 60 * US).astype(np.int64)
    durations = {  # one draw per case and step kind, used where its path has the step
        "accept": lognormal_us(rng, 1.5, 1.0, n), "dispatch": lognormal_us(rng, 0.5, 1.0, n),
        "sign": lognormal_us(rng, 3, 1.0, n), "feedback": lognormal_us(rng, 40, 0.9, n),
        "verify_fail": lognormal_us(rng, 10, 0.8, n), "sign2": lognormal_us(rng, 3, 1.0, n),
        "feedback2": lognormal_us(rng, 24, 0.9, n), "verify_pass": lognormal_us(rng, 12, 0.8, n),
        "rate": lognormal_us(rng, 20, 1.0, n), "spot_verify": lognormal_us(rng, 8, 0.8, n),
        "reject": lognormal_us(rng, 1.5, 1.0, n), "merge": lognormal_us(rng, 1.0, 1.0, n),
    }
    stuck = np.where(rng.random(n) < 0.02, rng.uniform(5, 25, n), 1.0)  # a few wait weeks for a department
    durations["feedback"] = np.rint(durations["feedback"] * stuck).astype(np.int64)
    can_rate = np.isin(src, (0, 1))
    rated = can_rate & (rng.random(n) < 0.7)
    rating = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    m = path == SPOT
    t[m, 1] = t0[m] + spot_dt[m]
    t[m, 2] = t[m, 1] + durations["spot_verify"][m]
    for p_, kind in ((REJECT, "reject"), (MERGE, "merge")):
        m = path == p_
        t[m, 1] = t0[m] + durations[kind][m]
    for p_ in (FULL, REWORK):
        m = path == p_
        kinds = (["accept", "dispatch", "sign", "feedback"] + (["verify_fail", "sign2", "feedback2"] if p_ == REWORK
                                                                 else []) + ["verify_pass", "rate"])
        for k, kind in enumerate(kinds, start=1):
            step = durations[kind][m]
            if kind == "rate":
                step = np.where(rated[m], step, np.iinfo(np.int64).max - t[m, k - 1])
            t[m, k] = t[m, k - 1] + step
    done = (t <= as_of_us).sum(axis=1)

    # --- merges: into the latest earlier case of the same township and category that is open at that moment
    township_code = [g[1][:9] for g in grids]
    towns = sorted(set(township_code))
    town_index = {c: i for i, c in enumerate(towns)}
    town_of_grid = np.array([town_index[c] for c in township_code])
    town = town_of_grid[gi]
    last_step = PATH_ACTION[path, done - 1]
    target_ok = ~np.isin(last_step, (A["reject"], A["merge"]))
    key = town * len(leaves) + ci
    order = np.lexsort((np.arange(n), key))
    pos = np.where(target_ok[order], np.arange(n), -1)
    latest = np.maximum.accumulate(pos)  # within the sorted order: the latest eligible at or before
    same_key = latest >= 0
    same_key[same_key] = key[order][latest[same_key]] == key[order][same_key]
    target = np.full(n, -1)
    target[order] = np.where(same_key, order[np.maximum(latest, 0)], -1)
    merging = (path == MERGE) & (done == 2)
    tm = t[:, 1]
    tgt = target[merging]
    ok = tgt >= 0
    closed_at_target = np.full(len(tgt), np.iinfo(np.int64).max)
    if ok.any():  # open at the merge: not closed by then (verify_pass is the one closing step)
        tt, tp = t[tgt[ok]], path[tgt[ok]]
        vp = np.where(PATH_ACTION[tp] == A["verify_pass"], tt, np.iinfo(np.int64).max).min(axis=1)
        closed_at_target[ok] = vp
    ok &= closed_at_target > tm[merging]
    merge_into = np.full(n, -1)
    idx = np.flatnonzero(merging)
    merge_into[idx[ok]] = tgt[ok]
    path[idx[~ok]] = REJECT  # nothing open to merge into: not accepted instead

    # --- deadlines of every stage that started by as_of, on the working-time axis
    accept_limit = workcal.parse_limit(settings.GRIDGOV["ACCEPT_LIMIT"])
    verify_limit = workcal.parse_limit(settings.GRIDGOV["VERIFY_LIMIT"])
    cat_amount = np.array([c.time_limit for c in leaves], dtype=np.int64)
    cat_unit = np.array([UNIT_CODES[c.time_unit] for c in leaves], dtype=np.int64)
    stage_deadline = np.full((n, WIDTH), -1, dtype=np.int64)
    stage_prov = np.zeros((n, WIDTH), dtype=bool)
    starts = PATH_STARTS[path]
    for kind in (ACC, HAND, VER):
        rows, ks = np.nonzero((starts == kind) & (np.arange(WIDTH)[None, :] < done[:, None]))
        if kind == HAND:
            amount, unit = cat_amount[ci[rows]], cat_unit[ci[rows]]
        else:
            a, u = accept_limit if kind == ACC else verify_limit
            amount, unit = np.full(len(rows), a), np.full(len(rows), UNIT_CODES[u])
        stage_deadline[rows, ks], stage_prov[rows, ks] = axis.add_time(t[rows, ks], amount, unit)
    due = t0
    for amount, unit in ((np.full(n, accept_limit[0]), np.full(n, UNIT_CODES[accept_limit[1]])),
                         (cat_amount[ci], cat_unit[ci]),
                         (np.full(n, verify_limit[0]), np.full(n, UNIT_CODES[verify_limit[1]]))):
        due, _prov = axis.add_time(due, amount, unit)

    # --- people
    users, regions, workers, depts = ref["users"], ref["regions"], ref["workers"], ref["depts"]
    op_of_town = [users[f"op_{c}"] for c in towns]
    grid_worker = [workers.get(f"gw_{g[1]}", (None, "")) for g in grids]
    lead = np.array([depts[(c.default_department or depts["CGJ"]).code].id for c in leaves])[ci]
    dispatched = np.isin(path, (FULL, REWORK)) & (done >= 3)
    assisted = dispatched & (rng.random(n) < 0.08)
    gaj, zjj = depts["GAJ"].id, depts["ZJJ"].id
    assisting = np.where(assisted, np.where(lead == gaj, zjj, gaj), -1)
    n_cit = int((src == 1).sum())
    pool = max(1, n_cit // 2)  # citizens report more than once
    phones = [f"1{d}{r}" for d, r in zip(rng.choice(list("3578"), pool).tolist(),
                                         rng.integers(100000000, 999999999, pool, endpoint=True).tolist(), strict=True)]
    phone_of = np.full(n, -1)
    phone_of[src == 1] = rng.integers(0, pool, n_cit)

    cols = {
        "t0": t0, "grid": gi, "category": ci, "source": src, "lng": lng, "lat": lat, "people": people,
        "desc_pick": desc_pick, "town": town, "due": due, "rating": rating, "merge_into": merge_into,
        "lead": lead, "assisting": assisting, "dispatched": dispatched, "phone_of": phone_of,
        "day": axis.day_index(t0),
    }
    ref.update(towns=towns, op_of_town=op_of_town, grid_worker=grid_worker, phones=phones, hotspots=hotspots,
               axis=axis, cat_amount=cat_amount, cat_unit=cat_unit, accept_limit=accept_limit,
               verify_limit=verify_limit, ratio=settings.GRIDGOV["NEAR_DUE_RATIO"],
               regions_by_id={rid: (code, name) for code, (rid, name) in regions.items()})
    return Plan(n=n, first_id=first_id, as_of_us=as_of_us, t=t, path=path, done=done,
                stage_deadline=stage_deadline, stage_provisional=stage_prov, cols=cols, ref=ref)


def dispatch_json(lead_name: str, assisting_names: list[str]) -> str:
    """The dispatch log's data as Django's JSONField stores it."""
    return json.dumps({"lead_department": lead_name, "assisting_departments": assisting_names})


def natural_warn(start_us: int, deadline_us: int, ratio: float) -> int:
    """``cases.sla.warn_moment`` for natural hours (timedelta × float, as the service does)."""
    start = from_us(start_us)
    return to_us(start + (from_us(deadline_us) - start) * ratio)


