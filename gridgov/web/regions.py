"""The region cascade of the page forms (县(区) → 乡镇(街道) → 村(社区)), for choosing where something happened
without a map point: the selects the server renders (so the page works, and comes back filled, without
JavaScript) and the one code they mean.  ``gridgov.js`` fills the next select from ``/api/v1/regions``."""

from __future__ import annotations

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
