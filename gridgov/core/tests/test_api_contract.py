"""The API contract, checked by schemathesis against the live test server.

Every operation of /api/v1/openapi.json gets a bounded, seeded number of generated requests (valid ones, and
ones that break the schema), each sent with a center operator's token and with a grid worker's token; the test
fails on any 5xx, on a status code the operation does not declare, and on a body that does not match the
declared schema.  Operations whose path names an event, dispute or petition are also run against a real one, so
the workflow is reached and not only the 404.  Settings and measured numbers: docs/api.md.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from gridgov.accounts.models import ApiToken
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import make_city

# examples per operation, per generation mode; GRIDGOV_CONTRACT_EXAMPLES raises it for a deeper run
EXAMPLES = int(os.environ.get("GRIDGOV_CONTRACT_EXAMPLES", "8"))
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

pytestmark = pytest.mark.django_db(transaction=True)


def _objects(city) -> dict[str, str]:
    """One real event, dispute and petition, so that path parameters can name something that exists."""
    from gridgov.disputes import services as disputes
    from gridgov.events import services as events
    from gridgov.petitions import services as petitions

    install_default_categories()
    event, _ = events.create_event(city.worker_a, events.EventInput(
        category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405))
    dispute = disputes.create_dispute(city.worker_a, disputes.DisputeInput(
        dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏",
        parties=[{"role": "applicant", "name": "张三", "phone": "13800000001"},
                 {"role": "respondent", "name": "李四", "phone": "13800000002"}], lng=116.005, lat=36.405))
    petition = petitions.create_petition(city.operator_a, petitions.PetitionInput(
        channel="letter", subject="小区物业乱收费", demands="退还多收的物业费",
        petitioners=[petitions.PetitionerInput(name="王建国", phone="13800138000")], target_agency="某物业公司"))
    from gridgov.assessments import services as assessments

    assessment = assessments.create_assessment(city.county_operator, {
        "title": "旧城片区征收改造", "kind": "land", "responsible_body": "区人民政府", "assessing_body": "评估中心",
        "regions": [city.township_a.code], "summary": "涉及住户约320户"})
    return {"/events/": event.number, "/disputes/": dispute.number, "/petitions/": petition.number,
            "/assessments/": assessment.number}


def test_every_operation_keeps_its_contract(live_server):
    city = make_city()
    real = _objects(city)
    users = {"operator": city.operator_a, "grid_worker": city.worker_a}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")

    stats: Counter = Counter()
    failures: list[str] = []
    started = time.monotonic()

    def run(operation, mode, path_parameters=None):
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def examples(case):
            for _role, user in users.items():
                # a fresh token per request: DELETE /auth/token (and /auth/tokens/{id}) may revoke the one it is sent with
                _token, raw = ApiToken.issue(user)
                response = case.call(base_url=live_server.url, headers={"Authorization": f"Bearer {raw}"})
                stats["requests"] += 1
                stats[f"{response.status_code // 100}xx"] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # collect every failure, all operations still run
                    stats["failures"] += 1
                    text = str(exc).strip().splitlines()
                    failures.append(f"{case.method} {case.formatted_path} [{mode.value}] → "
                                    f"{response.status_code}: {' / '.join(text[:6])[:600]}")

        try:
            examples()
        except Unsatisfiable:  # e.g. a request that breaks the schema, for an operation that takes no input
            stats["unsatisfiable"] += 1

    for result in schema.get_all_operations():
        operation = result.ok()
        stats["operations"] += 1
        for mode in MODES:
            run(operation, mode)
        pinned = next((number for prefix, number in real.items()
                       if operation.path.startswith(f"/api/v1{prefix}{{number}}")), None)
        if pinned:
            run(operation, GenerationMode.POSITIVE, {"number": pinned})
            stats["pinned"] += 1

    elapsed = time.monotonic() - started
    print(f"\ncontract: {dict(stats)} in {elapsed:.0f} s, {EXAMPLES} examples per operation and mode")
    assert stats["operations"] >= 50
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} distinct contract failures:\n" + "\n".join(unique[:60])
