"""The event pages (namespace ``events``): report, worklist, my reports, the department inbox, the
event page and its actions, the duplicates panel, and attachments.  Thin: every event is reached through
the services (which scope by ``visible_to``), every change goes through ``services.create_event`` /
``services.perform_action``.  The citizen pages are in ``citizen_views.py``.

A DomainError re-renders the page it came from with the message and field errors and its status
(``web_status``: ValidationFailed → 400 for a form, Conflict → 409, Forbidden → 403); NotFound (and
anything outside the user's scope) is the 404 page.  What other domains show on the event page comes
through provider slots (``gridgov.core.providers``), never by importing them: ``event.banners``.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import CharField, F, Q
from django.db.models.lookups import In
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.cases.scope import Unindexed
from gridgov.core import providers
from gridgov.core.errors import DomainError, NotFound
from gridgov.events import assists, counted, followup, routing, services, sla, workflow
from gridgov.events.forms import ReportForm, category_choices
from gridgov.events.models import (
    Category,
    Event,
    ExtensionRequest,
    FollowUp,
    Rating,
    Source,
    Status,
    Supervision,
)
from gridgov.regions.models import Grid, Region
from gridgov.web.views import (
    COUNT_CAP,
    capped_count,
    forbidden,
    localize_iso,
    not_found,
    paginate,
    role_of,
    roles_required,
    web_status,
)

R = User.Role
# the order in which action forms appear on the event page (most common first)
ACTION_ORDER = [
    "accept",
    "dispatch",
    "hand_down",
    "sign",
    "feedback",
    "verify_pass",
    "resolve_on_spot",
    "rate",
    "follow_up",
    "explain_dissatisfaction",
    "approve_extension",
    "deny_extension",
    "request_extension",
    "report_in",
    "assist_feedback",
    "supplement",
    "verify_fail",
    "return",
    "reject",
    "escalate",
    "relocate",
    "reopen",
    "supervise",
    "merge",
]
# actions whose form is a single confirm button (an optional note)
QUICK_ACTIONS = {"accept", "sign", "verify_pass", "report_in"}
# actions that take photos
UPLOAD_ACTIONS = {"feedback", "resolve_on_spot", "assist_feedback", "supplement"}
NOTE_LABELS = {
    "accept": gettext_lazy("受理意见"),
    "reject": gettext_lazy("不予受理理由"),
    "merge": gettext_lazy("合并说明"),
    "escalate": gettext_lazy("上报理由"),
    "hand_down": gettext_lazy("下派理由"),
    "relocate": gettext_lazy("更正原因"),
    "dispatch": gettext_lazy("派遣意见"),
    "sign": gettext_lazy("签收意见"),
    "return": gettext_lazy("退回理由"),
    "request_extension": gettext_lazy("延期理由"),
    "approve_extension": gettext_lazy("审批意见"),
    "deny_extension": gettext_lazy("驳回理由"),
    "report_in": gettext_lazy("报到说明"),
    "assist_feedback": gettext_lazy("协办情况（本部门承担的工作及结果）"),
    "feedback": gettext_lazy("处置结果"),
    "resolve_on_spot": gettext_lazy("处置情况"),
    "verify_pass": gettext_lazy("核查意见"),
    "verify_fail": gettext_lazy("不通过原因及返工要求"),
    "rate": gettext_lazy("评价意见"),
    "reopen": gettext_lazy("重启原因"),
    "supervise": gettext_lazy("督办意见"),
    "supplement": gettext_lazy("补充情况"),
    "follow_up": gettext_lazy("回访情况"),
    "explain_dissatisfaction": gettext_lazy("情况说明"),
}


# --- reporting --------------------------------------------------------------------------------


def _report_context(form, user) -> dict:
    return {
        "form": form,
        "grids_url": (reverse("api:grid_layer") + f"?region={user.region.code}")
        if _grids_api() and user.region_id
        else "",
    }


def _grids_api() -> bool:
    """The grid layer endpoint is built elsewhere; the map works without it."""
    try:
        reverse("api:grid_layer")
    except NoReverseMatch:
        return False
    return True


@roles_required(R.GRID_WORKER, R.OPERATOR, R.ADMIN)
def report_new(request):
    user = request.user
    if request.method != "POST":
        return render(request, "events/report_form.html", _report_context(ReportForm(user=user), user))
    form = ReportForm(request.POST, user=user)
    uploads = request.FILES.getlist("attachments")
    if not form.is_valid():
        form.note_files_lost(uploads)
        return render(request, "events/report_form.html", _report_context(form, user), status=400)
    try:
        event, created = services.create_event(user, form.to_input(uploads), idempotency_key=form.key)
    except DomainError as exc:
        form.apply_domain_error(exc)
        form.note_files_lost(uploads)
        messages.error(request, str(exc.message))
        return render(request, "events/report_form.html", _report_context(form, user), status=web_status(exc))
    if created and event.source == Source.HOTLINE and event.reporter_phone_enc:
        messages.success(request, _("已登记，事件编号：%(number)s；编号已发送至来电人 %(phone)s") % {
            "number": event.number, "phone": workflow.mask_phone(event.reporter_phone)})
    elif created:
        messages.success(request, _("上报成功，事件编号：%(number)s") % {"number": event.number})
    else:
        messages.info(request, _("该事件已提交过，未重复创建。事件编号：%(number)s") % {"number": event.number})
    return redirect("events:detail", event.number)


@login_required
@require_GET
def duplicates(request):
    """htmx: open events of the same category near the chosen point (nothing until both are set)."""
    code = (request.GET.get("category") or "").strip()
    exclude = (request.GET.get("exclude") or "").strip()
    try:
        lng, lat = float(request.GET.get("lng", "")), float(request.GET.get("lat", ""))
    except ValueError:
        lng = lat = None
    found = []
    cat = Category.objects.filter(code=code, active=True).first() if code else None
    if cat is not None and lng is not None and -180 <= lng <= 180 and -90 <= lat <= 90:
        exclude_pk = Event.objects.filter(number=exclude).values_list("pk", flat=True).first() if exclude else None
        found = services.find_duplicates(cat, lng, lat, user=request.user, exclude_pk=exclude_pk, limit=10)
    can_supplement = role_of(request.user) in (R.GRID_WORKER, R.OPERATOR)
    return render(request, "events/_duplicates.html", {"found": found[:10], "can_supplement": can_supplement})


# --- lists ------------------------------------------------------------------------------------


def _region_choices(user) -> list[tuple[str, str]]:
    """Regions below the user's own (two levels, down to communities) for the worklist filter."""
    if user.region_id:
        base = user.region
    elif role_of(user) == R.LIAISON and user.department_id:
        base = user.department.region
    else:
        base = Region.objects.filter(level=Region.Level.CITY).order_by("code").first()
        if base is None:
            return []
    qs = Region.objects.filter(
        code__startswith=base.code, level__gt=base.level, level__lte=min(base.level + 2, Region.Level.COMMUNITY)
    ).order_by("code")[:500]
    out = []
    if not user.region_id:
        out.append((base.code, base.name))
    for r in qs:
        indent = "\u3000" * (r.level - base.level - 1)
        out.append((r.code, f"{indent}{r.name}"))
    return out


