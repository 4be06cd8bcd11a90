"""Every API operation of 563b3c1 (before the case kernel moved code between apps) is still served at the same
method and path under the same operation id: clients generated from the schema keep their method names."""

import json
from pathlib import Path

from gridgov.api import api

KEPT = Path(__file__).parent / "data" / "api_operations_563b3c1.json"


def test_every_operation_of_563b3c1_keeps_its_method_path_and_operation_id():
    schema = api.get_openapi_schema()
    now = {(m.upper(), p, o["operationId"]) for p, ms in schema["paths"].items() for m, o in ms.items()}
    before = {tuple(row) for row in json.loads(KEPT.read_text(encoding="utf-8"))}
    assert len(before) > 50
    assert before - now == set()
