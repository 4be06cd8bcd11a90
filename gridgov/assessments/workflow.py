"""The 稳评 lifecycle, declared on the case kernel (:mod:`gridgov.cases.engine`).

    plan --confirm_plan--> survey --finish_survey--> identify --finish_identify--> argue --finish_argue-->
    grade --set_level--> decision --decide--> filing --file--> tracking --close--> closed
    stays: add_survey (survey), add_risk (identify), set_finding (argue), set_level again (decision),
           generate_report (decision, filing), record_implementation (tracking)

Each step is left only when its work is there (the guards, 409 ``guard_failed`` with the reason): a survey
recorded, a risk item registered, the four findings given, the risk level set before any decision, the report
generated before filing. Who: an operator or leader of the county or city center that runs the assessment (or
of a center above it), and administrators; township centers only read.

The effects get parameters the services have already checked (:mod:`gridgov.assessments.services`).
"""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.assessments import risk
from gridgov.assessments.models import (
    Aspect,
    Assessment,
    AssessmentLog,
    Decision,
    Finding,
    RiskItem,
    Status,
    Survey,
)
from gridgov.cases.engine import SYSTEM, Lifecycle, Transition, register
from gridgov.regions.models import Region

S = Status


# --- who may ----------------------------------------------------------------------------------

