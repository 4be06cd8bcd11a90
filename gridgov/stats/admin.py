"""Administrators set the evaluation's weights (考核方案) here; the defaults are in docs/evaluation.md."""

from django.contrib import admin
from django.utils import timezone

from gridgov.stats.models import EvaluationScheme


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(admin.ModelAdmin):
    list_display = ("subject", "weights", "targets", "star_thresholds", "updated_at", "updated_by")
    fields = ("subject", "weights", "targets", "star_thresholds", "note")

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
