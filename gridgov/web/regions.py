"""The region cascade of the page forms (县(区) → 乡镇(街道) → 村(社区)), for choosing where something happened
without a map point: the selects the server renders (so the page works, and comes back filled, without
JavaScript) and the one code they mean.  ``gridgov.js`` fills the next select from ``/api/v1/regions``."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.regions.models import CODE_LENGTHS, Region

L = Region.Level
LEVELS = ((L.COUNTY, "region_county", _("县(区)")), (L.TOWNSHIP, "region_township", _("乡镇(街道)")),
          (L.COMMUNITY, "region_community", _("村(社区)")))


def chosen_region(data) -> str:
    """The deepest level chosen in the cascade ("" when none)."""
    for _level, name, _label in reversed(LEVELS):
        value = (data.get(name) or "").strip()
        if value:
            return value
    return ""


def chosen_chain(data) -> list[str]:
    """The codes chosen in the cascade, county first, one per level ("" where that level was left empty)."""
    return [(data.get(name) or "").strip() for _level, name, _label in LEVELS]


def chain_error(chain) -> str:
    """"" when each code chosen lies in the one chosen above it, else why not (a Chinese field message):
    a township of another county, a community of another township are refused, never silently taken."""
    upper_label, upper = "", ""
    for (_level, _name, label), code in zip(LEVELS, chain, strict=False):
        if not code:
            continue
        if upper and not (code.startswith(upper) and len(code) > len(upper)):
            return gettext("所选%(lower)s不属于所选%(upper)s，请重新选择") % {"lower": label, "upper": upper_label}
        upper_label, upper = label, code
    return ""


def region_cascade(root: Region | None, chosen: str = "") -> list[dict]:
    """One select per level under ``root`` (a city): its options (the children of the level above as chosen)
    and the chosen code.  A chosen code outside ``root`` chooses nothing."""
    if root is None:
        return []
    chosen = chosen if chosen.startswith(root.code) else ""
    rows, parent = [], root.code
    for level, name, label in LEVELS:
        options = list(Region.objects.filter(parent__code=parent, level=level).order_by("code")
                       .values_list("code", "name")) if parent else []
        length = CODE_LENGTHS[level]
        selected = chosen[:length] if len(chosen) >= length else ""
        if selected not in {c for c, _n in options}:
            selected = ""
        rows.append({"level": int(level), "name": name, "label": label, "options": options, "selected": selected})
        parent = selected
    return rows