def runner(user, a: Assessment) -> bool:
    """An administrator, or an operator/leader of a county or city center at or above the assessment's center."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser or user.role == User.Role.ADMIN:
        return True
    return (user.role in (User.Role.OPERATOR, User.Role.LEADER) and user.region_id is not None
            and user.region.level <= Region.Level.COUNTY and a.center.code.startswith(user.region.code))


# --- guards (a reason to refuse, or None) ------------------------------------------------------

def _has_survey(a: Assessment) -> str | None:
    if not a.surveys.exists():
        return _("尚未记录任何风险调查（公示、问卷、座谈、听证等），不能进入风险识别")
    return None


def _has_risk(a: Assessment) -> str | None:
    if not a.risks.exists():
        return _("风险清单为空：至少登记一项风险点后才能进入评估论证")
    return None


def missing_aspects(a: Assessment) -> list[str]:
    present = set(a.findings.values_list("aspect", flat=True))
    return [str(label) for code, label in Aspect.choices if code not in present]


def _has_findings(a: Assessment) -> str | None:
    missing = missing_aspects(a)
    if missing:
        return _("评估论证尚缺：%(aspects)s（合法性、合理性、可行性、可控性均须给出论证意见）") % {
            "aspects": "、".join(missing)}
    return None


def _has_level(a: Assessment) -> str | None:
    if not a.risk_level or not a.recommendation:
        return _("尚未确定风险等级和评估建议，不能作出决策")
    return None


def _has_report(a: Assessment) -> str | None:
    if not a.report:
        return _("尚未生成评估报告，不能备案")
    return None


def _adopted(a: Assessment) -> str | None:
    if a.decision != Decision.ADOPTED:
        return _("决策结果为暂缓或不予实施，无需登记实施")
    return None


# --- effects (assessment, actor, params, now) → extra log data ----------------------------------

def _confirm_plan(a, actor, params, now):
    a.plan = params["plan"]
    return {}


def _add_survey(a, actor, params, now):
    s = Survey.objects.create(assessment=a, created_at=now, **params["survey"])
    return {"survey": s.pk, "method": s.method, "participants": s.participants, "supporting": s.supporting,
            "opposing": s.opposing, "other": s.other}


def _add_risk(a, actor, params, now):
    data = params["risk"]
    item = RiskItem.objects.create(assessment=a, created_at=now, grade=risk.grade(data["likelihood"], data["impact"]),
                                   **data)
    return {"risk": item.pk, "item": item.item, "grade": item.grade}


def _set_finding(a, actor, params, now):
    data = params["finding"]
    Finding.objects.update_or_create(assessment=a, aspect=data["aspect"],
                                     defaults={"text": data["text"], "passed": data["passed"], "updated_at": now})
    return {"aspect": data["aspect"], "passed": data["passed"]}


def _set_level(a, actor, params, now):
    a.risk_level, a.recommendation = params["risk_level"], params["recommendation"]
    a.level_reason = params.get("reason", "")
    return {"risk_level": a.risk_level, "recommendation": a.recommendation}


def _decide(a, actor, params, now):
    a.decision, a.decided_on, a.decision_note = params["decision"], params["decided_on"], params["note"]
    # a report generated before the decision does not carry it: it is generated again before filing
    a.report, a.report_generated_at, a.report_sha256 = "", None, ""
    return {"decision": a.decision, "decided_on": a.decided_on.isoformat()}


def _generate_report(a, actor, params, now):
    import hashlib

    from gridgov.assessments.report import build_docx

    a.report_generated_at = now  # the report's date line
    body = build_docx(a)
    a.report.save(f"{a.number}-report.docx", ContentFile(body), save=False)
    a.report_sha256 = hashlib.sha256(body).hexdigest()
    return {"size": len(body), "sha256": a.report_sha256}


def _file(a, actor, params, now):
    a.filed_on, a.filing_number, a.filed_with = params["filed_on"], params["filing_number"], params["filed_with"]
    return {"filed_on": a.filed_on.isoformat(), "filing_number": a.filing_number}


def _record_implementation(a, actor, params, now):
    a.implementation_started_on = params["started_on"]
    return {"started_on": a.implementation_started_on.isoformat()}


def _close(a, actor, params, now):
    a.closed_at = now
    return {}


EFFECTS = {
    "confirm_plan": _confirm_plan, "add_survey": _add_survey, "add_risk": _add_risk, "set_finding": _set_finding,
    "set_level": _set_level, "decide": _decide, "generate_report": _generate_report, "file": _file,
    "record_implementation": _record_implementation, "close": _close,
}

# --- the table --------------------------------------------------------------------------------

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("confirm_plan", gettext_lazy("确定评估方案"), (S.PLAN,), S.SURVEY, runner, effect="confirm_plan"),
        Transition("add_survey", gettext_lazy("记录风险调查"), (S.SURVEY,), None, runner, effect="add_survey"),
        Transition("finish_survey", gettext_lazy("完成风险调查"), (S.SURVEY,), S.IDENTIFY, runner,
                   guard=_has_survey),
        Transition("add_risk", gettext_lazy("登记风险点"), (S.IDENTIFY,), None, runner, effect="add_risk"),
        Transition("finish_identify", gettext_lazy("完成风险识别"), (S.IDENTIFY,), S.ARGUE, runner,
                   guard=_has_risk),
        Transition("set_finding", gettext_lazy("填写论证意见"), (S.ARGUE,), None, runner, effect="set_finding"),
        Transition("finish_argue", gettext_lazy("完成评估论证"), (S.ARGUE,), S.GRADE, runner, guard=_has_findings),
        Transition("set_level", gettext_lazy("确定风险等级"), (S.GRADE, S.DECISION), S.DECISION, runner,
                   effect="set_level"),
        Transition("decide", gettext_lazy("登记决策"), (S.GRADE, S.DECISION), S.FILING, runner, effect="decide",
                   guard=_has_level),
        Transition("generate_report", gettext_lazy("生成评估报告"), (S.DECISION, S.FILING), None, runner,
                   effect="generate_report"),
        Transition("file", gettext_lazy("备案"), (S.FILING,), S.TRACKING, runner, effect="file", guard=_has_report),
        Transition("record_implementation", gettext_lazy("登记实施"), (S.TRACKING,), None, runner,
                   effect="record_implementation", guard=_adopted),
        Transition("close", gettext_lazy("结束跟踪"), (S.TRACKING,), S.CLOSED, runner, needs_note=True,
                   effect="close"),
    ]
}

STEPS = [S.PLAN, S.SURVEY, S.IDENTIFY, S.ARGUE, S.GRADE, S.DECISION, S.FILING, S.TRACKING, S.CLOSED]


class AssessmentLifecycle(Lifecycle):
    kind = "assessment"
    noun = gettext_lazy("稳评事项")
    model = Assessment
    log_model = AssessmentLog
    case_field = "assessment"
    transitions = TRANSITIONS
    effects = EFFECTS
    open_statuses = ()  # no stage deadline runs: the steps take as long as the decision needs
    closed_statuses = (S.CLOSED,)

    def category_of(self, a: Assessment) -> str:
        return a.kind

    def source_of(self, a: Assessment) -> str:
        return ""


LIFECYCLE = register(AssessmentLifecycle())
check, allowed_actions, perform, transition = LIFECYCLE.operations()
HUMAN_ACTIONS = LIFECYCLE.human_actions


def open_assessment(a: Assessment, actor, now: datetime) -> AssessmentLog:
    a.status = S.PLAN
    return LIFECYCLE.open(a, actor, now, action="register")


__all__ = ["SYSTEM", "perform", "check", "allowed_actions", "open_assessment", "TRANSITIONS", "STEPS"]
