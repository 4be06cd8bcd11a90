"""The citizen's points page (a one-time code, then balance, history, catalogue, redeem) and the staff pages
(ranking with masked names, the redemptions to hand over), through Django's test client."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.core.models import Notification
from gridgov.points import access, services
from gridgov.points.models import CatalogueItem, EntryKind, LoginCode, Participant, Redemption

PHONE = "13800007777"


@pytest.fixture
def sms(settings, django_capture_on_commit_callbacks):
    """The codes sent, read from the file backend (what an SMS gateway adapter would get)."""
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "file"}
    path = settings.GRIDGOV["NOTIFY_FILE"]

    def last_code(client, phone=PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post("/points/", {"op": "send", "phone": phone})
        assert resp.status_code == 200, resp.content.decode()
        with open(path, encoding="utf-8") as fh:
            line = json.loads(fh.read().splitlines()[-1])
        assert line["phone"] == phone and line["kind"] == "points_code"
        return re.search(r"(\d{6})", line["subject"]).group(1)

    return last_code


@pytest.fixture
def member(city):
    who = Participant.objects.create(phone=PHONE, name="张三丰", community=city.community_a)
    services._write(who, None, EntryKind.AWARD, 12, "test:seed", "测试积分", timezone.now())
    CatalogueItem.objects.create(community=city.community_a, name="理发一次", cost=5, stock=3)
    CatalogueItem.objects.create(community=city.community_b, name="别的社区的义诊", cost=1)
    return who


def signed_in_client(sms) -> Client:
    c = Client()
    code = sms(c)
    resp = c.post("/points/", {"op": "verify", "phone": PHONE, "code": code})
    assert resp.status_code == 302
    return c


def test_a_code_opens_the_balance_history_and_the_community_catalogue(member, sms):
    c = signed_in_client(sms)
    page = c.get("/points/").content.decode()
    assert "积分余额" in page and "<strong>12</strong>" in page and "138****7777" in page
    assert "获得" in page and "测试积分" in page  # the history with Chinese labels
    assert "理发一次" in page and "别的社区的义诊" not in page
    assert LoginCode.objects.get().code_hash and not Notification.objects.exists()  # only the code's hash is kept


def test_redeem_from_the_page_and_an_overdraw_is_a_field_message(member, sms):
    c = signed_in_client(sms)
    item = CatalogueItem.objects.get(name="理发一次")
    for _ in range(2):
        assert c.post("/points/", {"op": "redeem", "item": item.pk}).status_code == 302
    resp = c.post("/points/", {"op": "redeem", "item": item.pk})
    assert resp.status_code == 400 and "积分不足" in resp.content.decode()
    assert Participant.objects.get(pk=member.pk).balance == 2
    assert c.post("/points/", {"op": "redeem", "item": "x"}).status_code == 400


def test_a_wrong_code_counts_and_five_wrong_tries_burn_the_code(member, sms):
    c = Client()
    code = sms(c)
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(access.MAX_ATTEMPTS):
        resp = c.post("/points/", {"op": "verify", "phone": PHONE, "code": wrong})
        assert resp.status_code == 400 and "验证码错误或已失效" in resp.content.decode()
        assert "还可尝试" not in resp.content.decode()  # how many tries are left is not told
    resp = c.post("/points/", {"op": "verify", "phone": PHONE, "code": code})
    assert resp.status_code == 400 and "验证码错误或已失效" in resp.content.decode()  # the right code, too late
    assert "积分余额" not in c.get("/points/").content.decode()


def test_a_phone_that_asked_for_no_code_gets_the_same_answer_as_a_wrong_code(member, sms):
    never = Client().post("/points/", {"op": "verify", "phone": "13700001234", "code": "123456"})
    c = Client()
    code = sms(c)
    wrong = c.post("/points/", {"op": "verify", "phone": PHONE, "code": "000000" if code != "000000" else "111111"})
    assert never.status_code == wrong.status_code == 400
    def message(resp):
        html = resp.content.decode()
        return re.findall(r"验证码[^<]*", html)

    assert message(never) == message(wrong) and "验证码错误或已失效，请核对或重新获取" in message(never)


def test_signing_in_spends_every_earlier_code_of_the_phone(member, sms):
    c = Client()
    first = sms(c)
    second = sms(c)
    assert c.post("/points/", {"op": "verify", "phone": PHONE, "code": second}).status_code == 302
    other = Client()
    resp = other.post("/points/", {"op": "verify", "phone": PHONE, "code": first})
    assert resp.status_code == 400 and "积分余额" not in other.get("/points/").content.decode()


def test_guesses_at_one_phone_are_capped_a_day_from_any_address(member, sms, settings):
    c = Client()
    sms(c)
    for i in range(access.CHECKS_PER_DAY):
        Client(REMOTE_ADDR=f"127.0.{i // 200}.{i % 200 + 1}").post("/points/", {"op": "verify", "phone": PHONE, "code": "999999"})
    resp = Client(REMOTE_ADDR="127.9.9.9").post("/points/", {"op": "verify", "phone": PHONE, "code": "999999"})
    assert resp.status_code == 429 and "上限" in resp.content.decode()


def test_an_expired_code_is_refused(member, sms):
    c = Client()
    code = sms(c)
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    resp = c.post("/points/", {"op": "verify", "phone": PHONE, "code": code})
    assert resp.status_code == 400 and "已失效" in resp.content.decode()


def test_a_bad_phone_is_a_field_error_and_sending_is_throttled(city, sms):
    c = Client()
    resp = c.post("/points/", {"op": "send", "phone": "12345"})
    assert resp.status_code == 400 and "11位手机号码" in resp.content.decode()
    for _ in range(3):
        sms(c)
    resp = c.post("/points/", {"op": "send", "phone": PHONE})
    assert resp.status_code == 429 and "频繁" in resp.content.decode()


def test_a_phone_with_no_points_yet_sees_zero(city, sms):
    c = signed_in_client(sms)
    page = c.get("/points/").content.decode()
    assert "<strong>0</strong>" in page and "暂无积分记录" in page


def test_sign_out_closes_the_page(member, sms):
    c = signed_in_client(sms)
    c.post("/points/", {"op": "logout"})
    assert "积分余额" not in c.get("/points/").content.decode()


# --- staff ----------------------------------------------------------------------------------------

def staff(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_ranking_masks_names_and_phones_and_is_scoped(city, member):
    other = Participant.objects.create(phone="13900001111", name="李四", community=city.community_b)
    services._write(other, None, EntryKind.AWARD, 30, "test:seed", "测试", timezone.now())
    page = staff(city.operator_a).get("/points/ranking/").content.decode()
    assert "张**" in page and "138****7777" in page and "张三丰" not in page and PHONE not in page
    assert "李" not in page.split("points-ranking")[1]  # community B is outside township A
    county = staff(city.leader_county).get("/points/ranking/").content.decode()
    assert county.index("李**") < county.index("张**")  # 30 before 12
    assert staff(city.operator_a).get(f"/points/ranking/?community={city.community_b.code}").status_code == 404
    assert Client().get("/points/ranking/").status_code == 302  # staff only


def test_staff_confirm_and_cancel_on_the_redemptions_page(city, member):
    item = CatalogueItem.objects.get(name="理发一次")
    r1 = services.request_redemption(member.phone_hash, item.pk)
    r2 = services.request_redemption(member.phone_hash, item.pk)
    c = staff(city.operator_a)
    page = c.get("/points/redemptions/").content.decode()
    assert "理发一次" in page and "张**" in page
    assert c.post(f"/points/redemptions/{r1.pk}/confirm/").status_code == 302
    assert c.post(f"/points/redemptions/{r2.pk}/cancel/").status_code == 302
    assert Redemption.objects.get(pk=r1.pk).status == "handed_over"
    assert Redemption.objects.get(pk=r2.pk).status == "cancelled"
    assert Participant.objects.get(pk=member.pk).balance == 7
    r3 = services.request_redemption(member.phone_hash, item.pk)
    out = staff(city.operator_b)
    assert "理发一次" not in out.get("/points/redemptions/").content.decode()
    assert out.post(f"/points/redemptions/{r3.pk}/confirm/").status_code == 404
    assert Redemption.objects.get(pk=r3.pk).status == "requested"


def test_equal_points_share_a_rank_and_spending_does_not_lower_it(city, member):
    # member: 12 earned (the fixture); two more in the same community with 12 and 5
    twin = Participant.objects.create(phone="13900002222", name="王五", community=member.community)
    services._write(twin, None, EntryKind.AWARD, 12, "test:twin", "测试", timezone.now())
    low = Participant.objects.create(phone="13900003333", name="赵六", community=member.community)
    services._write(low, None, EntryKind.AWARD, 5, "test:low", "测试", timezone.now())
    services._write(twin, None, EntryKind.REDEEM, -10, "test:spend", "测试", timezone.now())
    rows = services.ranking(city.operator_a)
    assert [(r["rank"], r["earned"]) for r in rows] == [(1, 12), (1, 12), (3, 5)]
    assert Participant.objects.get(pk=twin.pk).earned == 12 and Participant.objects.get(pk=twin.pk).balance == 2


def test_the_migration_fills_earned_from_the_ledger(city, member):
    import importlib

    from django.apps import apps

    services._write(member, None, EntryKind.REVERSAL, -5, "test:rev", "测试", timezone.now())
    services._write(member, None, EntryKind.REDEEM, -3, "test:spend", "测试", timezone.now())
    Participant.objects.update(earned=0)  # a database from before the column
    importlib.import_module("gridgov.points.migrations.0005_participant_earned").fill_earned(apps, None)
    assert Participant.objects.get(pk=member.pk).earned == 12 - 5
