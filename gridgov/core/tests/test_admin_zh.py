"""/admin/ speaks Chinese: the site's header and title, every app, model, column, filter and field label of
every registered ModelAdmin and its inlines (gridgov's own and the third-party ones: django-axes,
django-tasks-db), so a new English label fails here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.utils import translation

CJK = re.compile(r"[\u4e00-\u9fff]")
ALLOWED = {"ID"}  # the primary key's label: an accepted term in Chinese interfaces


def _labels():
    """(where, label) of everything the admin names: apps, models, fields, columns, filters, form fields."""
    for model, model_admin in admin.site._registry.items():
        pairs = [(model, model_admin)] + [(i.model, i(model, admin.site)) for i in model_admin.inlines]
        for m, ma in pairs:
            opts = m._meta
            yield f"{opts.label} app", opts.app_config.verbose_name
            yield f"{opts.label} verbose_name", opts.verbose_name
            yield f"{opts.label} verbose_name_plural", opts.verbose_name_plural
            for f in opts.get_fields():
                if (f.auto_created and not f.concrete) or f.primary_key:
                    continue
                yield f"{opts.label}.{f.name}", f.verbose_name
            names = [*getattr(ma, "list_display", ()), *getattr(ma, "readonly_fields", ()),
                     *(n for n in getattr(ma, "list_filter", ()) if isinstance(n, str)),
                     *(n for n in (getattr(ma, "fields", None) or ()) if isinstance(n, str))]
            for name in names:
                if name in ("action_checkbox", "__str__", "id", "pk"):
                    continue
                yield f"{type(ma).__name__}.{name}", label_for_field(name, m, ma)


def test_every_admin_label_is_chinese():
    with translation.override("zh-hans"):
        english = sorted({f"{where}: {label}" for where, label in _labels()
                          if str(label) not in ALLOWED and not CJK.search(str(label))})
    assert not english, "English labels in /admin/:\n" + "\n".join(english)


def test_the_walk_sees_the_third_party_tables_and_the_log_columns():
    with translation.override("zh-hans"):
        labels = {where: str(label) for where, label in _labels()}
    assert labels["axes.AccessAttempt.username"] == "用户名"
    assert labels["django_tasks_database.DBTaskResult.enqueued_at"] == "入队时间"
    assert labels["axes.AccessAttempt app"] == "登录安全"
    assert labels["DisputeLogAdmin.from_status_name"] == "原状态"
    assert labels["events.EventLog.actor_label"] == "操作人(显示名)"


@pytest.mark.django_db
def test_the_admin_pages_carry_the_products_name_not_djangos(city, client):
    from axes.models import AccessAttempt

    from gridgov.registry.models import Change

    AccessAttempt.objects.create(username="nobody", ip_address="127.0.0.1", user_agent="pytest", http_accept="*/*",
                                 path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1)
    Change.objects.create(model="house", object_id=1, action="create", actor=city.admin, changes={}, source="web")
    client.force_login(city.admin)
    body = client.get("/admin/").content.decode()
    assert "市域社会治理平台 管理" in body and "Django" not in body
    for url in ("/admin/axes/accessattempt/", "/admin/registry/change/"):
        page = client.get(url)
        assert page.status_code == 200, url
        headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)[^"]*">.*?<(?:a|span)[^>]*>([^<]+)<',
                             page.content.decode(), re.S)
        assert headers and all(CJK.search(text) for _name, text in headers), (url, headers)


@pytest.mark.django_db
def test_registry_audit_rows_show_names_not_codes(city, client):
    from gridgov.registry.models import Change

    Change.objects.create(model="resident", object_id=1, action="update", actor=city.admin, changes={},
                          source="import:residents.xlsx")
    client.force_login(city.admin)
    body = client.get("/admin/registry/change/").content.decode()
    assert "实有人口" in body or "人口" in body
    assert "修改" in body and "导入 residents.xlsx" in body
    assert ">resident<" not in body and ">update<" not in body


def test_the_compiled_catalog_matches_its_source(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (gettext) is not installed")
    po = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    out = tmp_path / "django.mo"
    subprocess.run([msgfmt, "-o", str(out), str(po)], check=True)
    assert out.read_bytes() == po.with_suffix(".mo").read_bytes(), "run msgfmt on locale/zh_Hans (see the .po header)"
