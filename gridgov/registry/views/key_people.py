"""Key persons (重点人员): the list with visit states, listing a resident in a category (the category's attribute
fields by htmx), a listing's page.  Details are for grid workers, center operators and administrators."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.core.text import as_pk
from gridgov.registry.forms import KeyPersonForm, worker_choices
from gridgov.registry.models import KeyCategory, KeyPerson, Resident, RiskLevel
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.registry.services.history import history
from gridgov.registry.services.key_people import list_key_person
from gridgov.registry.services.privacy import masked
from gridgov.registry.services.visits import visit_status, visit_statuses
from gridgov.registry.views.common import (
    R,
    export_ctx,
    key_person_user,
    paginate,
    query_params,
    registry_writer,
    role_of,
)
from gridgov.registry.views.history import history_rows
from gridgov.web.views import not_found, web_status

VISIT_STATES = [("overdue", "已逾期"), ("due_soon", "即将到期"), ("ok", "正常")]
KP_FILTERS = ("category", "risk", "state", "worker", "q")


def filtered_key_persons(user, params: dict, on: date | None = None):
    qs = scoped(KeyPerson, user).active(on)
    if params.get("category"):
        qs = qs.filter(category__code=params["category"])
    if params.get("risk") in RiskLevel.values:
        qs = qs.filter(risk_level=params["risk"])
    worker = params.get("worker") or ""
    if worker == "none":
        qs = qs.filter(worker__isnull=True)
    elif worker.isascii() and worker.isdigit():
        qs = qs.filter(worker_id=as_pk(worker)) if as_pk(worker) else qs.none()
    if params.get("q"):
        qs = qs.filter(resident__name__icontains=params["q"])
    return qs


def state_order(pair):
    kp, st = pair
    return ({"overdue": 0, "due_soon": 1, "ok": 2}.get(st.state, 3), st.due, kp.pk)


def key_person_rows(user, params: dict, on: date | None = None):
    rows = visit_statuses(filtered_key_persons(user, params, on), on)
    if params.get("state") in ("ok", "due_soon", "overdue"):
        rows = [(kp, st) for kp, st in rows if st.state == params["state"]]
    return sorted(rows, key=state_order)


@key_person_user
def kp_list(request):
    user = request.user
    params = query_params(request, KP_FILTERS)
    rows = key_person_rows(user, params)
    ctx = {
        "page": paginate(request, rows),
        "params": params,
        "categories": KeyCategory.objects.filter(active=True),
        "risk_choices": RiskLevel.choices,
        "state_choices": VISIT_STATES,
        "worker_choices": worker_choices(user)[1:],
        "can_write": can_write(user),
        **export_ctx(user, "key_persons"),
    }
    return render(request, "registry/kp_list.html", ctx)


def _kp_residents(user, pk: str | None):
    qs = scoped(Resident, user).filter(house__isnull=False).order_by("name", "id")
    if as_pk(pk):
        one = list(scoped(Resident, user).filter(pk=as_pk(pk)))
        if one:
            return one, True
    return list(qs[:500]), False


def _attr_errors(form) -> dict:
    return {k.split(".", 1)[1]: v for k, v in form.extra_errors.items() if k.startswith("attributes.")}


def _kp_form_ctx(form: KeyPersonForm, category: KeyCategory | None, fixed: bool, key_person=None) -> dict:
    values = form.attribute_values(category) if form.is_bound else (key_person.attributes if key_person else {})
    return {"form": form, "category": category, "attr_values": values, "attr_errors": _attr_errors(form),
            "fixed_resident": fixed, "key_person": key_person}


@key_person_user
@registry_writer
def kp_new(request):
    return _kp_form(request, None)


@key_person_user
@registry_writer
def kp_edit(request, pk: int):
    kp = scoped(KeyPerson, request.user).select_related("resident", "category").filter(pk=pk).first()
    if kp is None:
        return not_found(request, _("未找到该重点人员，或不在您的管辖范围内"))
    return _kp_form(request, kp)


def _kp_form(request, kp: KeyPerson | None):
    user = request.user
    if kp is not None:
        residents, fixed = [kp.resident], True
    else:
        residents, fixed = _kp_residents(user, request.GET.get("resident") or request.POST.get("resident"))
    if request.method != "POST":
        initial = {}
        if kp is not None:
            initial = {"resident": str(kp.resident_id), "category": kp.category.code, "risk_level": kp.risk_level,
                       "worker": str(kp.worker_id or ""), "since": kp.since, "note": kp.note}
        elif fixed:
            initial["resident"] = str(residents[0].pk)
        form = KeyPersonForm(initial=initial, user=user, residents=residents)
        category = kp.category if kp else form.categories.get(request.GET.get("category") or "")
        return render(request, "registry/kp_form.html", _kp_form_ctx(form, category, fixed, kp))
    form = KeyPersonForm(request.POST, user=user, residents=residents)
    category = kp.category if kp else form.categories.get(request.POST.get("category") or "")
    if kp is not None and "category" in form.fields:
        form.fields["category"].required = False
    if not form.is_valid():
        return render(request, "registry/kp_form.html", _kp_form_ctx(form, category, fixed, kp), status=400)
    d = form.cleaned_data
    resident = form.residents[d["resident"]]
    worker = User.objects.filter(pk=as_pk(d["worker"])).first() if as_pk(d.get("worker")) else None
    try:
        saved, created = list_key_person(
            user, resident, category, risk_level=d["risk_level"], attributes=form.attribute_values(category),
            worker=worker, since=d.get("since"), note=d.get("note") or "", key_person=kp)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/kp_form.html", _kp_form_ctx(form, category, fixed, kp),
                      status=web_status(exc))
    if kp is not None:
        messages.success(request, _("重点人员信息已保存"))
    elif created:
        messages.success(request, _("已列为%(c)s：%(n)s") % {"c": category.name, "n": resident.name})
    else:
        messages.info(request, _("%(n)s已在%(c)s列管中，已更新列管信息") % {"c": category.name, "n": resident.name})
    return redirect("registry:kp_detail", saved.pk)


@key_person_user
@require_GET
def kp_attributes(request):
    """htmx: the attribute fields of the chosen category."""
    category = KeyCategory.objects.filter(code=request.GET.get("category") or "", active=True).first()
    return render(request, "registry/_kp_attributes.html", {"category": category, "attr_values": {},
                                                             "attr_errors": {}})


def _kp_context(request, kp: KeyPerson, **extra) -> dict:
    user = request.user
    status = visit_status(kp)
    visits = list(kp.visits.select_related("worker").prefetch_related("photos"))
    return {
        "kp": kp,
        "status": status,
        "visits": visits,
        "masked": masked(kp.resident),
        "history": history_rows(history(kp)),
        "can_write": can_write(user),
        "can_visit": role_of(user) in (R.GRID_WORKER, R.OPERATOR, R.ADMIN),
        **extra,
    }


def visible_kp(user, pk):
    return scoped(KeyPerson, user).select_related("resident", "resident__house__address", "category",
                                                  "worker").filter(pk=pk).first()


@key_person_user
def kp_detail(request, pk: int):
    kp = visible_kp(request.user, pk)
    if kp is None:
        return not_found(request, _("未找到该重点人员，或不在您的管辖范围内"))
    return render(request, "registry/kp_detail.html", _kp_context(request, kp))
