import json
import xml.etree.ElementTree as ET

import pytest

from gridgov.events.models import Category
from gridgov.events.taxonomy import install_default_categories
from gridgov.open311.models import ClientApplication, ServiceAttribute

PHONE = "13912345678"
NAME_FIRST, NAME_LAST = "小明", "王"
DESCRIPTION = "幸福路口有大量垃圾，联系人王小明"
IN_GRID = {"lat": "36.405", "long": "116.005"}  # grid A1, township A


@pytest.fixture
def cats(city):
    install_default_categories()
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def app_key(db):
    app, raw = ClientApplication.issue("随手拍", contact="张工")
    return app, raw


@pytest.fixture
def attrs(cats):
    """0301 道路保洁 asks two things: whether the road is blocked (required list) and the area in m²."""
    blocked = ServiceAttribute.objects.create(
        category=cats["0301"], code="blocked", datatype="singlevaluelist", required=True, order=1,
        description="是否影响通行", values=[{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}])
    area = ServiceAttribute.objects.create(category=cats["0301"], code="area", datatype="number", order=2,
                                           description="面积（平方米）")
    return blocked, area


@pytest.fixture
def o311(client):
    """``o311(method, path, **data)`` → (status, parsed body, response): JSON decoded, XML as an Element."""

    def call(method, path, data=None, **extra):
        resp = getattr(client, method)(f"/open311/{path}", data=data or {}, **extra)
        ctype = resp.get("Content-Type", "")
        if ctype.startswith("application/json"):
            body = json.loads(resp.content)
        elif ctype.startswith("text/xml"):
            body = ET.fromstring(resp.content)
        else:
            body = resp.content
        return resp.status_code, body, resp

    return call


@pytest.fixture
def new_request(app_key, attrs):
    """The form of a valid POST requests.* for 0301 (override fields by keyword)."""

    def make(**kw):
        form = {"api_key": app_key[1], "service_code": "0301", "description": DESCRIPTION, "phone": PHONE,
                "first_name": NAME_FIRST, "last_name": NAME_LAST, "email": "wxm@example.com",
                "attribute[blocked]": "yes", **IN_GRID}
        form.update(kw)
        return {k: v for k, v in form.items() if v is not None}

    return make
