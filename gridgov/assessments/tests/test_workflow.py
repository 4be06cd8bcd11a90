"""The order of the 稳评 steps: each step is left only when its work is there, with the reason when not."""

import pytest

from gridgov.assessments.models import Assessment, AssessmentLog, Status
from gridgov.assessments.tests.conftest import RISKS, SURVEY
from gridgov.cases.models import TransitionRecord
from gridgov.core.errors import Conflict, Forbidden, ValidationFailed


def refused(act, a, action, raw=None, user=None) -> Conflict:
    with pytest.raises(Conflict) as info:
        act(a, action, raw, user=user)
    return info.value


def test_a_new_assessment_starts_at_the_plan_in_the_affected_areas_common_region(city, create):
    a = create(regions=[city.township_a.code, city.community_a.code])
    assert a.number.startswith("WP") and a.status == Status.PLAN
    assert a.region == city.township_a and a.center == city.county
    assert AssessmentLog.objects.filter(assessment=a, action="register").count() == 1
    assert TransitionRecord.objects.filter(kind="assessment", case_id=a.pk).count() == 1


def test_the_survey_step_cannot_be_left_without_a_survey(city, act, walk, create):
    a = walk(create(), "confirm_plan")
    exc = refused(act, a, "finish_survey")
    assert exc.code == "guard_failed" and "尚未记录任何风险调查" in str(exc.message)
    a = act(a, "add_survey", SURVEY)
    assert a.status == Status.SURVEY and a.surveys.get().opposing == 12
    assert act(a, "finish_survey").status == Status.IDENTIFY


def test_the_register_must_have_an_item_before_the_argument(act, walk, create):
    a = walk(create(), "finish_survey")
    exc = refused(act, a, "finish_identify")
    assert exc.code == "guard_failed" and "风险清单为空" in str(exc.message)
    a = act(a, "add_risk", RISKS[0])
    assert a.risks.get().grade == "high"  # 4 × 4 on the matrix
    assert act(a, "finish_identify").status == Status.ARGUE


def test_the_argument_needs_all_four_findings_and_names_the_missing_ones(act, walk, create):
    a = walk(create(), "finish_identify")
    act(a, "set_finding", {"aspect": "legality", "passed": "true", "text": "合法"})
    exc = refused(act, a, "finish_argue")
    assert exc.code == "guard_failed"
    assert "合理性、可行性、可控性" in str(exc.message) and "合法性、合理性" not in str(exc.message).split("（")[0]
    a = walk(a, "finish_argue")
    assert a.status == Status.GRADE and a.findings.count() == 4


def test_a_finding_given_again_replaces_the_first(act, walk, create):
    a = walk(create(), "finish_identify")
    act(a, "set_finding", {"aspect": "legality", "passed": "false", "text": "初稿"})
    act(a, "set_finding", {"aspect": "legality", "passed": "true", "text": "复核后合法"})
    f = a.findings.get()
    assert f.passed and f.text == "复核后合法"


def test_no_decision_before_the_risk_level(act, walk, create):
    a = walk(create(), "finish_argue")
    exc = refused(act, a, "decide", {"decision": "adopted", "decided_on": "2026-11-22"})
    assert exc.code == "guard_failed" and "尚未确定风险等级" in str(exc.message)
    assert Assessment.objects.get(pk=a.pk).decision == ""
    a = walk(a, "set_level")
    assert a.status == Status.DECISION
    assert act(a, "decide", {"decision": "adopted", "decided_on": "2026-11-22"}).status == Status.FILING


def test_no_filing_without_the_generated_report(act, walk, create):
    a = walk(create(), "decide")
    exc = refused(act, a, "file", {"filed_on": "2026-11-23", "filing_number": "X1"})
    assert exc.code == "guard_failed" and "尚未生成评估报告" in str(exc.message)
    a = act(a, "generate_report")
    assert a.report and a.report_sha256
    a = act(a, "file", {"filed_on": "2026-11-23", "filing_number": "X1"})
    assert a.status == Status.TRACKING and a.filed_with == "政法委"


