"""Attachments live wherever the ``default`` storage says (docs/scaling.md: an S3-compatible store on several
app servers): nothing in the upload or download path assumes a local folder."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.events import services
from gridgov.testing import image_bytes

NEW = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405, "address": "古城路1号"}


def test_attachments_are_stored_and_served_through_the_configured_storage(city, cats, client, settings):
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    png = image_bytes()
    event, _ = services.create_event(city.worker_a, services.EventInput(
        **NEW, attachments=[SimpleUploadedFile("a.png", png, content_type="image/png")]))
    att = event.attachments.get()
    assert att.file.storage.exists(att.file.name)
    # not a byte on the local disk
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    client.force_login(city.operator_a)
    r = client.get(att.url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == att.file.storage.open(att.file.name).read()
    assert r["Content-Type"] == "image/png"
