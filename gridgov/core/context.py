from django.conf import settings


def site(request):
    return {"GRIDGOV": settings.GRIDGOV}
