from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.models import User
from gridgov.assessments import services
from gridgov.assessments.models import Assessment
from gridgov.assessments.workflow import TRANSITIONS
from gridgov.regions.models import Region
from gridgov.testing import PASSWORD

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
DAY = date(2026, 11, 23)


def base_input(city, **kw) -> dict:
    data = {"title": "古楼街道旧城片区征收改造项目", "kind": "land", "responsible_body": "东昌府区人民政府",
            "assessing_body": "聊城某社会稳定风险评估事务所", "third_party": True,
            "regions": [city.township_a.code], "summary": "涉及住户约320户，拟采取货币补偿与产权调换相结合方式"}
    data.update(kw)
    return data


@pytest.fixture
def create(city):
    def _create(actor=None, now=T0, **kw):
        return services.create_assessment(actor or city.county_operator, base_input(city, **kw), now=now)

    return _create


@pytest.fixture
def act(city):
    def _act(a, action, raw=None, user=None, now=T0):
        services.perform_action(user or city.county_operator, Assessment.objects.get(pk=a.pk), action, raw or {},
                                now=now)
        return Assessment.objects.get(pk=a.pk)

    return _act


SURVEY = {"method": "hearing", "held_on": "2026-11-20", "participants": 60, "supporting": 41, "opposing": 12,
          "other": 7, "summary": "多数居民支持改造，部分居民对补偿标准有异议"}
RISKS = [
    {"item": "补偿标准争议引发群体性上访", "source": "被征收户", "likelihood": 4, "impact": 4,
     "mitigation": "公开补偿标准，一户一策做好解释", "owner": "区住建局"},
    {"item": "施工扰民", "source": "周边居民", "likelihood": 3, "impact": 2, "mitigation": "限定施工时间",
     "owner": "施工单位"},
]
FINDINGS = [("legality", True, "符合《国有土地上房屋征收与补偿条例》"), ("reasonableness", True, "补偿方案兼顾各方利益"),
            ("feasibility", True, "资金已落实"), ("controllability", False, "存在群体性上访风险，须落实化解措施")]


@pytest.fixture
def walk(act):
    """Take an assessment from where it is through the steps up to (and including) ``until``."""

    def _walk(a, until: str):
        steps = [
            ("confirm_plan", {"plan": "采取听证、问卷和专家咨询等方式开展评估"}),
            ("add_survey", SURVEY),
            ("finish_survey", {}),
            ("add_risk", RISKS[0]),
            ("add_risk", RISKS[1]),
            ("finish_identify", {}),
            *[("set_finding", {"aspect": c, "passed": "true" if ok else "false", "text": t}) for c, ok, t in FINDINGS],
            ("finish_argue", {}),
            ("set_level", {"risk_level": "medium", "recommendation": "implement", "reason": "落实措施后风险可控"}),
            ("decide", {"decision": "adopted", "decided_on": "2026-11-22", "note": "区政府常务会议研究同意"}),
            ("generate_report", {}),
            ("file", {"filed_on": "2026-11-23", "filing_number": "东政法稳备〔2026〕8号"}),
            ("record_implementation", {"started_on": "2026-11-23"}),
        ]
        a = Assessment.objects.get(pk=a.pk)
        for action, raw in steps:
            if a.status in TRANSITIONS[action].sources:  # a step already behind is skipped
                a = act(a, action, raw)
            if action == until:
                return a
        return a

    return _walk


@pytest.fixture
def other_county(city):
    county = Region.objects.create(code="371521", name="阳谷县", level=Region.Level.COUNTY, parent=city.city)
    town = Region.objects.create(code="371521001", name="博济桥街道", level=Region.Level.TOWNSHIP, parent=county)
    op = User.objects.create_user("op_yanggu", password=PASSWORD, role=User.Role.OPERATOR, region=county,
                                  full_name="阳谷县中心受理员")
    return {"county": county, "town": town, "operator": op}
