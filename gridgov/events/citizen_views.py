"""The citizen pages of events: report without an account, and track (and rate) by number and phone.

Mounted in the ``web`` URL namespace (``web:citizen_report``, ``web:citizen_track``) by the root
``gridgov/urls.py``, as before the pages moved here from the web app.
"""

from __future__ import annotations

from django.shortcuts import render

from gridgov.core.errors import DomainError, NotFound
from gridgov.core.throttle import TooManyRequests, client_ip
from gridgov.events import services, workflow
from gridgov.events.api import citizen_view
from gridgov.events.forms import CitizenReportForm, TrackForm
from gridgov.events.models import Event, Rating
from gridgov.events.workflow import Citizen
from gridgov.web.views import localize_iso, web_status


def citizen_report(request):
    if request.method != "POST":
        return render(request, "events/citizen_report.html", {"form": CitizenReportForm()})
    form = CitizenReportForm(request.POST)
    uploads = request.FILES.getlist("attachments")
    if not form.is_valid():
        form.note_files_lost(uploads)
        return render(request, "events/citizen_report.html", {"form": form}, status=400)
    data = form.to_input(uploads)
    try:
        event, _created = services.report_as_citizen(data, client_ip(request), idempotency_key=form.key)
    except DomainError as exc:
        form.apply_domain_error(exc)
        form.note_files_lost(uploads)
        return render(
            request,
            "events/citizen_report.html",
            {"form": form, "error_message": str(exc.message)},
            status=web_status(exc),
        )
    return render(
        request,
        "events/citizen_report_done.html",
        {"number": event.number, "phone": workflow.mask_phone(data.reporter_phone)},
    )


def _citizen_display(event: Event) -> dict:
    view = citizen_view(event)
    for row in view["timeline"] + (view["original"]["timeline"] if view["original"] else []):
        row["at"] = localize_iso(row["at"])
    return view


def citizen_track(request):
    if request.method != "POST":
        form = TrackForm(initial={"number": request.GET.get("number", "")})
        return render(request, "events/citizen_track.html", {"form": form})
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "events/citizen_track.html", {"form": form}, status=400)
    number, phone = form.cleaned_data["number"].strip(), form.cleaned_data["phone"].strip()
    ctx = {"form": form, "phone": phone}
    try:
        event = services.get_for_citizen(number, phone, client=client_ip(request))
    except NotFound:
        ctx["not_found"] = True
        return render(request, "events/citizen_track.html", ctx, status=404)
    except TooManyRequests as exc:
        ctx["throttled"] = str(exc.message)
        return render(request, "events/citizen_track.html", ctx, status=429)
    status_code = 200
    if request.POST.get("op") == "rate":
        try:
            services.perform_action(
                Citizen(phone=phone),
                event,
                "rate",
                {"rating": request.POST.get("rating", ""), "note": request.POST.get("note", "")},
            )
            ctx["rated"] = True
            event = services.get_for_citizen(number, phone)
        except DomainError as exc:
            ctx["rate_errors"] = exc.fields
            ctx["rate_message"] = str(exc.message)
            ctx["rate_values"] = request.POST
            status_code = web_status(exc)
    ctx.update(
        {"view": _citizen_display(event), "rating_choices": Rating.choices, "rating_labels": dict(Rating.choices)}
    )
    return render(request, "events/citizen_track.html", ctx, status=status_code)
