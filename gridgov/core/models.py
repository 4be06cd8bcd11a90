"""Cross-domain records: notifications sent through the pluggable backends."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import SealedPhone


class Notification(models.Model):
    """A message to a user (or a phone number), kept whatever backend delivered it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # an SMS to a citizen: the number sealed like everywhere else (core.crypto.SealedPhone)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = SealedPhone("phone")
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    delivered = models.JSONField(default=dict, blank=True)  # backend name -> "ok" / error text

    class Meta:
        ordering = ["-created_at", "-id"]  # a batch shares its moment: the later row first
        verbose_name = _("通知")
        verbose_name_plural = _("通知")


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes: a log is written once."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model._meta.label} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model._meta.label} rows are append-only")


class AppendOnly(models.Model):
    """A row that is written once and never changed or deleted through the application (transition logs,
    change history, the personal-data access log). Migrations and the database itself are not bound by it."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.label} rows are append-only")
