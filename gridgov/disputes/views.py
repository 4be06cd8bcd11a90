"""Dispute pages under /disputes/ (namespace ``disputes``).  Thin: everything goes through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.cases import sla as core_sla
from gridgov.core.errors import DomainError, NotFound, ValidationFailed
from gridgov.core.text import as_pk
from gridgov.core.throttle import client_ip
from gridgov.disputes import services, workflow
from gridgov.disputes.models import (
    Agreement,
    Channel,
    Dispute,
    DisputeType,
    Party,
    Referral,
    RiskGrade,
    Satisfaction,
    Session,
    Status,
)
from gridgov.regions.models import Region
from gridgov.web.regions import chosen_chain, chosen_region, region_cascade

R = User.Role
INTAKE_ROLES = (R.GRID_WORKER, R.OPERATOR, R.MEDIATOR, R.ADMIN)
PARTY_ROWS = 4
ACTION_ORDER = ["accept", "assign", "start", "session", "succeed", "fail", "follow_up", "close", "performance",
                "regrade", "change_channel", "supplement", "reject", "reopen"]
QUICK = {"accept", "start", "close"}
NOTE_LABELS = {"reject": gettext_lazy("不予受理理由"), "succeed": gettext_lazy("调解结果说明"),
               "fail": gettext_lazy("调解不成的原因"), "follow_up": gettext_lazy("回访情况"),
               "reopen": gettext_lazy("重启原因"), "change_channel": gettext_lazy("转换理由"),
               "regrade": gettext_lazy("调整理由"), "supplement": gettext_lazy("补充情况"),
               "assign": gettext_lazy("分派说明")}


def _role(user) -> str:
    return R.ADMIN if user.is_superuser else user.role


def _status(exc: DomainError) -> int:
    return 400 if isinstance(exc, ValidationFailed) else exc.status


def _not_found(request):
    return render(request, "web/not_found.html", {"message": _("未找到该纠纷，或该纠纷不在您的管辖范围内")}, status=404)


def _region_choices(user) -> list[tuple[str, str]]:
    base = user.region if user.region_id else Region.objects.filter(level=Region.Level.CITY).order_by("code").first()
    if _role(user) == R.MEDIATOR and hasattr(user, "mediator_profile"):
        base = user.mediator_profile.region
    if base is None:
        return []
    out = [(base.code, base.name)]
    for r in Region.objects.filter(code__startswith=base.code, level__gt=base.level,
                                   level__lte=Region.Level.COMMUNITY).order_by("code")[:400]:
        out.append((r.code, "\u3000" * (r.level - base.level) + r.name))
    return out


def _parties_from_post(post) -> list[dict]:
    rows = []
    for i in range(PARTY_ROWS):
        rows.append({"role": post.get(f"party_{i}_role", ""), "name": post.get(f"party_{i}_name", "").strip(),
                     "phone": post.get(f"party_{i}_phone", "").strip(),
                     "resident": post.get(f"party_{i}_resident", "").strip() or None})
    return rows


def _intake_ctx(request, values=None, errors=None, message=""):
    values = values if values is not None else {}
    party_rows = []
    for i in range(PARTY_ROWS):
        default_role = Party.Role.APPLICANT if i in (0, 2) else Party.Role.RESPONDENT
        party_rows.append({
            "i": i, "role": values.get(f"party_{i}_role", default_role), "name": values.get(f"party_{i}_name", ""),
            "phone": values.get(f"party_{i}_phone", ""), "resident": values.get(f"party_{i}_resident", ""),
            "errors": [m for k, v in (errors or {}).items() if k.startswith(f"parties.{i}.") for m in v],
        })
    return {"values": values, "errors": errors or {}, "error_message": message, "party_rows": party_rows,
            "types": DisputeType.choices, "channels": Channel.choices, "roles": Party.Role.choices,
            "region_choices": _region_choices(request.user) if request.user.is_authenticated else [],
            "can_convert": request.user.is_authenticated and _role(request.user) in (R.OPERATOR, R.ADMIN),
            # a citizen chooses the place without a map point: county → township → community of the city
            "cascade": ([] if request.user.is_authenticated else
                        region_cascade(Region.objects.filter(level=Region.Level.CITY).order_by("code").first(),
                                       values.get("region") or chosen_region(values)))}


def _input_from_post(post) -> services.DisputeInput:
    def num(name):
        v = (post.get(name) or "").strip()
        try:
            return float(v) if v else None
        except ValueError:
            return None
    return services.DisputeInput(
        dispute_type=post.get("dispute_type", ""), description=post.get("description", ""),
        parties=_parties_from_post(post), region=post.get("region") or chosen_region(post),
        region_chain=chosen_chain(post), lng=num("lng"), lat=num("lat"),
        address=post.get("address", ""), amount=(post.get("amount") or "0").strip(),
        people_count=(post.get("people_count") or "2").strip(), channel=post.get("channel") or Channel.PEOPLE,
        reporter_name=post.get("reporter_name", ""), reporter_phone=post.get("reporter_phone", ""),
    )


@login_required
def new(request):
    if _role(request.user) not in INTAKE_ROLES:
        return render(request, "web/forbidden.html", {"message": _("您无权登记纠纷")}, status=403)
    if request.method != "POST":
        # "转为纠纷" on an event page lands here with the event's number and description filled in
        values = {}
        number = (request.GET.get("event") or "").strip()
        if number:
            from gridgov.events.models import Event

            event = Event.objects.visible_to(request.user).filter(number=number).first()
            if event is not None:
                values = {"event": event.number, "description": event.description, "address": event.address}
        return render(request, "disputes/intake.html", _intake_ctx(request, values))
    try:
        event_number = (request.POST.get("event") or "").strip()
        if event_number:
            d = services.convert_event(request.user, event_number, _parties_from_post(request.POST),
                                       request.POST.get("dispute_type", ""),
                                       (request.POST.get("amount") or "0").strip(),
                                       request.POST.get("channel") or Channel.PEOPLE)
        else:
            d = services.create_dispute(request.user, _input_from_post(request.POST))
    except DomainError as exc:
        return render(request, "disputes/intake.html",
                      _intake_ctx(request, request.POST, exc.fields, str(exc.message)), status=_status(exc))
    messages.success(request, _("纠纷登记成功，编号：%(number)s（风险等级：%(grade)s）")
                     % {"number": d.number, "grade": d.get_risk_grade_display()})
    if Dispute.objects.visible_to(request.user).filter(pk=d.pk).exists():
        return redirect("disputes:detail", d.number)
    return redirect("disputes:list")


def track(request):
    """A citizen follows their application by its number and the phone they applied with."""
    from gridgov.core.throttle import TooManyRequests

    number = (request.POST.get("number") or request.GET.get("number") or "").strip()
    ctx = {"number": number}
    if request.method != "POST":
        return render(request, "disputes/track.html", ctx)
    phone = (request.POST.get("phone") or "").strip()
    ctx["phone"] = phone
    try:
        d = services.get_for_citizen(number, phone, client=client_ip(request))
    except NotFound as exc:
        ctx["error"] = str(exc.message)
        return render(request, "disputes/track.html", ctx, status=404)
    except TooManyRequests as exc:
        ctx["error"] = str(exc.message)
        return render(request, "disputes/track.html", ctx, status=429)
    ctx["view"] = services.citizen_progress(d)
    return render(request, "disputes/track.html", ctx)


def apply(request):
    """A citizen applies for mediation (no account)."""
    if request.method != "POST":
        return render(request, "disputes/apply.html", _intake_ctx(request))
    data = _input_from_post(request.POST)
    try:
        d, _created = services.apply_as_citizen(data, client_ip(request))
    except DomainError as exc:
        return render(request, "disputes/apply.html", _intake_ctx(request, request.POST, exc.fields, str(exc.message)),
                      status=_status(exc))
    return render(request, "disputes/apply_done.html", {"number": d.number})


FILTERS = ("status", "dispute_type", "risk_grade", "sla_state", "channel", "q")


@login_required
def worklist(request):
    params = {k: (request.GET.get(k) or "").strip() for k in FILTERS}
    errors, code = {}, 200
    try:
        qs = services.filtered(request.user, **params)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        errors, code, qs = exc.fields, _status(exc), Dispute.objects.none()
    page = Paginator(qs.select_related("region", "mediator"), 30).get_page(request.GET.get("page"))
    now = timezone.now()
    for d in page.object_list:
        d.sla = services.sla_state(d, now)
    return render(request, "disputes/worklist.html", {
        "page": page, "params": params, "errors": errors, "statuses": Status.choices, "types": DisputeType.choices,
        "grades": RiskGrade.choices, "channels": Channel.choices, "sla_choices": list(core_sla.LABELS.items()),
        "sla_labels": core_sla.LABELS, "can_register": _role(request.user) in INTAKE_ROLES,
    }, status=code)


def _data_rows(data: dict) -> list[tuple[str, str]]:
    labels = {"mediator": _("调解员"), "previous_mediator": _("原调解员"), "chosen_by_party": _("当事人选定"),
              "deadline": _("调解期限"), "from_channel": _("原渠道"), "to_channel": _("新渠道"),
              "risk_before": _("原风险等级"), "risk_after": _("新风险等级"), "computed": _("规则评定"),
              "referral": _("引导分流"), "satisfaction": _("满意度"), "performance": _("履行情况"),
              "performed_on": _("履行日期"), "performance_deadline": _("履行期限"), "held_at": _("调解时间"),
              "mode": _("方式"), "risk": _("风险等级"), "event": _("来源事件")}
    # value labels per key: the codes of different choice sets overlap (administrative = 行政调解 / 行政裁决)
    channels, grades = dict(Channel.choices), dict(RiskGrade.choices)
    names_by_key = {"from_channel": channels, "to_channel": channels, "risk_before": grades, "risk_after": grades,
                    "computed": grades, "risk": grades, "referral": dict(Referral.choices),
                    "satisfaction": dict(Satisfaction.choices), "performance": dict(Agreement.Performance.choices),
                    "mode": dict(Session.Mode.choices)}
    rows = []
    for k, v in (data or {}).items():
        if v in (None, "", [], False) or k == "session":
            continue
        if v is True:
            v = _("是")
        elif isinstance(v, str) and k in ("deadline", "held_at") and "T" in v:
            from django.utils.dateparse import parse_datetime

            dt = parse_datetime(v)
            v = timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else v
        rows.append((labels.get(k, k), str(names_by_key.get(k, {}).get(v, v) if isinstance(v, str) else v)))
    return rows


def _case_ctx(request, d: Dispute, *, error_action="", errors=None, error_message="", values=None) -> dict:
    user = request.user
    allowed = workflow.allowed_actions(d, user)
    ordered = [a for a in ACTION_ORDER if a in allowed]
    agreement = Agreement.objects.filter(dispute=d).first()
    suggestions = services.suggest_mediators(d) if "assign" in allowed else []
    options = [s.mediator for s in suggestions]
    pre = request.GET.get("mediator", "")
    if "assign" in allowed and as_pk(pre) and all(m.pk != as_pk(pre) for m in options):
        from gridgov.disputes.models import Mediator

        options += list(Mediator.objects.filter(pk=as_pk(pre), active=True))
    return {
        "d": d, "sla": services.sla_state(d), "sla_labels": core_sla.LABELS,
        "parties": list(d.parties.select_related("resident")),
        "actions": [{"code": a, "label": workflow.TRANSITIONS[a].label, "quick": a in QUICK,
                     "needs_note": workflow.TRANSITIONS[a].needs_note, "note_label": NOTE_LABELS.get(a, _("说明"))}
                    for a in ordered],
        "timeline": [{"e": e, "label": workflow.LABELS.get(e.action, e.action), "rows": _data_rows(e.data)}
                     for e in services.timeline(d)],
        "status_labels": dict(Status.choices),
        "sessions": list(d.sessions.prefetch_related("attachments")),
        "agreement": agreement, "suggestions": suggestions, "mediator_options": options,
        "channels": Channel.choices, "grades": RiskGrade.choices, "referrals": Referral.choices,
        "satisfactions": Satisfaction.choices, "performances": Agreement.Performance.choices,
        "modes": Session.Mode.choices, "today": timezone.localdate(),
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "error_action": error_action, "errors": errors or {}, "error_message": error_message,
        "values": values or {}, "preselect": request.GET.get("mediator", ""),
        "cited": list(services.cited_articles(d)), "may_cite": "cite_law" in allowed,
        "advice": services.legal_advice(user, d) if request.GET.get("advice") or "cite_law" in allowed else [],
    }


@login_required
@require_GET
def detail(request, number: str):
    try:
        d = services.get_visible(request.user, number)
    except NotFound:
        return _not_found(request)
    return render(request, "disputes/detail.html", _case_ctx(request, d))


@login_required
@require_POST
def act(request, number: str, action: str):
    try:
        d = services.get_visible(request.user, number)
    except NotFound:
        return _not_found(request)
    try:
        services.perform_action(request.user, d, action, request.POST.dict(),
                                uploads=request.FILES.getlist("attachments"))
    except DomainError as exc:
        d = services.get_visible(request.user, number)
        return render(request, "disputes/detail.html",
                      _case_ctx(request, d, error_action=action, errors=exc.fields, error_message=str(exc.message),
                                values=request.POST), status=_status(exc))
    messages.success(request, _("操作成功：%(action)s") % {"action": workflow.TRANSITIONS[action].label})
    return redirect("disputes:detail", number)


@login_required
def agreement_docx(request, number: str):
    try:
        d = services.get_visible(request.user, number)
        body = services.agreement_document(request.user, d)
    except NotFound:
        return _not_found(request)
    resp = HttpResponse(body,
                        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    resp["Content-Disposition"] = f'attachment; filename="{d.number}-agreement.docx"'
    return resp


@login_required
def session_file(request, pk: int):
    from gridgov.cases.uploads import serve_upload

    try:
        att = services.get_session_attachment(request.user, pk)
    except NotFound:
        return _not_found(request)
    return serve_upload(att)


@login_required
def mediators(request):
    """调解员超市: browse and filter; with ?dispute=<number>, choose one for that case."""
    params = {k: (request.GET.get(k) or "").strip() for k in ("dispute_type", "region", "min_rate", "order",
                                                              "dispute")}
    errors, code, rows = {}, 200, []
    target = None
    if params["dispute"]:
        try:
            target = services.get_visible(request.user, params["dispute"])
        except NotFound:
            return _not_found(request)
        if not params["dispute_type"] and "dispute_type" not in request.GET:
            params["dispute_type"] = target.dispute_type
    try:
        min_rate = float(params["min_rate"]) / 100 if params["min_rate"] else None
    except ValueError:
        min_rate = None
        errors["min_rate"] = [_("请填写0到100之间的数字")]
    try:
        rows = services.browse_mediators(dispute_type=params["dispute_type"], region=params["region"],
                                         min_rate=min_rate, order=params["order"] or "rate")
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        code = 400
    can_choose = target is not None and "assign" in workflow.allowed_actions(target, request.user)
    return render(request, "disputes/mediators.html", {
        "rows": rows, "params": params, "errors": errors, "types": DisputeType.choices,
        "region_choices": _region_choices(request.user), "target": target, "can_choose": can_choose,
    }, status=code)
