"""/api/v1/stats/… (api_evaluation)."""

from ninja import Router

router = Router()
