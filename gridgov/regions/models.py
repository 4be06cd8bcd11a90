"""Regions (行政区划) and grids (网格).

A region's code is its official division code and also a materialized path:
city ``3715`` ⊂ county ``371502`` ⊂ township ``371502001`` ⊂ community
``371502001001`` ⊂ grid ``371502001001003``.  "My subtree" is a prefix match
on an indexed column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.memo import RowMemo

# code length per level (GB/T 2260 + statistical 3+3 digits)
CODE_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
GRID_CODE_LENGTH = 15


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("县(区)")
        TOWNSHIP = 4, _("乡镇(街道)")
        COMMUNITY = 5, _("村(社区)")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("上级"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def has_center(self) -> bool:
        """City, county and township levels run a governance center (综治中心)."""
        return self.level in (self.Level.CITY, self.Level.COUNTY, self.Level.TOWNSHIP)

    @property
    def center_name(self) -> str:
        return f"{self.name}综治中心"

    def ancestors_codes(self) -> list[str]:
        """Codes of this region and every region above it, nearest first."""
        return [self.code[:n] for n in sorted(CODE_LENGTHS.values(), reverse=True) if n <= len(self.code)]


class Grid(models.Model):
    class Kind(models.TextChoices):
        GENERAL = "general", _("综合网格")
        DEDICATED = "dedicated", _("专属网格")

    code = models.CharField(_("网格编码"), max_length=15, unique=True)
    name = models.CharField(_("网格名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    # for dedicated grids: 学校 / 医院 / 园区 / 商圈 …
    dedicated_type = models.CharField(_("专属类型"), max_length=32, blank=True)
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="grids", verbose_name=_("所属村(社区)")
    )
    # GeoJSON geometry (Polygon or MultiPolygon), WGS-84 lng/lat, holes allowed
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class GridVersion(models.Model):
    """One row whose ``version`` changes with every write to the grid table.

    Database triggers (migration 0004) bump it on INSERT, UPDATE and DELETE of ``regions_grid`` (and TRUNCATE
    on PostgreSQL), so ``QuerySet.update()``, ``bulk_update()``, raw SQL and other programs are seen too; the
    spatial caches compare it instead of reading the grid table (``gridgov.regions.spatial``).  ``salt`` is a
    random number drawn at every bump: a bump rolled back with its transaction leaves a (version, salt) pair
    that no later commit repeats.  Never written by the application."""

    version = models.BigIntegerField(default=0)
    salt = models.BigIntegerField(default=0)

    class Meta:
        db_table = "regions_gridversion"

    def __str__(self) -> str:
        return f"grids v{self.version}"


class GridStaff(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("网格长")
        WORKER = "worker", _("网格员")
        INSTRUCTOR = "instructor", _("网格指导员")

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="staff", verbose_name=_("网格"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_roles", verbose_name=_("用户"))
    role = models.CharField(_("职务"), max_length=16, choices=Role.choices, default=Role.WORKER)

    class Meta:
        verbose_name = _("网格人员")
        verbose_name_plural = _("网格人员")
        constraints = [
            models.UniqueConstraint(fields=["grid", "user", "role"], name="uniq_grid_staff_role"),
        ]

    def __str__(self) -> str:
        return f"{self.grid.name} · {self.get_role_display()} · {self.user}"


def _grid_stamp():
    from gridgov.regions.spatial import current_stamp

    return current_stamp()


# rows read by key on the intake's path without a query (gridgov.core.memo): the regions, bumped by their saves
# and deletes (the division import's bulk writes call REGIONS.changed()); the grids, without their boundary, kept
# while the grids' version stamp (database triggers, read at most once per GRID_STAMP_TTL_S) stays the same
REGIONS = RowMemo(Region, "regions.region")
GRIDS = RowMemo(Grid, "regions.grid", defer=("boundary",), stamp=_grid_stamp)
