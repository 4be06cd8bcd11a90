from gridgov.events.models import Category


def test_an_administrator_edits_a_category_time_limit(city, cats, client):
    client.force_login(city.admin)
    cat = Category.objects.get(code="0302")
    r = client.get(f"/admin/events/category/{cat.pk}/change/")
    assert r.status_code == 200
    data = {"code": "0302", "name": "私搭乱建", "parent": cat.parent_id, "urgency": "normal", "time_limit": 10,
            "time_unit": "working_days", "active": "on", "order": cat.order,
            "children-TOTAL_FORMS": 0, "children-INITIAL_FORMS": 0}
    r = client.post(f"/admin/events/category/{cat.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    cat.refresh_from_db()
    assert cat.time_limit == 10


def test_the_admin_keeps_the_taxonomy_two_levels_and_limits_positive(city, cats, client):
    client.force_login(city.admin)
    cat, leaf = Category.objects.get(code="0302"), Category.objects.get(code="0301")
    data = {"code": "0302", "name": "私搭乱建", "parent": leaf.pk, "urgency": "normal", "time_limit": 0,
            "time_unit": "working_days", "active": "on", "order": cat.order,
            "children-TOTAL_FORMS": 0, "children-INITIAL_FORMS": 0}
    r = client.post(f"/admin/events/category/{cat.pk}/change/", data)
    assert r.status_code == 200  # the form again, with the errors
    body = r.content.decode()
    assert "分类只有两级" in body and "处置时限至少为1" in body
    cat.refresh_from_db()
    assert cat.parent_id != leaf.pk and cat.time_limit == 7


def test_events_cannot_be_edited_or_deleted_in_the_admin(city, report, client):
    e = report()
    client.force_login(city.admin)
    assert client.get(f"/admin/events/event/{e.pk}/change/").status_code == 200
    client.post(f"/admin/events/event/{e.pk}/change/", {"status": "closed"})
    e.refresh_from_db()
    assert e.status == "reported"
    assert client.get(f"/admin/events/event/{e.pk}/delete/").status_code == 403


def test_user_and_department_admin_pages_open(city, client):
    client.force_login(city.admin)
    for url in ("/admin/accounts/user/", f"/admin/accounts/user/{city.worker_a.pk}/change/",
                "/admin/accounts/department/", "/admin/accounts/user/add/"):
        assert client.get(url).status_code == 200, url
