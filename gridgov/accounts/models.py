"""Users, roles and departments.

A user has one role.  Operators, leaders and grid workers are anchored in a
region (an operator's region *is* their center: 东昌府区 → 东昌府区综治中心);
liaisons belong to a department.  Citizens have no account: they are known by
phone number and tracking number.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A functional department (城管, 住建, 派出所 …) that handles dispatched work."""

    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    # the region whose government the department belongs to (city or county level)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="departments", verbose_name=_("所属区划")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("系统管理员")
        OPERATOR = "operator", _("中心受理员")
        LIAISON = "liaison", _("部门联络员")
        GRID_WORKER = "grid_worker", _("网格员")
        LEADER = "leader", _("领导")
        MEDIATOR = "mediator", _("调解员")

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.GRID_WORKER)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("所在区划(中心)"),
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        verbose_name=_("所属部门"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    # --- a new password revokes every API token -------------------------------------------------
    # Every way of setting a password (the admin's change/reset form, ``manage.py changepassword``,
    # Django's password views, a script assigning ``user.password``) ends in ``save()``; comparing the
    # stored hash with the one loaded catches them all.  Django re-hashing the *same* password on login
    # (a newer hasher or more iterations) is not a change: ``check_password`` marks it.

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_password = instance.__dict__.get("password")
        return instance

    def check_password(self, raw_password):
        self._rehashing = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing = False

    def _password_changed(self) -> bool:
        if self._state.adding or getattr(self, "_rehashing", False):
            return False
        loaded = getattr(self, "_loaded_password", None)
        if loaded is None:  # not loaded from the database (or deferred): only set_password tells
            return self._password is not None
        return self.password != loaded or self._password is not None

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        writes_password = update_fields is None or "password" in update_fields
        changed = writes_password and self._password_changed()
        super().save(*args, **kwargs)
        if changed:
            ApiToken.objects.filter(user=self).delete()
        if writes_password:  # else the stored hash is still the loaded one, and a later save compares to it
            self._loaded_password = self.password


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the mobile client.  Only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("密钥摘要"))
    prefix = models.CharField(max_length=8, verbose_name=_("密钥前缀"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    # the client that asked for it (User-Agent, cut to 200 characters), so its owner can tell devices apart
    user_agent = models.CharField(_("客户端"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近使用时间"))
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("过期时间"))

    LAST_USE_RESOLUTION = timezone.timedelta(minutes=1)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    @classmethod
    def issue(cls, user, name: str = "", ttl_days: int = 30, user_agent: str = "") -> tuple[ApiToken, str]:
        raw = "gg_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=_hash_token(raw),
            prefix=raw[3:11],
            name=name[:100],
            user_agent=(user_agent or "")[:200],
            expires_at=timezone.now() + timezone.timedelta(days=ttl_days),
        )
        return token, raw

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        """The live token for ``raw`` (not expired, its user active), marked as used; else None.

        ``last_used_at`` is written at most once per ``LAST_USE_RESOLUTION`` (a minute): a client sending
        hundreds of requests a minute costs one UPDATE a minute, not one a request."""
        token = cls.objects.select_related("user").filter(key_hash=_hash_token(raw)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.expires_at and token.expires_at < now or not token.user.is_active:
            return None
        if token.last_used_at is None or now - token.last_used_at >= cls.LAST_USE_RESOLUTION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token

    @classmethod
    def authenticate(cls, raw: str):
        token = cls.lookup(raw)
        return token.user if token is not None else None
