"""Department API keys: issued by administrators, each acting as the department's system user."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, User
from gridgov.core.errors import NotFound
from gridgov.interop.models import DepartmentKey

KEY_PREFIX = "ggd_"
LAST_USE_RESOLUTION = timezone.timedelta(minutes=1)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def system_user(department: Department) -> User:
    """The department's system user (created on first use): a liaison of the department that cannot sign in
    with a password, named so the case logs say which system acted."""
    username = f"system-{department.code}"[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role=User.Role.LIAISON, department=department,
                    full_name=(_("%(name)s（系统对接）") % {"name": department.name})[:50])
        user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def issue(department: Department, name: str, created_by: User | None = None) -> tuple[DepartmentKey, str]:
    """A new key for ``department``; the raw key is returned once and never stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = DepartmentKey.objects.create(department=department, user=system_user(department), name=name[:100],
                                       key_hash=hash_key(raw), prefix=raw[len(KEY_PREFIX):len(KEY_PREFIX) + 8],
                                       created_by=created_by)
    return key, raw


def issue_for_code(code: str, name: str, created_by: User | None = None) -> tuple[DepartmentKey, str]:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise NotFound(_("未找到该部门"))
    return issue(department, name, created_by)


def revoke(key: DepartmentKey) -> None:
    DepartmentKey.objects.filter(pk=key.pk).update(active=False)


def lookup(raw: str) -> DepartmentKey | None:
    """The live key for ``raw`` (active, its department and system user active), marked as used; else None."""
    if not raw or not raw.startswith(KEY_PREFIX):
        return None
    key = (DepartmentKey.objects.select_related("user", "department", "user__department")
           .filter(key_hash=hash_key(raw), active=True).first())
    if key is None or not key.department.active or not key.user.is_active:
        return None
    if key.user.department_id != key.department_id or key.user.role != User.Role.LIAISON:
        return None  # the system user was changed by hand: refuse rather than act as someone else
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_RESOLUTION:
        DepartmentKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
