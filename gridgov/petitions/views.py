"""Petition pages. Thin: reads go through ``Petition.objects.visible_to`` (services), writes through
``services.create_petition`` / ``services.perform_action``. Outside scope → the 404 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError, NotFound
from gridgov.petitions import services, sla, workflow
from gridgov.petitions.forms import PetitionerFormSet, PetitionForm
from gridgov.petitions.models import Channel, Extension, Petition, Status
from gridgov.web.views import not_found, roles_required, web_status

R = User.Role
PAGE_SIZE = 30
FILTERS = ("status", "channel", "sla_state", "backlog", "repeat", "region", "q")
ACTION_ORDER = ["accept", "acknowledge", "reply", "close", "transfer", "not_accept", "request_extension",
                "approve_extension", "deny_extension", "request_review", "reply_review", "request_recheck",
                "reply_recheck", "record_delivery", "take"]
QUICK_ACTIONS = {"acknowledge", "close", "take", "approve_extension"}
NOTE_LABELS = {
    "accept": gettext_lazy("受理意见（书面告知）"), "not_accept": gettext_lazy("不予受理理由（书面告知）"),
    "transfer": gettext_lazy("转送说明"), "request_extension": gettext_lazy("延期理由"),
    "deny_extension": gettext_lazy("不批准理由"), "reply": gettext_lazy("书面答复意见"),
    "request_review": gettext_lazy("复查请求及理由"), "reply_review": gettext_lazy("复查意见"),
    "request_recheck": gettext_lazy("复核请求及理由"), "reply_recheck": gettext_lazy("复核意见"),
    "record_delivery": gettext_lazy("送达方式及说明"),
}


def _worklist(request, *, backlog: bool):
    user = request.user
    params = {k: (request.GET.get(k) or "").strip() for k in FILTERS}
    if backlog:
        params["backlog"] = "1"
    errors, status_code = {}, 200
    try:
        qs = services.filtered_petitions(user, **params)
    except DomainError as exc:
        errors, status_code = exc.fields, web_status(exc)
        messages.error(request, str(exc.message))
        qs = Petition.objects.none()
    counts = {} if errors else services.counts_by_status(user, **params)  # under the same filters as the list
    page = Paginator(qs.select_related("region", "leader").prefetch_related("petitioners"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    rate = services.reply_rate_for(user)
    ctx = {
        "page": page, "params": params, "errors": errors, "backlog_page": backlog,
        "chips": [{"code": "", "label": _("全部"), "count": sum(counts.values())}]
        + [{"code": c, "label": label, "count": counts.get(c, 0)} for c, label in Status.choices if counts.get(c)],
        "status_choices": Status.choices, "channel_choices": Channel.choices,
        "sla_choices": list(sla.LABELS.items()), "rate": rate,
        "rate_percent": f"{rate['rate'] * 100:.1f}%" if rate["rate"] is not None else "—",
        "read_only": user.role == R.LEADER,
        "can_register": user.is_superuser or user.role in services.REGISTERING_ROLES,
    }
    return render(request, "petitions/worklist.html", ctx, status=status_code)


@login_required
@require_GET
def worklist(request):
    return _worklist(request, backlog=False)


@login_required
@require_GET
def backlog(request):
    return _worklist(request, backlog=True)


def _form_context(form, formset) -> dict:
    return {"form": form, "formset": formset}


@roles_required(R.OPERATOR, R.GRID_WORKER, R.ADMIN)
def new(request):
    user = request.user
    if request.method != "POST":
        return render(request, "petitions/form.html",
                      _form_context(PetitionForm(user=user), PetitionerFormSet(prefix="p")))
    form = PetitionForm(request.POST, user=user)
    formset = PetitionerFormSet(request.POST, prefix="p")
    if not (form.is_valid() and formset.is_valid()):
        return render(request, "petitions/form.html", _form_context(form, formset), status=400)
    rows, where = [], []
    for i, f in enumerate(formset.forms):
        d = f.cleaned_data
        if any((d.get(k) or "").strip() for k in ("name", "phone", "id_number")):
            rows.append(services.PetitionerInput(name=d.get("name", ""), phone=d.get("phone", ""),
                                                 id_number=d.get("id_number", "")))
            where.append(i)
    try:
        p = services.create_petition(user, form.to_input(rows, request.FILES.getlist("attachments")))
    except DomainError as exc:
        extra: dict[str, list] = {}  # errors of what is not a form field, shown next to their place on the page
        for key, msgs in exc.fields.items():
            parts = key.split(".")
            if parts[0] == "petitioners" and len(parts) == 3 and int(parts[1]) < len(where):
                formset.forms[where[int(parts[1])]].add_error(parts[2] if parts[2] != "resident_id" else None, msgs)
            elif key in form.fields:
                form.add_error(key, msgs)
            elif key in ("petitioners", "attachments"):
                extra.setdefault(key, []).extend(str(m) for m in msgs)
            else:
                form.add_error(None, msgs)
        messages.error(request, str(exc.message))
        return render(request, "petitions/form.html", {**_form_context(form, formset), "extra_errors": extra},
                      status=web_status(exc))
    note = _("登记成功，信访编号：%(n)s") % {"n": p.number}
    if p.repeat_count:
        note += _("（重复信访，已关联首次信访件，累计重复 %(c)d 次）") % {"c": p.repeat_count}
    messages.success(request, note)
    return redirect("petitions:detail", p.number)


def _context(request, p: Petition, *, error_action="", errors=None, error_message="", values=None) -> dict:
    user = request.user
    allowed = workflow.allowed_actions(p, user)
    actions = [a for a in ACTION_ORDER if a in allowed]
    repeat_root = None
    if p.repeat_of_id:
        repeat_root = Petition.objects.visible_to(user).filter(pk=p.repeat_of_id).first()
    repeats = Petition.objects.visible_to(user).filter(repeat_of_id=p.repeat_of_id or p.pk).exclude(pk=p.pk)
    return {
        "p": p,
        "petitioners": list(p.petitioners.select_related("resident")),
        "actions": [{"code": a, "label": workflow.TRANSITIONS[a].label, "needs_note": workflow.TRANSITIONS[a].needs_note,
                     "quick": a in QUICK_ACTIONS, "note_label": NOTE_LABELS.get(a, _("说明"))} for a in actions],
        "departments": services.departments_for(p) if {"accept", "transfer"} & set(allowed) else [],
        "pending_extension": p.extensions.filter(state=Extension.State.PENDING).first(),
        "timeline": services.timeline(p),
        "attachments": list(p.attachments.filter(log__isnull=True)),
        "events": list(p.events.visible_to(user)),
        "disputes": list(p.disputes.visible_to(user)),
        "sla_state": sla.sla_state(p), "ack_state": sla.ack_state(p), "sla_labels": sla.LABELS,
        "deadline_label": sla.stage_label(p), "backlog": sla.is_backlog(p),
        "repeat_root": repeat_root, "repeats": list(repeats[:20]),
        "review_window": workflow.review_window(p),
        "error_action": error_action, "errors": errors or {}, "error_message": error_message, "values": values or {},
        "max_extension": services.limits.get("PETITION_EXTENSION_MAX_DAYS"),
    }


@login_required
@require_GET
def detail(request, number: str):
    try:
        p = services.get_visible(request.user, number)
    except NotFound:
        return not_found(request, _("未找到该信访件，或不在您的管辖范围内"))
    return render(request, "petitions/detail.html", _context(request, p))


@login_required
@require_POST
def act(request, number: str, action: str):
    user = request.user
    try:
        p = services.get_visible(user, number)
    except NotFound:
        return not_found(request, _("未找到该信访件，或不在您的管辖范围内"))
    try:
        services.perform_action(user, p, action, request.POST.dict(), uploads=request.FILES.getlist("attachments"))
    except DomainError as exc:
        p = services.get_visible(user, number)
        ctx = _context(request, p, error_action=action, errors=exc.fields, error_message=str(exc.message),
                       values=request.POST)
        return render(request, "petitions/detail.html", ctx, status=web_status(exc))
    messages.success(request, _("操作成功：%(a)s") % {"a": workflow.TRANSITIONS[action].label})
    if not Petition.objects.visible_to(user).filter(pk=p.pk).exists():
        return redirect("petitions:list")
    return redirect("petitions:detail", number)


@login_required
def attachment(request, pk: int):
    from gridgov.cases.uploads import serve_upload as attachment_response

    try:
        att = services.get_attachment(request.user, pk)
    except NotFound:
        return not_found(request)
    return attachment_response(att)