WORKLIST_FILTERS = ("status", "category", "region", "sla_state", "q", "reported_from", "reported_to", "source", "grid",
                    "measure", "rating")


def _with_related(qs):
    # the region and center in a query of their own (by the page's ids): an inner join to the regions lets
    # SQLite start from the scope's regions and sort all their events for one page
    return qs.select_related("category", "category__parent", "grid", "lead_department").prefetch_related(
        "region", "center")


@login_required
def worklist(request):
    user = request.user
    params = {k: (request.GET.get(k) or "").strip() for k in WORKLIST_FILTERS}
    errors: dict = {}
    status_code = 200
    try:
        qs = services.filtered_events(user, **params)
    except DomainError as exc:
        errors = exc.fields
        messages.error(request, str(exc.message))
        qs = Event.objects.none()
        status_code = web_status(exc)
    # the chips count under the same filters as the list (all but the status the chips choose); none when
    # the filters are invalid, like the list
    # each counted up to COUNT_CAP ("10000+" past it): a city's GROUP BY over two million events costs seconds
    counts = {} if errors else services.capped_counts_by_status(user, COUNT_CAP, **params)
    chips = [{"code": "", "label": _("全部"), "count": sum(n for n, _more in counts.values()),
              "more": any(more for _n, more in counts.values())}] + [
        {"code": code, "label": label, "count": counts.get(code, (0, False))[0],
         "more": counts.get(code, (0, False))[1]} for code, label in Status.choices
    ]
    unsatisfied = (capped_count(Event.objects.visible_to(user).filter(counted.rating_q(counted.PENDING)))
                   if role_of(user) in (R.OPERATOR, R.ADMIN, R.LEADER) else None)
    # the list's total is the sum of its statuses' chips: no second count of the same rows
    listed = {c for c in params["status"].split(",") if c} or set(Status.values)
    known = None if errors else (sum(counts[c][0] for c in listed), any(counts[c][1] for c in listed))
    ctx = {
        "page": paginate(request, _with_related(qs), known=known),
        "params": params,
        "errors": errors,
        "chips": chips,
        "status_choices": Status.choices,
        "category_groups": category_choices(leaves_only=False)[1:],
        "region_choices": _region_choices(user),
        "sla_choices": [(k, v) for k, v in sla.LABELS.items()],
        "source_choices": Source.choices,
        "measure_choices": list(counted.MEASURE_LABELS.items()),
        "rating_choices": list(counted.RATING_FILTERS.items()),
        # the 不满意待处理 list: what the center still has to reopen or explain
        "unsatisfied_pending": unsatisfied[0] if unsatisfied else None,
        "unsatisfied_more": unsatisfied[1] if unsatisfied else False,
        "grid_name": Grid.objects.filter(code=params["grid"]).values_list("name", flat=True).first()
        if params["grid"] else "",
        "read_only": role_of(user) == R.LEADER,
    }
    return render(request, "events/worklist.html", ctx, status=status_code)


