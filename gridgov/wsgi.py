import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Work a web process does once as it starts, in the background, so that no user waits for it."""
    from django.conf import settings

    if settings.GRIDGOV["CONSULT_WARM_UP"]:
        from gridgov.laws.consult import warm_up_in_background

        warm_up_in_background()


_warm_up()
