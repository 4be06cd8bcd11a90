"""Warnings for the demo city: the engine run over the demo's events, disputes, petitions and key persons
(called by demo.services.load_demo). Running it again raises nothing twice: a condition that still holds
updates its open warning."""

from __future__ import annotations

from gridgov.warnings.engine import run_rules
from gridgov.warnings.models import Warning


def generate_warnings(log=None) -> dict:
    counts = run_rules()
    if log:
        opened = sum(c.get("opened", 0) for c in counts.values())
        log(f"预警：新发出 {opened} 条，现有未解除 {Warning.objects.open().count()} 条")
    return counts