@login_required
def my_reports(request):
    status = (request.GET.get("status") or "").strip()
    try:
        qs = services.filtered_events(request.user, mine=True, status=status)
    except DomainError:
        qs = services.filtered_events(request.user, mine=True)
        status = ""
    # newest first reads better for "what did I report"
    qs = qs.order_by("-created_at")
    return render(request, "events/my_reports.html", {"page": paginate(request, _with_related(qs)), "status": status})


INBOX_TABS = [
    ("pending", gettext_lazy("待签收/报到")),
    ("handling", gettext_lazy("处置中")),
    ("done", gettext_lazy("已反馈")),
]


def _inbox_q(tab: str, dept_id: int) -> Q:
    """The lead's cases by state, and the assisting department's calls (吹哨报到) by what it has done."""
    if tab == "pending":
        return Q(status=Status.DISPATCHED, lead_department_id=dept_id) | assists.inbox_q(tab, dept_id)
    if tab == "handling":
        return Q(status=Status.HANDLING, lead_department_id=dept_id) | assists.inbox_q(tab, dept_id)
    # 已反馈 holds most of a department's cases: a page of it is read along the index of its order (newest
    # change first), the status and the calls checked row by row (``Unindexed`` inside ``scan_in_order``)
    done = In(Unindexed(F("status"), output_field=CharField()), [Status.HANDLED, Status.CLOSED])
    return Q(done) | assists.inbox_q(tab, dept_id, unindexed=True)


@roles_required(R.LIAISON)
def inbox(request):
    user = request.user
    tab = request.GET.get("tab") or "pending"
    if tab not in dict(INBOX_TABS):
        tab = "pending"
    if user.department_id is None:
        return forbidden(request, _("您的账号未关联部门，请联系管理员"))
    base = services.filtered_events(user)
    tabs, known = [], None
    for code, label in INBOX_TABS:
        n, more = capped_count(base.filter(_inbox_q(code, user.department_id)))
        tabs.append({"code": code, "label": label, "count": n, "more": more})
        if code == tab:
            known = (n, more)  # the page's total: the tab's count, not a second count of the same rows
    qs = assists.with_own_deadline(base.filter(_inbox_q(tab, user.department_id)), user.department_id)
    if tab == "done":
        qs = qs.order_by("-updated_at")
    return render(
        request,
        "events/inbox.html",
        {
            "page": paginate(request, _with_related(qs), known=known),
            "tab": tab,
            "tabs": tabs,
            "department": user.department,
        },
    )


