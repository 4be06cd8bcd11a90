"""/api/v1/stats/… (api_reports)."""

from ninja import Router

router = Router()
