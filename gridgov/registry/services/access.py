"""Who may write where.  The write scope of a writer is their read scope (what ``visible_to`` shows them):
operators their region's subtree, grid workers their grids; ``None`` is the system (commands, the demo
loader).  Every service that changes a record checks it here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Grid, Region


def check_region_in_scope(actor, region: Region, field_name: str = "region") -> None:
    """Writers may only write inside their scope: operators their subtree, grid workers their grids' communities."""
    if actor is None or actor.is_superuser or actor.role == User.Role.ADMIN:
        return
    ok = False
    if actor.role in (User.Role.OPERATOR,) and actor.region_id:
        ok = region.code.startswith(actor.region.code)
    elif actor.role == User.Role.GRID_WORKER:
        ok = Grid.objects.filter(staff__user=actor, community=region).exists()
    if not ok:
        raise ValidationFailed(_("该区划不在您的管辖范围内"), {field_name: [_("该区划不在您的管辖范围内")]})


def check_grid_in_scope(actor, grid: Grid | None, field_name: str = "grid") -> None:
    if grid is None or actor is None or actor.is_superuser or actor.role == User.Role.ADMIN:
        return
    if actor.role == User.Role.GRID_WORKER and not grid.staff.filter(user=actor).exists():
        raise ValidationFailed(_("该网格不是您负责的网格"), {field_name: [_("该网格不是您负责的网格")]})


def can_write(actor) -> bool:
    return bool(actor and actor.is_authenticated and (
        actor.is_superuser or actor.role in (User.Role.ADMIN, User.Role.OPERATOR, User.Role.GRID_WORKER)))


def require_writer(actor) -> None:
    if actor is not None and not can_write(actor):
        raise Forbidden(_("您无权维护基础数据"), code="not_permitted")


def in_scope(actor, obj) -> bool:
    """May ``actor`` write this registry record?  The write scope of a writer is what they see (operators
    their subtree, grid workers their grids); ``None`` is the system (commands, the demo loader)."""
    if actor is None:
        return True
    return type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists()


def require_in_scope(actor, obj, message: str) -> None:
    if not in_scope(actor, obj):
        raise NotFound(message)
