"""Case logs in /admin/ with their Chinese names: a log row stores the action and the statuses as codes
("accept", "reported"); the admin shows the lifecycle's label for each (受理, 待受理) instead.

Used by the log admins and inlines of every case app (``lifecycle``: their LIFECYCLE), with the read-only inline
they share."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# the first row of a case is written at creation, not by a transition
CREATION_ACTIONS = {"report": _("上报"), "register": _("登记")}


class CaseLogLabels:
    """Mixin for a ModelAdmin or inline of a CaseLog model: ``action_name``, ``from_status_name`` and
    ``to_status_name`` columns.  Set ``lifecycle`` on the subclass."""

    lifecycle = None

    def _status_name(self, code: str) -> str:
        if not code:
            return ""
        choices = dict(self.lifecycle.model._meta.get_field("status").choices or ())
        return str(choices.get(code, code))

    @admin.display(description=_("操作"), ordering="action")
    def action_name(self, obj) -> str:
        t = self.lifecycle.transitions.get(obj.action)
        if t is not None:
            return str(t.label)
        return str(CREATION_ACTIONS.get(obj.action, obj.action))

    @admin.display(description=_("原状态"), ordering="from_status")
    def from_status_name(self, obj) -> str:
        return self._status_name(obj.from_status)

    @admin.display(description=_("新状态"), ordering="to_status")
    def to_status_name(self, obj) -> str:
        return self._status_name(obj.to_status)


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows: every field in ``fields`` read-only, no row added or deleted here (the rows
    are written by the services and the workflow)."""

    extra = 0
    can_delete = False

    def __init_subclass__(cls, **kwargs):
        # every shown field is read-only (the admin's checks read the attribute, so it is set on the class)
        super().__init_subclass__(**kwargs)
        cls.readonly_fields = tuple(cls.fields or ())

    def has_add_permission(self, request, obj=None):
        return False


class CaseLogInline(CaseLogLabels, ReadOnlyInline):
    """A case's log under the case, with the lifecycle's names. Set ``model`` and ``lifecycle``."""

    fields = ("created_at", "actor_label", "action_name", "from_status_name", "to_status_name", "note")
