"""A small world of events, disputes and petitions driven by index lists, for the rollup tests.

A step is ``(bias, a, b)`` of small integers. It decodes, against the world as it is now, into one of:
report a new case (an event, a dispute or a petition, by various people and places), run the kernel's SLA
sweep after advancing the clock, an action somebody may take on a case now (with inputs that are sometimes
wrong), or any action by anybody on any case (mostly refused: 409/403/400). The clock only moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts.models import User
from gridgov.cases import engine, sweep
from gridgov.core.errors import DomainError
from gridgov.disputes import services as dispute_services
from gridgov.disputes.models import Dispute, Mediator
from gridgov.events import services as event_services
from gridgov.events.models import OPEN_STATUSES, Event
from gridgov.events.taxonomy import install_default_categories
from gridgov.petitions import services as petition_services
from gridgov.petitions.models import Petition
from gridgov.testing import PASSWORD, City, image_bytes

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday of an ordinary working week
PHONE = "13800001234"

KINDS = ("event", "dispute", "petition")
MODELS = {"event": Event, "dispute": Dispute, "petition": Petition}
SERVICES = {"event": event_services, "dispute": dispute_services, "petition": petition_services}
# actions that need what the world does not hold (laws to cite, session files): left out of the walk
SKIPPED = {"cite_law", "session"}
# the main path of each lifecycle: often preferred, so that walks reach the late states
FORWARD = {"accept", "dispatch", "sign", "feedback", "verify_pass", "verify_fail", "rate", "reopen", "assign",
           "start", "succeed", "fail", "follow_up", "close", "reply", "request_review", "reply_review",
           "request_extension", "approve_extension"}


def make_mediators(city: City) -> dict[str, Mediator]:
    u1 = User.objects.create_user("med_a", password=PASSWORD, role=User.Role.MEDIATOR, full_name="王调解")
    u2 = User.objects.create_user("med_b", password=PASSWORD, role=User.Role.MEDIATOR, full_name="李调解")
    return {
        "a": Mediator.objects.create(user=u1, name="王调解", org_name="古楼街道人民调解委员会",
                                     specialties=["neighbor"], region=city.township_a),
        "b": Mediator.objects.create(user=u2, name="李调解", org_name="柳园劳动争议调解室", org_kind="studio",
                                     specialties=["labor"], region=city.township_b),
        "c": Mediator.objects.create(name="赵老师", org_name="区物业纠纷调委会", org_kind="professional",
                                     specialties=["property"], region=city.county),
    }


def setup_world(city: City) -> dict[str, Mediator]:
    """What every world needs besides the city: the event categories and the mediators."""
    install_default_categories()
    return make_mediators(city)


@dataclass
class World:
    city: City
    mediators: dict
    t: datetime = T0
    cases: list[tuple[str, int]] = field(default_factory=list)  # (kind, pk) in the order reported
    done: list[tuple[str, str]] = field(default_factory=list)   # (kind, action) that went through
    refused: int = 0
    n: int = 0  # steps taken

    @property
    def citizen(self):
        return engine.Citizen(PHONE)

    def actors(self, kind: str | None = None) -> list:
        """Everybody (for actions by anybody), or those who ever act on a ``kind`` (for what may be done)."""
        c, m = self.city, self.mediators
        if kind == "event":
            return [c.operator_a, c.operator_b, c.county_operator, c.city_operator, c.liaison_cg, c.liaison_zj,
                    c.worker_a, c.worker_b, c.leader_a, self.citizen]
        if kind == "dispute":
            return [c.operator_a, c.operator_b, c.county_operator, m["a"].user, m["b"].user, c.worker_a]
        if kind == "petition":
            return [c.operator_a, c.county_operator, c.liaison_cg, c.liaison_zj, c.leader_a, c.leader_county]
        return [c.operator_a, c.operator_b, c.county_operator, c.city_operator, c.liaison_cg, c.liaison_zj,
                c.worker_a, c.worker_b, c.leader_a, c.leader_county, m["a"].user, m["b"].user, self.citizen]

    def case(self, kind: str, pk: int):
        return MODELS[kind].objects.get(pk=pk)

    # --- reporting -------------------------------------------------------------------------------

    def report(self, a: int, b: int) -> None:
        kind = ("event", "event", "dispute", "petition")[a % 4]  # events have the longest walk
        variant = b % 6
        getattr(self, f"report_{kind}")(variant)

    def report_event(self, variant: int) -> Event:
        c = self.city
        base = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405}
        actor = c.worker_a
        if variant == 1:  # a citizen, a 7-working-day category
            actor, base = self.citizen, {**base, "category": "0302", "reporter_phone": PHONE}
        elif variant == 2:  # township B
            actor, base = c.worker_b, {**base, "lng": 116.105}
        elif variant == 3:  # resolved on the spot by the grid worker
            photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
            base = {**base, "resolve_on_spot": True, "on_spot_result": "已当场清理", "attachments": [photo]}
        elif variant == 4:  # no point: the township operator's region (no grid)
            actor, base = c.operator_a, {**base, "lng": None, "lat": None, "address": "古楼街道某路口"}
        elif variant == 5:  # the county center's own
            actor, base = c.county_operator, {**base, "lng": None, "lat": None, "address": "区政府门前"}
        e, _ = event_services.create_event(actor, event_services.EventInput(**base), now=self.t)
        self.cases.append(("event", e.pk))
        self.done.append(("event", "report"))
        return e

    def report_dispute(self, variant: int) -> Dispute:
        c = self.city
        kw = dict(dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
                  parties=[{"role": "applicant", "name": "张三", "phone": "13800000001"},
                           {"role": "respondent", "name": "李四", "phone": "13800000002"}],
                  lng=116.005, lat=36.405, address="古城路1号", amount=3000, people_count=2)
        actor = c.worker_a
        if variant % 3 == 1:
            actor, kw = c.operator_b, {**kw, "lng": None, "lat": None, "region": c.township_b.code,
                                       "dispute_type": "labor"}
        elif variant % 3 == 2:
            actor, kw = c.county_operator, {**kw, "lng": None, "lat": None, "region": c.county.code,
                                            "channel": "administrative"}
        d = dispute_services.create_dispute(actor, dispute_services.DisputeInput(**kw), now=self.t)
        self.cases.append(("dispute", d.pk))
        self.done.append(("dispute", "register"))
        return d

    def report_petition(self, variant: int) -> Petition:
        c = self.city
        channel = ("letter", "visit", "online", "phone")[variant % 4]
        actor = c.county_operator if variant >= 4 else c.operator_a
        data = petition_services.PetitionInput(
            channel=channel, subject="小区物业乱收费", demands="要求物业退还多收的物业费并公示收费标准",
            target_agency="某物业公司", petitioners=[petition_services.PetitionerInput(name="王建国", phone="13800138000")])
        p = petition_services.create_petition(actor, data, now=self.t)
        self.cases.append(("petition", p.pk))
        self.done.append(("petition", "register"))
        return p

    # --- acting ----------------------------------------------------------------------------------

    def raw_for(self, kind: str, action: str, case, b: int) -> dict:
        """Inputs for ``action``, mostly valid; ``b`` picks among the variants (some are wrong)."""
        note = "" if b % 11 == 10 else "说明情况"
        m = self.mediators
        options: list[dict] = [{}]
        if kind == "event":
            # mostly an open event of the same center (a duplicate the center sees), sometimes any other
            others = [pk for k, pk in self.cases if k == "event" and pk != case.pk]
            live = list(Event.objects.filter(pk__in=others, status__in=OPEN_STATUSES, center_id=case.center_id)
                        .order_by("pk").values_list("number", flat=True))
            pool = live if live and b % 4 else list(Event.objects.filter(pk__in=others).order_by("pk")
                                                     .values_list("number", flat=True))
            target = pool[b % len(pool)] if pool else "nope"
            options = {
                "dispatch": [{"lead_department": "CG"}, {"lead_department": "ZJ", "assisting_departments": ["CG"]},
                             {"lead_department": "CG", "deadline": (self.t + timedelta(hours=3)).isoformat()},
                             {}],
                "merge": [{"target": target}, {"target": target}, {"target": "nope"}],
                "rate": [{"rating": "unsatisfied"}, {"rating": "satisfied"}, {"rating": "basically"},
                         {"rating": "unsatisfied"}, {"rating": "bad"}],
                "supervise": [{"level": "yellow"}, {"level": "red"}, {"level": "x"}],
                "follow_up": [{"method": "phone", "respondent": "reporter", "satisfaction": "unsatisfied"},
                              {"method": "visit", "respondent": "other", "respondent_name": "李大妈",
                               "relationship": "受影响的住户", "satisfaction": "satisfied"},
                              {"method": "sms", "respondent": "reporter", "satisfaction": "basically"},
                              {"method": "phone", "respondent": "other", "satisfaction": "satisfied"}],
                "hand_down": [{"center": "371502001"}, {"center": "371502002"}, {"center": "3715"}],
                "relocate": [{"grid": "371502001001002"}, {"lng": 116.105, "lat": 36.405}, {"grid": "371502001001001"},
                             {"lng": 116.4, "lat": 39.9}],
                "request_extension": [{"requested_deadline": (self.t + timedelta(days=3)).isoformat()},
                                      {"requested_deadline": (self.t + timedelta(days=20)).isoformat()},
                                      {"requested_deadline": "garbage"}],
            }.get(action, [{}])
        elif kind == "dispute":
            options = {
                "assign": [{"mediator": m["a"].pk}, {"mediator": m["c"].pk}, {"mediator": m["b"].pk},
                           {"mediator": "x"}],
                "succeed": [{"terms": "李四赔偿张三维修费3000元，双方互不追究"}, {"terms": "短"}],
                "fail": [{"referral": "litigation"}, {"referral": ""}, {"referral": "bad"}],
                "follow_up": [{"satisfaction": "satisfied"}, {"satisfaction": "unsatisfied"}, {"satisfaction": ""}],
                "change_channel": [{"channel": "judicial"}, {"channel": "administrative"}, {"channel": "people"}],
                "regrade": [{"grade": "major"}, {"grade": "general"}, {"grade": "bad"}],
                "performance": [{"performance": "fulfilled"}, {"performance": "partial"}],
            }.get(action, [{}])
        elif kind == "petition":
            options = {
                "accept": [{}, {"department": "ZJ"}],
                "transfer": [{"department": "CG"}, {"agency": "市信访局"}, {}],
                "request_extension": [{"days": 10}, {"days": 30}, {"days": 99}],
            }.get(action, [{}])
        return {"note": note, **options[b % len(options)]}

    def act(self, kind: str, pk: int, actor, action: str, b: int) -> bool:
        """One action through the app's service; True when it went through, False when refused."""
        case = self.case(kind, pk)
        raw = self.raw_for(kind, action, case, b)
        try:
            SERVICES[kind].perform_action(actor, case, action, raw, now=self.t)
        except DomainError:
            self.refused += 1
            return False
        self.done.append((kind, action))
        return True

    def allowed(self, kind: str, pk: int) -> list[tuple[object, str]]:
        lc = engine.lifecycle(kind)
        case = self.case(kind, pk)
        return [(actor, a) for actor in self.actors(kind) for a in lc.allowed_actions(case, actor, self.t)
                if a not in SKIPPED]

    def sweep(self, hours: int) -> dict:
        self.t += timedelta(hours=hours)
        out = sweep.sweep_all(now=self.t)
        assert not any("error" in c for c in out.values()), out
        self.done.append(("*", "sweep"))
        return out

    def step(self, bias: int, a: int, b: int) -> str:
        """Decode and take one step; returns what it was (for the failure message)."""
        self.t += timedelta(minutes=1 + (a * 37 + b) % 240)
        # spread the choices: generated integers cluster at their bounds, and a choice among two by
        # parity alone would always take the same branch
        self.n += 1
        a, b = (a * 7919 + self.n * 31337) % 1_000_003, (b * 104729 + a + self.n * 7) % 1_000_033
        if not self.cases or (bias == 0 and len(self.cases) < 4):
            self.report(a, b)
            return f"report {self.cases[-1][0]}"
        if bias == 1:
            hours = 6 * (1 + a % 12)
            self.sweep(hours)
            return f"sweep +{hours}h"
        if bias <= 7:  # mostly one of the last few cases, so that walks get far along a lifecycle
            kind, pk = self.cases[-1 - a % min(2, len(self.cases))]
            lc = engine.lifecycle(kind)
            possible = self.allowed(kind, pk)
            names = sorted({x for _u, x in possible})  # each action as likely as the next, whoever may
            moving = [x for x in names if lc.transitions[x].target is not None]
            forward = [x for x in names if x in FORWARD or (x == "rate" and kind == "event")]
            pool = (forward if forward and bias <= 4 else moving if moving and bias <= 6 else names)
            if pool:
                action = pool[b % len(pool)]
                who = [u for u, x in possible if x == action]
                actor = who[a % len(who)]
                ok = self.act(kind, pk, actor, action, b // 7)
                return f"{kind} {pk} {action} by {actor} ({'ok' if ok else 'refused'})"
        kind, pk = self.cases[a % len(self.cases)]
        lc = engine.lifecycle(kind)
        actions = [x for x in lc.human_actions if x not in SKIPPED]
        actors = self.actors()
        actor, action = actors[b % len(actors)], actions[(a + b) % len(actions)]
        ok = self.act(kind, pk, actor, action, a)
        return f"{kind} {pk} any {action} by {actor} ({'ok' if ok else 'refused'})"
