"""The "analysis.warnings" slot: the numbers of a region and a period."""

from datetime import date, timedelta

from gridgov.core import providers
from gridgov.warnings.engine import upsert
from gridgov.warnings.models import Warning
from gridgov.warnings.services import perform_action
from gridgov.warnings.tests.conftest import T0, signal


def test_the_provider_counts_the_warnings_of_the_region_and_period(city):
    upsert([signal(level="yellow"), signal(key="k2", level="red", rule="care_gap"),
            signal(code="371502002001001", key="k3", level="orange")], now=T0)
    upsert([signal(key="k4", level="blue")], now=T0 + timedelta(days=40))  # another month
    w = Warning.objects.get(key="k2")
    perform_action(city.operator_a, w, "false_alarm", {"note": "误报"})
    [out] = providers.collect("analysis.warnings", "371502001", date(2026, 11, 1), date(2026, 11, 30))
    assert out["opened"] == 2 and out["open_now"] == 2  # k1 and k4 are open; k3 is another township's
    assert out["by_level"] == {"blue": 0, "yellow": 1, "orange": 0, "red": 1}
    assert out["by_rule"] == {"care_gap": 1, "hotspot": 1} and out["rule_labels"]["care_gap"] == "关爱帮扶缺位"
    assert [t["level"] for t in out["top"]] == ["red", "yellow"]
    top = out["top"][0]
    assert top["status"] == "false_alarm" and top["status_label"] == "误报" and top["link"] == f"/warnings/{w.number}/"
    [county] = providers.collect("analysis.warnings", "371502", date(2026, 11, 1), date(2026, 11, 30))
    assert county["opened"] == 3
