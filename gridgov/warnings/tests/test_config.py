"""Rule settings: checked against the rule's parameters (kind, bounds) with Chinese messages, in the code and
in the Django admin."""

import pytest

from gridgov.accounts.models import User
from gridgov.cases import warnrules
from gridgov.warnings.config import clean_params, effective
from gridgov.warnings.models import RuleConfig


def test_values_are_converted_and_bounded():
    cleaned, errors = clean_params("repeat_place", {"min_cases": "4", "radius_m": 150.0, "days": 7})
    assert cleaned == {"min_cases": 4, "radius_m": 150, "days": 7} and errors == {}
    _c, errors = clean_params("repeat_place", {"min_cases": 1, "radius_m": 1e9, "days": 2.5})
    assert errors == {"min_cases": ["不能小于 2"], "radius_m": ["不能大于 1000"], "days": ["请填写整数"]}
    _c, errors = clean_params("petition_surge", {"ratio": float("nan"), "days": True})
    assert errors == {"ratio": ["请填写有限的数字"], "days": ["请填写数字"]}
    assert clean_params("nope", {})[1] == {"rule": ["未知的预警规则：nope"]}


def test_the_effective_params_are_the_defaults_overlaid_and_a_stale_value_falls_back(db):
    spec = warnrules.spec("repeat_place")
    assert effective(spec) == (True, {"min_cases": 3, "radius_m": 200, "days": 14})
    RuleConfig.objects.create(rule="repeat_place", enabled=False, params={"min_cases": 5, "radius_m": -1, "gone": 2})
    assert effective(spec) == (False, {"min_cases": 5, "radius_m": 200, "days": 14})


@pytest.mark.django_db
def test_the_admin_edits_a_rule_and_refuses_bad_params_in_chinese(client):
    admin = User.objects.create_superuser("root", password="x", role=User.Role.ADMIN)
    client.force_login(admin)
    r = client.post("/admin/warnings/ruleconfig/add/", {"rule": "care_gap", "enabled": "on",
                                                         "params": '{"overdue_min": 0}'})
    assert r.status_code == 200 and "不能小于 1" in r.content.decode() and not RuleConfig.objects.exists()
    r = client.post("/admin/warnings/ruleconfig/add/", {"rule": "care_gap", "enabled": "on",
                                                         "params": '{"overdue_min": 2}'})
    assert r.status_code == 302 and RuleConfig.objects.get().params == {"overdue_min": 2}
    page = client.get("/admin/warnings/ruleconfig/").content.decode()
    assert "关爱帮扶缺位" in page and "预警规则配置" in page
