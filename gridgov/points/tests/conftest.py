import importlib

import pytest

from gridgov.events.tests.conftest import cats, report  # noqa: F401  (fixtures)
from gridgov.points.models import PointRule


@pytest.fixture
def rules(db):
    """The default rules (migration 0002 + 0004), present whatever a transactional test flushed before."""
    from django.apps import apps

    importlib.import_module("gridgov.points.migrations.0002_default_rules").add_defaults(apps, None)
    importlib.import_module("gridgov.points.migrations.0004_catalogue_redemption_codes").hazard_categories(apps, None)
    return {r.code: r for r in PointRule.objects.all()}
