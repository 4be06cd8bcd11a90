"""Two 稳评 for the demo city, through the real services (called by demo.services.load_demo): one filed and in
跟踪 since its implementation three weeks ago, one at 风险识别. Only when the city has none yet."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.assessments import services
from gridgov.assessments.models import Assessment

CITY = "3715"
COUNTY = "371502"


def generate_assessments(log=None) -> int:
    if Assessment.objects.filter(region__code__startswith=CITY).exists():
        if log:
            log(f"稳评：已有 {Assessment.objects.filter(region__code__startswith=CITY).count()} 件，未重复生成")
        return 0
    op = User.objects.get(username="op_county")
    now = timezone.now()

    def at(days_ago):
        return now - timedelta(days=days_ago)

    def day(days_ago):
        return timezone.localdate(at(days_ago)).isoformat()

    def act(a, action, days_ago, **raw):
        services.perform_action(op, Assessment.objects.get(pk=a.pk), action, raw, now=at(days_ago))

    a = services.create_assessment(op, {
        "title": "古楼街道旧城片区房屋征收改造项目", "kind": "land", "responsible_body": "东昌府区人民政府",
        "assessing_body": "聊城市社会稳定风险评估中心（第三方）", "third_party": True, "regions": ["371502001"],
        "summary": "片区涉及住户约320户、商户26家，拟采取货币补偿与产权调换相结合的方式实施征收。"}, now=at(60))
    act(a, "confirm_plan", 59, plan="采取社会公示、公开听证、问卷调查、专家咨询和合法性审查方式，30日内完成评估。")
    act(a, "add_survey", 55, method="notice", held_on=day(55), participants=320, supporting=0, opposing=0, other=14,
        summary="征收方案公示10日，收到书面意见14条，主要集中在补偿标准")
    act(a, "add_survey", 48, method="hearing", held_on=day(48), participants=60, supporting=41, opposing=12, other=7,
        summary="多数居民支持改造，部分居民认为评估价格偏低")
    act(a, "finish_survey", 47)
    act(a, "add_risk", 46, item="补偿标准争议引发群体性上访", source="被征收户", likelihood=4, impact=4,
        mitigation="公开评估价格和补偿标准，一户一策做好解释，设立征收咨询点", owner="区住建局")
    act(a, "add_risk", 46, item="施工扰民引发投诉", source="周边居民", likelihood=3, impact=2,
        mitigation="限定施工时间，设置围挡降噪，公布投诉电话", owner="施工单位")
    act(a, "finish_identify", 45)
    for aspect, passed, text in [
        ("legality", "true", "符合《国有土地上房屋征收与补偿条例》，程序合法"),
        ("reasonableness", "true", "补偿方案兼顾公共利益和被征收人合法权益"),
        ("feasibility", "true", "补偿资金和安置房源已落实"),
        ("controllability", "false", "存在群体性上访风险，须落实化解措施和应急预案"),
    ]:
        act(a, "set_finding", 44, aspect=aspect, passed=passed, text=text)
    act(a, "finish_argue", 43)
    act(a, "set_level", 42, risk_level="medium", recommendation="implement", reason="落实化解措施后风险总体可控")
    act(a, "decide", 40, decision="adopted", decided_on=day(40), note="区政府常务会议研究同意实施")
    act(a, "generate_report", 39)
    act(a, "file", 38, filed_on=day(38), filing_number="东政法稳备〔2026〕8号")
    act(a, "record_implementation", 21, started_on=day(21))

    b = services.create_assessment(op, {
        "title": "全区城市供热价格调整", "kind": "policy", "responsible_body": "东昌府区发展和改革局",
        "assessing_body": "东昌府区发展和改革局", "third_party": False, "regions": [COUNTY],
        "summary": "拟将居民供热价格由每平方米22元调整为24元，涉及全区供热用户约12万户。"}, now=at(10))
    act(b, "confirm_plan", 9, plan="网上公示征求意见，召开价格听证会，委托专家论证成本监审结论。")
    act(b, "add_survey", 6, method="questionnaire", held_on=day(6), participants=1200, supporting=530, opposing=480,
        other=190, summary="反对意见主要认为供热质量不达标时不应涨价")
    act(b, "finish_survey", 5)
    act(b, "add_risk", 4, item="低收入家庭负担加重", source="困难群众", likelihood=3, impact=3,
        mitigation="对低保、特困家庭给予供热补贴", owner="区民政局")
    if log:
        log("稳评：2 件（跟踪中 1 件，风险识别 1 件）")
    return 2
