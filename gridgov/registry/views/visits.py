"""Visits to key persons: recording one (with photos), serving a visit photo, and 走访提醒 — due and overdue
visits, a grid worker's own or grouped by worker for a center."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.registry.forms import VisitForm
from gridgov.registry.models import KeyPerson, VisitPhoto
from gridgov.registry.scope import scoped
from gridgov.registry.services.visits import record_visit, visit_status, visit_statuses
from gridgov.registry.views.common import R, key_person_user, role_of
from gridgov.registry.views.key_people import state_order, visible_kp
from gridgov.web.views import not_found, web_status


@key_person_user
def kp_visit(request, pk: int):
    user = request.user
    kp = visible_kp(user, pk)
    if kp is None:
        return not_found(request, _("未找到该重点人员，或不在您的管辖范围内"))
    ctx = {"kp": kp, "status": visit_status(kp)}
    if request.method != "POST":
        return render(request, "registry/visit_form.html", {**ctx, "form": VisitForm()})
    form = VisitForm(request.POST)
    photos = request.FILES.getlist("photos")
    if not form.is_valid():
        if photos:
            form.extra_errors.setdefault("photos", []).append(_("请重新选择要上传的照片"))
        return render(request, "registry/visit_form.html", {**ctx, "form": form}, status=400)
    d = form.cleaned_data
    try:
        record_visit(user, kp, method=d["method"], findings=d["findings"], visited_at=d.get("visited_at"),
                     abnormal=bool(d.get("abnormal")), lng=d.get("lng"), lat=d.get("lat"), photos=photos)
    except DomainError as exc:
        form.apply_domain_error(exc)
        if photos and "photos" not in form.extra_errors:
            form.extra_errors.setdefault("photos", []).append(_("请重新选择要上传的照片"))
        return render(request, "registry/visit_form.html", {**ctx, "form": form}, status=web_status(exc))
    status = visit_status(kp)
    messages.success(request, _("走访已记录，下次请于 %(d)s 前走访") % {"d": status.due.isoformat()})
    return redirect("registry:kp_detail", kp.pk)


@key_person_user
def visit_photo(request, pk: int):
    photo = VisitPhoto.objects.filter(pk=pk, visit__key_person__in=scoped(KeyPerson, request.user)).first()
    if photo is None:
        return not_found(request)
    from gridgov.cases.uploads import serve_upload

    return serve_upload(photo)


@key_person_user
def visits_due(request):
    """走访提醒: due and overdue visits — mine for a grid worker, grouped by worker for a center."""
    user = request.user
    on = timezone.localdate()
    rows = [(kp, st) for kp, st in visit_statuses(scoped(KeyPerson, user).active(on), on)
            if st.state != "ok"]
    rows.sort(key=state_order)
    mine = role_of(user) == R.GRID_WORKER
    groups = []
    if mine:
        rows = [(kp, st) for kp, st in rows if kp.worker_id in (None, user.pk)]
    else:
        by_worker: dict = {}
        for kp, st in rows:
            by_worker.setdefault(kp.worker_id, {"worker": kp.worker, "rows": []})["rows"].append((kp, st))
        for group in by_worker.values():
            group["overdue"] = sum(1 for _k, st in group["rows"] if st.state == "overdue")
            group["due_soon"] = len(group["rows"]) - group["overdue"]
        groups = sorted(by_worker.values(), key=lambda g: (-g["overdue"], -g["due_soon"],
                                                           g["worker"].username if g["worker"] else "~"))
    return render(request, "registry/visits_due.html", {
        "mine": mine, "rows": rows, "groups": groups,
        "overdue": sum(1 for _k, st in rows if st.state == "overdue"),
        "due_soon": sum(1 for _k, st in rows if st.state == "due_soon"),
        "today": on,
    })
