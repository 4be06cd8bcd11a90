"""Where a dispute being registered happened: its grid and region from the point, the region chosen (a
citizen's cascade on the page, checked to be consistent) or the staff member's own area."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.cases.engine import Citizen
from gridgov.events import services as events
from gridgov.regions.models import Region
from gridgov.web.regions import chain_error


def region_for(actor, data, errors: dict):
    """The grid and region of a dispute being registered (``data`` a ``DisputeInput``), errors into ``errors``:
    a point in a grid decides; else the region chosen (a citizen's: a township or a community, its cascade
    consistent); else the actor's own region (staff) — a citizen must give one."""
    grid, region = events.locate(data.lng, data.lat)
    located = region is not None
    conflict = chain_error(data.region_chain or [])
    if conflict:  # a township of another county, a community of another township: never silently taken
        errors["region"] = [conflict]
    if region is None and data.region and not conflict:
        region = Region.objects.filter(code=data.region.strip()).first()
        if region is None:
            errors["region"] = [_("区划无效")]
        elif isinstance(actor, Citizen) and region.level < Region.Level.TOWNSHIP:
            region, errors["region"] = None, [_("请选择到乡镇(街道)或村(社区)")]
    # centers and grid workers register the disputes of their own area, however the place was given
    if region is not None and isinstance(actor, User) and actor.region_id \
            and actor.role in (User.Role.OPERATOR, User.Role.GRID_WORKER) and not region.code.startswith(actor.region.code):
        errors["location" if located else "region"] = [_("只能登记本辖区的纠纷")]
    if region is None and "region" not in errors:
        if isinstance(actor, User) and actor.region_id:
            region = actor.region
        elif isinstance(actor, User) and actor.role == User.Role.MEDIATOR and hasattr(actor, "mediator_profile"):
            region = actor.mediator_profile.region
        else:
            errors["region"] = [_("请选择纠纷发生地所属区划或在地图上选点")]
    return grid, region
