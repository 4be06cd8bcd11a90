"""Inbound: a department key acts as the department's system user, through the pages' services and scope."""

from django.core.management import call_command

from gridgov.events.models import EventLog, Status
from gridgov.interop import keys


def _key(city, department=None):
    _k, raw = keys.issue(department or city.dept_cg, "城管业务系统", created_by=city.admin)
    return {"X-Department-Key": raw}


def test_a_key_signs_feeds_back_and_the_log_names_the_system_user(city, api, dispatched):
    event, headers = dispatched(), _key(city)
    status, body = api("get", "/interop/cases", headers=headers)
    assert status == 200 and [c["number"] for c in body["results"]] == [event.number]
    assert body["results"][0]["allowed_actions"] == ["sign", "return", "request_extension"] or \
        "sign" in body["results"][0]["allowed_actions"]
    status, body = api("post", f"/interop/cases/{event.number}/sign", headers=headers, body={})
    assert status == 200 and body["status"] == Status.HANDLING
    status, body = api("post", f"/interop/cases/{event.number}/feedback", headers=headers, body={"note": "已清理完毕"})
    assert status == 200 and body["status"] == Status.HANDLED and body["result"] == "已清理完毕"
    actor = EventLog.objects.get(event=event, action="feedback").actor
    assert actor.username == "system-CG" and actor.full_name == "区城管局（系统对接）" and not actor.has_usable_password()


def test_a_key_returns_its_case_with_a_reason_and_a_missing_reason_is_a_422(city, api, dispatched):
    event, headers = dispatched(), _key(city)
    status, body = api("post", f"/interop/cases/{event.number}/return", headers=headers, body={})
    assert status == 422 and "note" in body["fields"]
    status, body = api("post", f"/interop/cases/{event.number}/return", headers=headers, body={"note": "不属于本部门"})
    assert status == 200 and body["status"] == Status.ACCEPTED


def test_a_key_cannot_see_or_act_on_another_departments_case(city, api, dispatched):
    event, headers = dispatched(), _key(city, city.dept_zj)
    assert api("get", f"/interop/cases/{event.number}", headers=headers)[0] == 404
    assert api("post", f"/interop/cases/{event.number}/sign", headers=headers, body={})[0] == 404
    assert api("get", "/interop/cases", headers=headers)[1]["count"] == 0


def test_the_wrong_state_is_a_409(city, api, dispatched):
    event, headers = dispatched(), _key(city)
    status, body = api("post", f"/interop/cases/{event.number}/feedback", headers=headers, body={"note": "已处理"})
    assert status == 409


def test_a_bad_or_revoked_key_is_a_401_and_so_is_none(city, api, dispatched):
    event = dispatched()
    key, raw = keys.issue(city.dept_cg, "x")
    assert api("get", "/interop/cases", headers={"X-Department-Key": "ggd_wrong"})[0] == 401
    assert api("get", "/interop/cases")[0] == 401
    assert api("get", "/interop/cases", headers={"Authorization": f"Bearer {raw}"})[0] == 200
    keys.revoke(key)
    assert api("get", f"/interop/cases/{event.number}", headers={"X-Department-Key": raw})[0] == 401


def test_the_command_issues_a_key_printed_once(city, capsys):
    call_command("interop_key", "create", "--department", "CG", "--name", "对接")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert raw.startswith("ggd_") and keys.lookup(raw).department == city.dept_cg
