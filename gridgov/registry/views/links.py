"""Linking an event to a resident, house or unit from the record's page (``services.links.link_event``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.registry.forms import LinkEventForm
from gridgov.registry.models import House, Resident, Unit
from gridgov.registry.services.links import link_event
from gridgov.registry.views.common import registry_writer, visible_one
from gridgov.registry.views.houses import house_context
from gridgov.registry.views.residents import resident_context
from gridgov.registry.views.units import unit_context
from gridgov.web.views import not_found, web_status

LINK_KINDS = {"resident": Resident, "house": House, "unit": Unit}


@registry_writer
@require_POST
def link_event_view(request, kind: str, pk: int):
    model = LINK_KINDS.get(kind)
    obj = visible_one(model, request.user, pk) if model else None
    if obj is None:
        return not_found(request)
    form = LinkEventForm(request.POST)
    error = None
    if form.is_valid():
        try:
            _subject, created = link_event(request.user, form.cleaned_data["number"], **{kind: obj})
        except DomainError as exc:
            form.apply_domain_error(exc)
            error = exc
        else:
            number = form.cleaned_data["number"].strip().upper()
            if created:
                messages.success(request, _("已关联事件 %(n)s") % {"n": number})
            else:
                messages.info(request, _("事件 %(n)s 已关联过") % {"n": number})
            return redirect(f"registry:{kind}_detail", obj.pk)
    builders = {"resident": resident_context, "house": house_context, "unit": unit_context}
    ctx = builders[kind](request, obj, link_form=form)
    status = web_status(error) if error else 400
    return render(request, f"registry/{kind}_detail.html", ctx, status=status)
