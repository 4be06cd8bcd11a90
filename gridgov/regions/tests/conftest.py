"""Regions tests start and end with an empty spatial cache."""

from __future__ import annotations

import pytest

from gridgov.regions import spatial


@pytest.fixture(autouse=True)
def _fresh_spatial_cache():
    spatial.invalidate()
    yield
    spatial.invalidate()
