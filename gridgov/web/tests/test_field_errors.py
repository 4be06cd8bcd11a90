"""Every form family says what is wrong next to the field it concerns (``.field.has-error`` around the control,
the message inside it), never only in a banner at the top: citizen and staff event reports, citizen and staff
dispute intake, petitions, the registry's forms and the sign-in page.  (The browser walk of the citizens' forms
is gridgov/e2e/test_citizen_forms.py.)"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gridgov.disputes.models import Dispute
from gridgov.events.models import Event
from gridgov.events.taxonomy import install_default_categories
from gridgov.petitions.models import Petition
from gridgov.registry.models import House
from gridgov.web.tests.fields import field_errors


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_helper_fails_when_the_message_is_only_in_a_banner():
    """The check can fail: a message outside the field's block is not next to it."""
    html = ('<div class="alert"><p class="error">请选择纠纷类型</p></div>'
            '<div class="field"><select name="dispute_type"></select></div>')
    assert field_errors(html, "dispute_type") == (False, [])


def test_citizen_event_report(city, client):
    install_default_categories()
    r = client.post(reverse("web:citizen_report"), {"description": "短", "reporter_phone": "123"})

    html = r.content.decode()
    assert r.status_code == 400
    assert field_errors(html, "category") == (True, ["请选择有效的事件分类"])
    assert field_errors(html, "description") == (True, ["请描述事件情况（至少5个字）"])
    assert field_errors(html, "reporter_phone") == (True, ["请填写11位手机号码"])
    marked, messages = field_errors(html, "lng")  # the picker's fieldset
    assert marked and messages == ["请在地图上选择位置或填写地址"]
    assert not Event.objects.exists()


def test_staff_event_report(city):
    install_default_categories()
    r = as_user(city.worker_a).post(reverse("events:new"), {"category": "0301", "description": "路灯不亮了已经三天",
                                                            "lng": "200", "lat": "36.4"})

    html = r.content.decode()
    assert r.status_code == 400
    assert field_errors(html, "lng")[0] is True
    assert any("180" in m for m in field_errors(html, "lng")[1])
    assert not Event.objects.exists()


def test_staff_dispute_intake_out_of_the_workers_area(city):
    r = as_user(city.worker_a).post(reverse("disputes:new"), {
        "dispute_type": "", "description": "邻里噪音纠纷多次争吵", "party_0_role": "applicant", "party_0_name": "甲",
        "party_1_role": "respondent", "party_1_name": "乙", "amount": "-5", "people_count": "2",
        "channel": "people", "lng": "116.105", "lat": "36.405"})

    html = r.content.decode()
    assert r.status_code == 400
    assert field_errors(html, "dispute_type") == (True, ["请选择纠纷类型"])
    assert field_errors(html, "amount") == (True, ["涉及金额应为不小于0的数字"])
    assert field_errors(html, "lng") == (True, ["只能登记本辖区的纠纷"])
    assert not Dispute.objects.exists()


def test_staff_dispute_intake_without_parties(city):
    r = as_user(city.operator_a).post(reverse("disputes:new"), {
        "dispute_type": "neighbor", "description": "邻里噪音纠纷多次争吵", "amount": "0", "people_count": "2",
        "channel": "people"})

    html = r.content.decode()
    marked, messages = field_errors(html, "party_0_name")  # the parties' fieldset
    assert marked and messages == ["请至少填写一名申请人", "请至少填写一名被申请人"]


def test_citizen_dispute_application_without_a_place(city, client):
    r = client.post(reverse("disputes:apply"), {
        "reporter_name": "", "reporter_phone": "1", "dispute_type": "neighbor", "description": "邻居装修噪音扰民",
        "party_0_role": "applicant", "party_0_name": "甲", "party_1_role": "respondent", "party_1_name": "乙",
        "amount": "0", "people_count": "2", "channel": "people"})

    html = r.content.decode()
    assert field_errors(html, "reporter_name") == (True, ["请填写您的姓名"])
    assert field_errors(html, "reporter_phone") == (True, ["请填写11位手机号码"])
    assert field_errors(html, "region_township") == (True, ["请选择纠纷发生地所属区划或在地图上选点"])


def test_petition_with_a_file_that_is_not_a_document(city):
    r = as_user(city.operator_a).post(reverse("petitions:new"), {
        "channel": "visit", "subject": "小区物业乱收费", "demands": "要求物业退还多收的物业费", "region": "371502001",
        "target_agency": "某物业公司", "p-TOTAL_FORMS": "3", "p-INITIAL_FORMS": "0", "p-0-name": "王建国",
        "attachments": SimpleUploadedFile("note.txt", b"just text", content_type="text/plain")})

    html = r.content.decode()
    assert r.status_code == 400
    marked, messages = field_errors(html, "attachments")
    assert marked and messages and "仅支持" in messages[0]
    assert not Petition.objects.exists()


def test_registry_house_form(city):
    r = as_user(city.worker_a).post(reverse("registry:house_new"), {
        "community": "371502001001", "road": "", "building": "1", "lng": "116.004", "lat": "36.404",
        "structure": "brick_concrete", "use": "residential", "status": "owner"})

    html = r.content.decode()
    assert r.status_code == 400
    marked, messages = field_errors(html, "road")
    assert marked and messages
    assert not House.objects.exists()


@pytest.mark.parametrize("data, name", [({"username": "", "password": "x"}, "username"),
                                        ({"username": "op_a", "password": ""}, "password")])
def test_sign_in_page(city, client, data, name):
    r = client.post(reverse("login"), data)

    marked, messages = field_errors(r.content.decode(), name)
    assert marked and messages == ["这个字段是必填项。"]
