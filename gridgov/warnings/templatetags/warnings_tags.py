"""Labels of a warning's log rows: the action and the statuses by their Chinese names."""

from django import template

from gridgov.warnings.models import Status

register = template.Library()

CREATION = {"raise": "发出预警"}


@register.filter
def warning_action_label(code: str) -> str:
    from gridgov.warnings.workflow import TRANSITIONS

    t = TRANSITIONS.get(code)
    return str(t.label) if t is not None else CREATION.get(code, code)


@register.filter
def warning_status_label(code: str) -> str:
    return str(dict(Status.choices).get(code, code))
