from django.db import migrations

DEFAULTS = [
    ("report_accepted", "上报被受理", 5, 20),
    ("followup_useful", "有效回访", 2, None),
    ("hazard_confirmed", "安全隐患核实", 10, None),
]


def add_defaults(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    for code, name, points, cap in DEFAULTS:
        PointRule.objects.get_or_create(code=code, defaults={"name": name, "points": points, "daily_cap": cap})


def remove_defaults(apps, schema_editor):
    apps.get_model("points", "PointRule").objects.filter(code__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