# --- the event page ---------------------------------------------------------------------------


DATA_LABELS = {
    "lead_department": gettext_lazy("主办部门"),
    "assisting_departments": gettext_lazy("协办部门（吹哨报到）"),
    "target": gettext_lazy("合并至"),
    "from_center": gettext_lazy("原中心"),
    "to_center": gettext_lazy("移交中心"),
    "department": gettext_lazy("退回部门"),
    "requested_deadline": gettext_lazy("申请延期至"),
    "old_deadline": gettext_lazy("原期限"),
    "new_deadline": gettext_lazy("新期限"),
    "deadline": gettext_lazy("期限"),
    "rating": gettext_lazy("评价"),
    "previous_rating": gettext_lazy("原评价"),
    "previous_rating_comment": gettext_lazy("原评价意见"),
    "level": gettext_lazy("督办级别"),
    "method": gettext_lazy("回访方式"),
    "respondent": gettext_lazy("回访对象"),
    "respondent_name": gettext_lazy("受访人"),
    "relationship": gettext_lazy("与事件关系"),
    "satisfaction": gettext_lazy("满意度"),
    "before": gettext_lazy("更正前"),
    "after": gettext_lazy("更正后"),
    "assist_department": gettext_lazy("协办部门"),
    "timeliness": gettext_lazy("时效"),
    "late_departments": gettext_lazy("未报到部门"),
}


def _data_rows(data: dict, region_names: dict) -> list[tuple[str, str]]:
    rows = []
    ratings, levels = dict(Rating.choices), dict(Supervision.choices)
    choices = {"method": dict(FollowUp.Method.choices), "respondent": dict(FollowUp.Respondent.choices)}
    for key, value in (data or {}).items():
        if value in (None, "", []):
            continue
        label = str(DATA_LABELS.get(key, key))
        if key in ("requested_deadline", "old_deadline", "new_deadline", "deadline"):
            dt = localize_iso(value)
            value = dt.strftime("%Y-%m-%d %H:%M") if isinstance(dt, datetime) else value
        elif key == "assisting_departments":
            value = "、".join(value)
        elif key in ("from_center", "to_center"):
            value = region_names.get(value, value)
        elif key in ("before", "after") and isinstance(value, dict):
            value = routing.describe_place(value, region_names)
        elif key in choices:
            value = choices[key].get(value, value)
        elif key in ("rating", "previous_rating", "satisfaction"):
            value = ratings.get(value, value)
        elif key == "level":
            value = levels.get(value, value)
        rows.append((label, str(value)))
    return rows


def _timeline(entries, attachments_by_entry: dict) -> list[dict]:
    codes = {v for e in entries for k, v in (e.data or {}).items() if k in ("from_center", "to_center")}
    names = routing.place_names(entries)
    names.update({r.code: r.center_name for r in Region.objects.filter(code__in=codes)} if codes else {})
    return [
        {"entry": e, "data_rows": _data_rows(e.data, names), "attachments": attachments_by_entry[e.pk]}
        for e in entries
    ]


DUPLICATES_SHOWN = 10


