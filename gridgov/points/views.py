"""积分 pages: the citizen's page (a one-time code, then balance, history, the catalogue) and the staff pages
(the community ranking, the redemptions to hand over). Thin: the work is in services.py and access.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.core.throttle import client_ip
from gridgov.points import access, services
from gridgov.points.models import Redemption
from gridgov.regions.models import Region
from gridgov.web.views import not_found, web_status


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


class CodeForm(forms.Form):
    phone = forms.CharField(max_length=20, widget=forms.HiddenInput)
    code = forms.CharField(label=gettext_lazy("短信验证码"), max_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


def _with_errors(form, exc: DomainError):
    for field, errs in exc.fields.items():
        for e in errs:
            form.add_error(field if field in form.fields else None, str(e))
    if not exc.fields:
        form.add_error(None, str(exc.message))
    return form


def citizen_points(request):
    digest = access.signed_in(request)
    if digest:
        return _dashboard(request, digest)
    op = request.POST.get("op") if request.method == "POST" else ""
    if op == "send":
        form = PhoneForm(request.POST)
        if form.is_valid():
            try:
                access.send_code(form.cleaned_data["phone"], client_ip(request))
                code_form = CodeForm(initial={"phone": form.cleaned_data["phone"]})
                return render(request, "points/citizen.html", {"code_form": code_form, "sent": True})
            except DomainError as exc:
                _with_errors(form, exc)
                return render(request, "points/citizen.html", {"phone_form": form}, status=web_status(exc))
        return render(request, "points/citizen.html", {"phone_form": form}, status=400)
    if op == "verify":
        form = CodeForm(request.POST)
        if form.is_valid():
            phone = form.cleaned_data["phone"]
            try:
                digest = access.verify_code(phone, form.cleaned_data["code"], client_ip(request))
            except DomainError as exc:
                _with_errors(form, exc)
                return render(request, "points/citizen.html", {"code_form": form}, status=web_status(exc))
            access.sign_in(request, phone, digest)
            return redirect("points:citizen")
        return render(request, "points/citizen.html", {"code_form": form}, status=400)
    return render(request, "points/citizen.html", {"phone_form": PhoneForm()})


def _dashboard(request, digest: str):
    status = 200
    redeem_error = ""
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "logout":
            access.sign_out(request)
            return redirect("points:citizen")
        if op == "redeem":
            try:
                r = services.request_redemption(digest, request.POST.get("item"))
                messages.success(request, _("已申请兑换“%(name)s”，请到社区领取。") % {"name": r.item.name})
                return redirect("points:citizen")
            except DomainError as exc:
                redeem_error = "；".join(str(e) for errs in exc.fields.values() for e in errs) or str(exc.message)
                status = web_status(exc)
    who = services.participant_for_phone_hash(digest)
    ctx = {
        "signed_in": True,
        "phone_masked": request.session.get(access.SESSION_MASK, ""),
        "participant": who,
        "balance": who.balance if who else 0,
        "entries": services.history(who),
        "catalogue": services.catalogue(who),
        "redemptions": who.redemptions.select_related("item")[:20] if who else [],
        "redeem_error": redeem_error,
    }
    return render(request, "points/citizen.html", ctx, status=status)


# --- staff ----------------------------------------------------------------------------------------

@login_required
def ranking(request):
    community = None
    code = request.GET.get("community", "")
    if code:
        try:
            community = services.community_in_scope(request.user, code)
        except DomainError:
            return not_found(request)
    communities = Region.objects.filter(services.staff_scope_q(request.user, "code"),
                                        level=Region.Level.COMMUNITY).order_by("code")[:500]
    return render(request, "points/ranking.html", {
        "rows": services.ranking(request.user, community), "community": community, "communities": communities})


@login_required
def redemptions(request):
    status = request.GET.get("status", Redemption.Status.REQUESTED)
    qs = services.redemptions_visible_to(request.user)
    if status in Redemption.Status.values:
        qs = qs.filter(status=status)
    rows = [{"r": r, "who": services.display_name(r.participant)} for r in qs[:200]]
    return render(request, "points/redemptions.html", {
        "rows": rows, "status": status, "statuses": Redemption.Status.choices})


@login_required
@require_POST
def redemption_act(request, pk: int, op: str):
    try:
        if op == "confirm":
            services.confirm_redemption(request.user, pk)
            messages.success(request, _("已确认领取"))
        elif op == "cancel":
            services.cancel_redemption(request.user, pk)
            messages.success(request, _("已取消兑换，积分已退还"))
        else:
            return not_found(request)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, str(exc.message))
        messages.error(request, str(exc.message))
    return redirect("points:redemptions")
