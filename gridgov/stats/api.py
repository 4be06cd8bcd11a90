"""``/api/v1/stats/…``: the statistics, evaluation and reports, scope-checked like every other endpoint.

One router, filled by three modules (summaries and the map, evaluation and rankings, reports).
"""

from ninja import Router

router = Router(tags=["统计考核"])

from gridgov.stats import api_evaluation, api_reports, api_summary  # noqa: E402  (they add to ``router``)

router.add_router("", api_summary.router)
router.add_router("", api_evaluation.router)
router.add_router("", api_reports.router)
