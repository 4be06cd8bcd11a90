"""One API create costs a bounded number of statements, and its answer is the event's detail as a re-read gives."""

import json
from datetime import datetime

from gridgov.accounts.models import ApiToken

NEW = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405, "address": "古城路1号"}
# 37 statements before issue 13 (token UPDATE every request, 5 calendar reads, 3 for the number, the grid's
# boundary, the timeline and the empty lists re-read); the savepoints of the test's own transaction included
MAX_QUERIES = 22


def _same_instants(value):
    """The answer with its moments as instants: the create answers in local time what a read gives in UTC."""
    if isinstance(value, dict):
        return {k: _same_instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_instants(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _post(client, raw, key, body=NEW):
    return client.post("/api/v1/events", data=json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": key})


def test_one_api_create_stays_within_its_statement_budget(city, cats, client, django_assert_max_num_queries):
    _t, raw = ApiToken.issue(city.worker_a)
    assert _post(client, raw, "warm-up").status_code == 201  # the grid index and the calendar are built once
    with django_assert_max_num_queries(MAX_QUERIES):
        assert _post(client, raw, "k-1").status_code == 201


def test_the_create_answer_equals_the_detail_read_back(city, cats, client):
    _t, raw = ApiToken.issue(city.worker_a)
    created = _post(client, raw, "k-2").json()
    read = client.get(f"/api/v1/events/{created['number']}", headers={"Authorization": f"Bearer {raw}"}).json()
    assert _same_instants(created) == _same_instants(read)
    assert created["timeline"][0]["action"] == "report" and created["allowed_actions"]


def test_an_operators_create_answer_equals_the_detail_read_back(city, cats, client):
    _t, raw = ApiToken.issue(city.operator_a)
    body = {**NEW, "source": "hotline", "reporter_name": "张三", "reporter_phone": "13800138000"}
    created = _post(client, raw, "k-3", body)
    assert created.status_code == 201, created.content
    read = client.get(f"/api/v1/events/{created.json()['number']}", headers={"Authorization": f"Bearer {raw}"})
    assert _same_instants(created.json()) == _same_instants(read.json())


def test_a_replayed_create_answers_with_the_detail_read_back(city, cats, client):
    _t, raw = ApiToken.issue(city.worker_a)
    first = _post(client, raw, "k-4")
    again = _post(client, raw, "k-4")
    assert (first.status_code, again.status_code) == (201, 200)
    assert _same_instants(first.json()) == _same_instants(again.json())
