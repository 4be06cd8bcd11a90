"""What a department's system may read and do, as its system user: the pages' own services and scope."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from gridgov.events import services, sla, workflow
from gridgov.events.models import OPEN_STATUSES, WORKLIST_ORDER, Event

# the actions a department's system takes through this API (each its own endpoint)
ACTIONS = ("sign", "feedback", "request_extension", "return")


def open_cases(user):
    """The open cases the department works on now (lead or assisting), in the worklist's order."""
    through = Event.assisting_departments.through
    assisting = through.objects.filter(department_id=user.department_id).values("event_id")
    return (Event.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
            .filter(Q(lead_department_id=user.department_id) | Q(pk__in=assisting))
            .select_related("category", "region", "grid", "lead_department").order_by(*WORKLIST_ORDER))


def get_case(user, number: str) -> Event:
    return services.get_visible(user, number)  # out of scope: 404, whether it exists or not


def act(user, number: str, action: str, raw: dict) -> Event:
    """Perform ``action`` as the system user through the one door of the pages (403/409/422 as there)."""
    event = services.get_visible(user, number)
    services.perform_action(user, event, action, raw)
    return services.get_visible(user, number)


def as_dict(event: Event, user, now=None) -> dict:
    now = now or timezone.now()
    dept = user.department_id
    assisting = list(event.assisting_departments.values_list("pk", "code"))
    part = "lead" if event.lead_department_id == dept else ("assisting" if any(pk == dept for pk, _c in assisting)
                                                            else "involved")
    return {
        "number": event.number, "title": event.title, "category": event.category.code,
        "category_name": event.category.name, "status": event.status,
        "status_label": str(event.get_status_display()), "urgency": event.urgency, "deadline": event.deadline,
        "sla_state": sla.sla_state(event, now), "description": event.description, "lng": event.lng,
        "lat": event.lat, "address": event.address, "region": event.region.code,
        "grid": event.grid.code if event.grid_id else None,
        "lead_department": event.lead_department.code if event.lead_department_id else None,
        "assisting_departments": [code for _pk, code in assisting], "part": part, "result": event.result,
        "supervision": event.supervision, "created_at": event.created_at,
        "allowed_actions": [a for a in workflow.allowed_actions(event, user) if a in ACTIONS],
    }
