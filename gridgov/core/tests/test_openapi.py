"""The published OpenAPI document is honest: one name per schema, each list with its own page schema, and the
errors every operation can give declared with the shared Error schema."""

from __future__ import annotations

import typing
from collections import defaultdict

import pydantic
import pytest

from gridgov.api import api


@pytest.fixture
def doc(client, db):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def _models(t, out: dict, seen: set) -> None:
    if isinstance(t, type) and issubclass(t, pydantic.BaseModel):
        if t not in seen:
            seen.add(t)
            out[t.__name__].add(f"{t.__module__}.{t.__qualname__}")
            for field in t.model_fields.values():
                _models(field.annotation, out, seen)
        return
    for arg in typing.get_args(t):
        _models(arg, out, seen)


def test_no_two_schemas_share_a_name():
    names: dict[str, set[str]] = defaultdict(set)
    seen: set = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for op in view.operations:
                for model in op.models:
                    _models(model, names, seen)
                for model in op.response_models.values():
                    _models(model, names, seen)
    clashes = {name: where for name, where in names.items() if len(where) > 1}
    assert clashes == {}
    assert len(names) > 50  # the walk really saw the API


def _ref(doc, path, method="get", status="200"):
    return doc["paths"][f"/api/v1{path}"][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]


@pytest.mark.parametrize("path,page,item", [("/events", "EventPage", "EventBrief"),
                                            ("/disputes", "DisputePage", "DisputeBrief"),
                                            ("/petitions", "PetitionPage", "PetitionBrief"),
                                            ("/residents", "ResidentPage", "ResidentBrief")])
def test_each_list_is_published_with_its_own_page(doc, path, page, item):
    assert _ref(doc, path) == f"#/components/schemas/{page}"
    results = doc["components"]["schemas"][page]["properties"]["results"]
    assert results["items"]["$ref"] == f"#/components/schemas/{item}"


def test_pagination_is_published_with_its_bounds(doc):
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 200)
    assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, 2**31 - 1)


def test_every_operation_declares_its_errors_with_the_error_schema(doc):
    checked = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "422" in codes, (method, path)
            if op.get("security"):
                assert "401" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert "400" in codes, (method, path)
            for code, answer in op["responses"].items():
                if code.startswith("4"):
                    assert answer["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
            checked += 1
    assert checked >= 50


def test_text_fields_publish_their_length(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["EventIn"]["properties"]["title"]["maxLength"] == 100
    assert schemas["UnitIn"]["properties"]["name"]["maxLength"] == 200
    assert schemas["UnitIn"]["properties"]["employees"]["anyOf"][0]["minimum"] == 0


def test_every_operation_is_named_in_chinese(doc):
    """The API docs page lists operations by their summary: a developer of a city's department reads Chinese names,
    not the English function names ninja falls back to."""
    import re

    unnamed = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete") and not re.search(r"[\u4e00-\u9fff]", op.get("summary", "")):
                unnamed.append(f"{method.upper()} {path}: {op.get('summary')!r}")
    assert unnamed == []