def event_context(
    request, event: Event, *, error_action: str = "", errors: dict | None = None, error_message: str = "", values=None
) -> dict:
    user = request.user
    allowed = workflow.allowed_actions(event, user)
    actions = [a for a in ACTION_ORDER if a in allowed] + [a for a in allowed if a not in ACTION_ORDER]
    departments = services.departments_for(event) if "dispatch" in allowed else []
    default_dept = event.category.default_department if event.category.default_department_id else None
    duplicates = []
    if "merge" in allowed and event.lng is not None and event.lat is not None:
        # the nearest few (the query itself reads at most 200 candidates from the category/status/time index)
        duplicates = services.find_duplicates(event.category, event.lng, event.lat, user=user,
                                              exclude_pk=event.pk, limit=DUPLICATES_SHOWN)
    # the pending extension is shown only in the approve/deny forms: no statement for anyone without them
    pending = (
        event.extension_requests.filter(state=ExtensionRequest.State.PENDING)
        .select_related("department", "requested_by")
        .first()
        if {"approve_extension", "deny_extension"} & set(allowed)
        else None
    )
    entries, attachments_by_entry, own_attachments = services.page_timeline(event)
    values = values if values is not None else {}
    selected_assisting = values.getlist("assisting_departments") if hasattr(values, "getlist") else []
    return {
        "event": event,
        # what higher apps show in the page's head (the dispute it became, the convert button): see
        # gridgov/disputes/providers.py for the slot's contract
        "banners": providers.collect("event.banners", event, user),
        "actions": [
            {
                "code": a,
                "label": workflow.TRANSITIONS[a].label,
                "needs_note": workflow.TRANSITIONS[a].needs_note,
                "quick": a in QUICK_ACTIONS,
                "uploads": a in UPLOAD_ACTIONS,
                "note_label": NOTE_LABELS.get(a, _("说明")),
            }
            for a in actions
        ],
        "departments": departments,
        "default_department_code": default_dept.code if default_dept else "",
        "duplicates": duplicates,
        "pending_extension": pending,
        "timeline": _timeline(entries, attachments_by_entry),
        "attachments": own_attachments,
        "assisting": list(event.assisting_departments.all()),
        "assist_calls": assists.panel(event, photos_by_entry=attachments_by_entry),
        "error_action": error_action,
        "errors": errors or {},
        "error_message": error_message,
        "values": values,
        "selected_assisting": selected_assisting,
        "rating_choices": Rating.choices,
        "supervision_choices": [(Supervision.YELLOW, _("黄牌督办")), (Supervision.RED, _("红牌督办"))],
        "grid_boundary": event.grid.boundary if event.grid_id else None,
        "reporter_label": _reporter_label(event),
        "followups": list(event.followups.select_related("by")),
        "effective_rating": followup.effective_rating(event),
        "followup_methods": FollowUp.Method.choices,
        "followup_respondents": FollowUp.Respondent.choices,
        "deadline_label": sla.stage_label(event),
        **routing.form_choices(event, allowed,
                               selected_grid=(values or {}).get("grid") if error_action == "relocate" else None),
    }


def _reporter_label(event: Event) -> str:
    name = event.reporter.display_name if event.reporter_id else event.reporter_name
    phone = workflow.mask_phone(event.reporter_phone) if event.reporter_phone else ""
    return " ".join(p for p in (name or (_("群众") if not event.reporter_id else ""), phone) if p)


@login_required
@require_GET
def event_detail(request, number: str):
    try:
        event = services.get_visible(request.user, number)
    except NotFound:
        return not_found(request, _("未找到该事件，或该事件不在您的管辖范围内"))
    return render(request, "events/event_detail.html", event_context(request, event))


@login_required
@require_POST
def event_act(request, number: str, action: str):
    user = request.user
    try:
        event = services.get_visible(user, number)
    except NotFound:
        return not_found(request, _("未找到该事件，或该事件不在您的管辖范围内"))
    raw = request.POST.dict()
    raw["assisting_departments"] = request.POST.getlist("assisting_departments")
    if action == "supplement" and not raw.get("note") and raw.get("from_report"):
        # "补充到该事件" from the report form: the description being typed becomes the note
        raw["note"] = raw.get("description", "")
    uploads = request.FILES.getlist("attachments")
    try:
        services.perform_action(user, event, action, raw, uploads=uploads)
    except DomainError as exc:
        event = services.get_visible(user, number)
        ctx = event_context(
            request, event, error_action=action, errors=exc.fields, error_message=str(exc.message), values=request.POST
        )
        return render(request, "events/event_detail.html", ctx, status=web_status(exc))
    label = workflow.TRANSITIONS[action].label
    if action == "supplement" and raw.get("from_report"):
        messages.success(request, _("已补充到事件 %(number)s，未新建事件") % {"number": number})
    else:
        messages.success(request, _("操作成功：%(action)s") % {"action": label})
    if not Event.objects.visible_to(user).filter(pk=event.pk).exists():
        return redirect("home")
    return redirect("events:detail", number)


@login_required
def attachment(request, pk: int):
    """An event's photo/audio/video, only for someone who may see the event."""
    try:
        att = services.get_attachment(request.user, pk)
    except DomainError:
        return not_found(request)
    return services.attachment_response(att)
