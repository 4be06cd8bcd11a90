"""/api/v1/stats/… (api_summary)."""

from ninja import Router

router = Router()