def test_a_report_generated_before_the_decision_is_dropped_by_the_decision(act, walk, create):
    a = walk(create(), "set_level")
    a = act(a, "generate_report")
    assert a.report
    a = act(a, "decide", {"decision": "adopted", "decided_on": "2026-11-22"})
    assert not a.report  # it would not carry the decision
    assert refused(act, a, "file", {"filed_on": "2026-11-23", "filing_number": "X1"}).code == "guard_failed"


def test_the_report_can_be_regenerated_until_filed_and_not_after(act, walk, create):
    a = walk(create(), "generate_report")
    first = a.report.name
    a = act(a, "generate_report")
    assert a.report.name and a.report_generated_at
    a = walk(a, "file")
    exc = refused(act, a, "generate_report")
    assert exc.code == "invalid_state"
    assert first


def test_a_step_out_of_order_is_an_invalid_state(act, create):
    a = create()
    assert refused(act, a, "add_risk", RISKS[0]).code == "invalid_state"
    assert refused(act, a, "set_level", {"risk_level": "low", "recommendation": "implement"}).code == "invalid_state"


def test_the_whole_way_to_closed(act, walk, create):
    a = walk(create(), "record_implementation")
    assert a.status == Status.TRACKING and str(a.implementation_started_on) == "2026-11-23"
    with pytest.raises(ValidationFailed) as info:
        act(a, "close")
    assert "note" in info.value.fields
    a = act(a, "close", {"note": "实施三个月，未发生涉稳事件"})
    assert a.status == Status.CLOSED and a.closed_at is not None
    actions = list(a.log.values_list("action", flat=True))
    assert actions[0] == "register" and actions[-1] == "close" and actions.count("add_risk") == 2


def test_a_high_risk_cannot_be_recommended_nor_decided_for_implementation(act, walk, create):
    a = walk(create(), "finish_argue")
    with pytest.raises(ValidationFailed) as info:
        act(a, "set_level", {"risk_level": "high", "recommendation": "implement"})
    assert "recommendation" in info.value.fields
    a = act(a, "set_level", {"risk_level": "high", "recommendation": "postpone"})
    with pytest.raises(ValidationFailed) as info:
        act(a, "decide", {"decision": "adopted", "decided_on": "2026-11-22"})
    assert "decision" in info.value.fields and Assessment.objects.get(pk=a.pk).status == Status.DECISION


def test_implementation_is_recorded_only_for_an_adopted_decision(act, walk, create):
    a = walk(create(), "set_level")
    a = act(a, "decide", {"decision": "postponed", "decided_on": "2026-11-22"})
    a = act(a, "generate_report")
    a = act(a, "file", {"filed_on": "2026-11-23", "filing_number": "X2"})
    exc = refused(act, a, "record_implementation", {"started_on": "2026-11-23"})
    assert "无需登记实施" in str(exc.message)


def test_township_operators_and_grid_workers_may_not_act(city, act, create):
    a = create()
    for user in (city.operator_a, city.worker_a, city.liaison_cg):
        with pytest.raises(Forbidden):
            act(a, "confirm_plan", {"plan": "x"}, user=user)
    assert act(a, "confirm_plan", {"plan": "方案"}, user=city.leader_county).status == Status.SURVEY
    assert act(a, "add_survey", SURVEY, user=city.city_operator).surveys.count() == 1


def test_bad_survey_counts_change_nothing(act, walk, create):
    a = walk(create(), "confirm_plan")
    with pytest.raises(ValidationFailed) as info:
        act(a, "add_survey", {**SURVEY, "participants": 10})
    assert "participants" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        act(a, "add_survey", {**SURVEY, "held_on": "2099-01-01", "method": "telepathy"})
    assert set(info.value.fields) >= {"held_on", "method"}
    assert a.surveys.count() == 0 and a.log.count() == 2
