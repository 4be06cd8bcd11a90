"""Department systems (数据共享, "一次采集、共享共用").

Outbound: a department's ``Subscription`` names its system's URL; every transition of a case it should know
about stages one ``Delivery`` row per subscription in the transition's own transaction (the outbox), sent
after commit and retried by the sweep (:mod:`gridgov.interop.outbound`).

Inbound: a ``DepartmentKey`` lets the department's system act as the department's system user through the
same services as the pages (:mod:`gridgov.interop.keys`, :mod:`gridgov.interop.api`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# what a subscription sends unless it names its own list: the case reaching the department, and later changes
# on it the department must know of (the department's own sign/feedback/request are not echoed back)
DEFAULT_ACTIONS = ["dispatch", "verify_fail", "verify_pass", "approve_extension", "deny_extension", "return",
                   "reopen", "supervise", "relocate"]
# actions after which the case names no department any more: told to every department ever involved
CLEARING_ACTIONS = ("return", "reopen")


def default_actions() -> list[str]:
    return list(DEFAULT_ACTIONS)


class Subscription(models.Model):
    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="subscriptions",
                                   verbose_name=_("部门"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    url = models.URLField(_("接收地址"), max_length=500, help_text=_("部门系统接收推送的 http(s) 地址"))
    # the HMAC secret, sealed with the personal-data key (core.crypto, Fernet): needed in clear to sign
    secret_enc = models.TextField(_("签名密钥(加密)"), editable=False)
    actions = models.JSONField(_("推送的操作"), default=default_actions, blank=True,
                               help_text=_("事件操作代码列表，如 dispatch、verify_fail；留空则按默认列表"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("推送订阅")
        verbose_name_plural = _("推送订阅")

    def __str__(self) -> str:
        return f"{self.department} → {self.url}"

    @property
    def secret(self) -> str:
        from gridgov.core.crypto import decrypt

        return decrypt(self.secret_enc)

    @secret.setter
    def secret(self, value: str) -> None:
        from gridgov.core.crypto import encrypt

        self.secret_enc = encrypt(value)

    def wanted_actions(self) -> list[str]:
        return list(self.actions) if self.actions else list(DEFAULT_ACTIONS)

    def clean(self) -> None:
        from urllib.parse import urlparse

        errors = {}
        if urlparse(self.url or "").scheme not in ("http", "https"):
            errors["url"] = _("只能是 http 或 https 地址")
        if not isinstance(self.actions, list) or not all(isinstance(a, str) for a in self.actions):
            errors["actions"] = _("请填写操作代码的列表")
        else:
            from gridgov.events.workflow import TRANSITIONS

            unknown = [a for a in self.actions if a not in TRANSITIONS]
            if unknown:
                errors["actions"] = _("未知的操作：%(a)s") % {"a": "、".join(unknown)}
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One webhook to send (the outbox row)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        DEAD = "dead", _("发送失败(死信)")

    uuid = models.UUIDField(_("推送编号"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name=_("推送订阅"))
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("事件"))
    log_id = models.BigIntegerField(_("日志编号"))
    action = models.CharField(_("操作"), max_length=32)
    payload = models.JSONField(_("推送内容"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        constraints = [models.UniqueConstraint(fields=["subscription", "log_id"], name="interop_one_delivery_per_log")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="interop_delivery_due")]

    def __str__(self) -> str:
        return str(self.uuid)


class DepartmentKey(models.Model):
    """An API key of a department's system.  Only its SHA-256 hash is stored; the key acts as ``user``, the
    department's system user (role liaison), so every request goes through the pages' services and scope."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="api_keys",
                                   verbose_name=_("部门"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("系统用户"), editable=False)
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("密钥前缀"), max_length=12, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("签发人"), editable=False)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("部门接口密钥")
        verbose_name_plural = _("部门接口密钥")

    def __str__(self) -> str:
        return f"{self.department} · {self.name} ({self.prefix}…)"
