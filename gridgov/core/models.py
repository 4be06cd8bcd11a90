"""Cross-domain records: notifications sent through the pluggable backends."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message to a user (or a phone number), kept whatever backend delivered it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    phone = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    delivered = models.JSONField(default=dict, blank=True)  # backend name -> "ok" / error text

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
