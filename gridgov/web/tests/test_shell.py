"""The shell: login, the role landing (home), the header, the citizens' landing page, logout, lockout.

Moved from gridgov/web/tests/test_pages.py (the event pages' tests went to gridgov/events/tests/)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.testing import PASSWORD


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response) -> str:
    return response.content.decode()


# --- login and home ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, target",
    [
        ("worker_a", "events:mine"),
        ("operator_a", "events:list"),
        ("liaison_cg", "events:inbox"),
        ("leader_a", "events:list"),
        ("admin", "events:list"),
    ],
)
def test_login_works_and_home_redirects_by_role(city, who, target):
    user = getattr(city, who)
    c = Client()
    r = c.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302 and r.url == reverse("home")
    r = c.get(reverse("home"))
    assert r.status_code == 302 and r.url == reverse(target)
    r = c.get(r.url)
    assert r.status_code == 200
    assert user.display_name in text(r) and user.get_role_display() in text(r)


def test_the_header_names_the_center_or_department(city):
    assert "古楼街道综治中心" in text(as_user(city.operator_a).get(reverse("events:list")))
    assert "区城管局" in text(as_user(city.liaison_cg).get(reverse("events:inbox")))


def test_an_admin_gets_a_link_to_the_admin_site(city):
    assert 'href="/admin/"' in text(as_user(city.admin).get(reverse("events:list")))


def test_anonymous_home_is_the_citizen_landing_page(client, city):
    r = client.get("/")
    assert r.status_code == 200
    body = text(r)
    assert reverse("web:citizen_report") in body and reverse("web:citizen_track") in body and reverse("login") in body


def test_pages_for_staff_send_anonymous_visitors_to_login(client, city):
    for url in (reverse("events:list"), reverse("events:new"), reverse("events:inbox"), reverse("web:notifications")):
        r = client.get(url)
        assert r.status_code == 302 and r.url.startswith(reverse("login"))


def test_logout_is_a_post(city):
    c = as_user(city.worker_a)
    assert c.get(reverse("logout")).status_code == 405
    assert c.post(reverse("logout")).status_code == 302
    assert c.get(reverse("events:mine")).status_code == 302


def test_five_bad_logins_show_the_locked_out_page(client, city):
    for _ in range(5):
        r = client.post(reverse("login"), {"username": "worker_a", "password": "wrong-password"})
    r = client.post(reverse("login"), {"username": "worker_a", "password": PASSWORD})
    assert r.status_code in (403, 429)  # whichever django-axes' lockout handler answers
    assert "registration/locked_out.html" in [t.name for t in r.templates]
    assert "账号已临时锁定" in text(r) and "15" in text(r)
    # the right password does not get through while locked
    assert "_auth_user_id" not in client.session


def test_a_bad_password_shows_the_form_again(client, city):
    r = client.post(reverse("login"), {"username": "worker_a", "password": "wrong-password"})
    assert r.status_code == 200 and "alert-error" in text(r)
