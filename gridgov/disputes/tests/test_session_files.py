"""Mediation session files are stored re-encoded (pictures) and downloaded with their stored type,
``nosniff`` and, unless they are a re-encoded picture, as an attachment — by the web page and the API."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridgov.accounts.models import ApiToken
from gridgov.disputes import services
from gridgov.testing import image_bytes

from .test_workflow import SESSION, S, drive

HTML = b"<html><script>alert(1)</script></html>"


def test_session_files_are_re_encoded_and_served_with_honest_headers(make_dispute, city, mediators, client):
    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    services.perform_action(mediators["a"].user, d, "session", SESSION)
    session = d.sessions.get()
    photo = services.add_session_attachment(session, SimpleUploadedFile("a.jpg", image_bytes("JPEG") + HTML,
                                                                        content_type="image/jpeg"))
    audio = services.add_session_attachment(session, SimpleUploadedFile(
        "a.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64 + HTML, content_type="audio/mpeg"))
    _t, raw = ApiToken.issue(mediators["a"].user)
    client.force_login(mediators["a"].user)
    for url, headers in ((f"/api/v1/disputes/attachments/{photo.pk}", {"Authorization": f"Bearer {raw}"}),
                         (f"/disputes/files/{photo.pk}/", {})):
        r = client.get(url, headers=headers)
        body = b"".join(r.streaming_content)
        assert r.status_code == 200 and b"<script" not in body and Image.open(io.BytesIO(body)).format == "JPEG"
        assert r["Content-Type"] == "image/jpeg" and r["X-Content-Type-Options"] == "nosniff"
        assert r["Content-Disposition"].startswith("inline;")
    for url, headers in ((f"/api/v1/disputes/attachments/{audio.pk}", {"Authorization": f"Bearer {raw}"}),
                         (f"/disputes/files/{audio.pk}/", {})):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r["Content-Type"] == "audio/mpeg"
        assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Disposition"].startswith("attachment;")
