"""Open311 GeoReport v2: the client applications that may file requests, the extra fields of a service
(a category's attributes) and the Open311 side of each request filed through it.

The events app is not changed: a request filed through Open311 is an ordinary citizen :class:`Event`; its
Open311 facts (which client, the token, the attribute answers, a submitted media URL) sit in
:class:`ServiceRequest`, one row per event.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import lookup_hash

KEY_PREFIX = "o311_"


def hash_key(raw: str) -> str:
    """The keyed hash (HMAC with GRIDGOV_HASH_KEY) an api_key is stored and looked up by."""
    return lookup_hash(raw, "open311-api-key")


class ClientApplication(models.Model):
    """An outside application (a civic-issue app, a hotline system) that files requests with an api_key.

    Only the key's keyed hash and a short prefix are stored; the key itself is shown once, when issued."""

    name = models.CharField(_("应用名称"), max_length=100)
    contact = models.CharField(_("联系人及联系方式"), max_length=200, blank=True)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("密钥前缀"), max_length=12, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    rate_limit_per_hour = models.PositiveIntegerField(_("每小时提交上限"), default=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("Open311 客户端应用")
        verbose_name_plural = _("Open311 客户端应用")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def new_key(self) -> str:
        """Give this application a fresh key (the old one stops working); the raw key, to show once."""
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        self.key_hash = hash_key(raw)
        self.prefix = raw[: len(KEY_PREFIX) + 6]
        return raw

    @classmethod
    def issue(cls, name: str, *, contact: str = "", rate_limit_per_hour: int = 100, created_by=None
              ) -> tuple[ClientApplication, str]:
        app = cls(name=name[:100], contact=contact[:200], rate_limit_per_hour=rate_limit_per_hour,
                  created_by=created_by)
        raw = app.new_key()
        app.save()
        return app, raw

    @classmethod
    def authenticate(cls, raw: str) -> ClientApplication | None:
        """The active application holding ``raw``, marked as used (at most once a minute); else None."""
        raw = (raw or "").strip()
        if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
            return None
        app = cls.objects.filter(key_hash=hash_key(raw), active=True).first()
        if app is None:
            return None
        now = timezone.now()
        if app.last_used_at is None or now - app.last_used_at >= timezone.timedelta(minutes=1):
            cls.objects.filter(pk=app.pk).update(last_used_at=now)
            app.last_used_at = now
        return app


class Datatype(models.TextChoices):
    STRING = "string", _("单行文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("多行文本")
    SINGLEVALUELIST = "singlevaluelist", _("单选")
    MULTIVALUELIST = "multivaluelist", _("多选")


LIST_TYPES = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)


class ServiceAttribute(models.Model):
    """An extra field of a service (a leaf category): asked of Open311 clients, answered as
    ``attribute[code]=value`` when a request is filed."""

    category = models.ForeignKey("events.Category", on_delete=models.CASCADE, related_name="open311_attributes",
                                 limit_choices_to={"parent__isnull": False}, verbose_name=_("事件分类"))
    code = models.SlugField(_("字段编码"), max_length=50,
                            help_text=_("字母、数字、下划线或连字符，客户端以 attribute[编码] 提交"))
    datatype = models.CharField(_("数据类型"), max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(_("必填"), default=False)
    description = models.CharField(_("问题说明"), max_length=200, help_text=_("向提交人显示的问题，如：是否影响通行？"))
    datatype_description = models.CharField(_("填写说明"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=1)
    values = models.JSONField(_("可选值"), default=list, blank=True,
                              help_text=_('单选/多选的可选值，如 [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]'))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["category", "order", "pk"]
        verbose_name = _("Open311 服务附加字段")
        verbose_name_plural = _("Open311 服务附加字段")
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique")]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.code}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.category_id and self.category.parent_id is None:
            errors["category"] = _("只能为二级分类（服务）设置附加字段")
        if self.datatype in LIST_TYPES:
            ok = isinstance(self.values, list) and self.values and all(
                isinstance(v, dict) and str(v.get("key", "")).strip() and str(v.get("name", "")).strip()
                for v in self.values)
            if not ok:
                errors["values"] = _('单选/多选需填写可选值列表，每项含 key 和 name，如 [{"key": "yes", "name": "是"}]')
            elif len({str(v["key"]) for v in self.values}) != len(self.values):
                errors["values"] = _("可选值的 key 不能重复")
        elif self.values:
            errors["values"] = _("只有单选/多选字段才有可选值")
        if errors:
            raise ValidationError(errors)

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in (self.values or []) if isinstance(v, dict)]


class ServiceRequest(models.Model):
    """The Open311 side of an event filed through Open311: who filed it, its token, the answers."""

    event = models.OneToOneField("events.Event", on_delete=models.PROTECT, related_name="open311",
                                 verbose_name=_("事件"))
    client = models.ForeignKey(ClientApplication, on_delete=models.PROTECT, related_name="requests",
                               verbose_name=_("客户端应用"))
    token = models.CharField(_("令牌"), max_length=40, unique=True)
    attributes = models.JSONField(_("附加字段回答"), default=dict, blank=True)
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Open311 服务请求")
        verbose_name_plural = _("Open311 服务请求")

    def __str__(self) -> str:
        return self.token

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(16)
