"""Uploaded pictures are decoded and re-encoded (Pillow) before they are stored, and every download says
what it is: a file that starts like a JPEG and goes on as HTML is never served as something a browser
renders.  One upload path (cases.uploads.store_upload) serves events, petitions, sessions and visits."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridgov.accounts.models import ApiToken
from gridgov.cases import uploads
from gridgov.core.errors import ValidationFailed
from gridgov.events import services
from gridgov.events.models import Attachment
from gridgov.testing import image_bytes

NEW = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405, "address": "古城路1号"}
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
JPEG_MAGIC = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def upload(client, user, number, data, name="photo.jpg", ctype="image/jpeg"):
    _t, raw = ApiToken.issue(user)
    f = SimpleUploadedFile(name, data, content_type=ctype)
    return client.post(f"/api/v1/events/{number}/attachments", {"file": f}, headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def event(city, cats):
    e, _ = services.create_event(city.worker_a, services.EventInput(**NEW))
    return e


def test_a_jpeg_prefixed_html_file_is_refused_and_nothing_is_kept(city, event, client, settings):
    r = upload(client, city.worker_a, event.number, JPEG_MAGIC + HTML)
    assert r.status_code == 422
    assert r.json()["fields"]["file"] == ["图片无法识别或已损坏，请重新拍摄或选择其他图片"]
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_a_real_picture_with_html_appended_comes_back_re_encoded_without_it(city, event, client):
    polyglot = image_bytes("JPEG", size=(16, 16)) + HTML  # decodes (the decoder stops at the end marker)
    r = upload(client, city.worker_a, event.number, polyglot)
    assert r.status_code == 201
    att = Attachment.objects.get()
    stored = att.file.open("rb").read()
    assert b"<script" not in stored and b"<html" not in stored and stored != polyglot
    assert att.content_type == "image/jpeg" and att.size == len(stored)
    assert Image.open(io.BytesIO(stored)).size == (16, 16)
    served = client.get(f"/api/v1/attachments/{att.pk}", headers=_bearer(city.worker_a))
    body = b"".join(served.streaming_content)
    assert body == stored and b"<script" not in body
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;")


def test_metadata_is_dropped_and_the_orientation_applied(city, event, client):
    img = Image.new("RGB", (40, 20), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (36.0, 24.0, 18.0)  # GPSLatitudeRef / GPSLatitude
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert b"PhoneMaker" in buf.getvalue()
    assert upload(client, city.worker_a, event.number, buf.getvalue()).status_code == 201
    stored = Attachment.objects.get().file.open("rb").read()
    out = Image.open(io.BytesIO(stored))
    assert out.size == (20, 40)  # turned as the phone meant it
    assert not out.getexif() and b"PhoneMaker" not in stored and b"Exif" not in stored


def test_a_transparent_webp_becomes_a_png_and_a_plain_one_a_jpeg(city, event, client):
    clear = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 0)).save(clear, "WEBP", lossless=True)
    assert upload(client, city.worker_a, event.number, clear.getvalue(), "a.webp", "image/webp").status_code == 201
    solid = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(solid, "WEBP")
    assert upload(client, city.worker_a, event.number, solid.getvalue(), "b.webp", "image/webp").status_code == 201
    assert sorted(Attachment.objects.values_list("content_type", "extension")) == [
        ("image/jpeg", ".jpg"), ("image/png", ".png")]


def test_a_decompression_bomb_is_refused(city, event, client):
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, "PNG")  # 81 megapixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    r = upload(client, city.worker_a, event.number, bomb.getvalue(), "a.png", "image/png")
    assert r.status_code == 422 and "百万像素" in r.json()["fields"]["file"][0]
    assert not Attachment.objects.exists()


def test_recordings_are_stored_as_sent_and_served_as_downloads(city, event, client):
    mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64 + HTML
    assert upload(client, city.worker_a, event.number, mp3, "a.mp3", "audio/mpeg").status_code == 201
    att = Attachment.objects.get()
    assert att.kind == "audio" and att.file.open("rb").read() == mp3
    for url, headers in ((f"/api/v1/attachments/{att.pk}", _bearer(city.worker_a)), (att.url, {})):
        client.force_login(city.worker_a)
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r["Content-Type"] == "audio/mpeg"
        assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Disposition"].startswith("attachment;")


def test_every_upload_path_refuses_a_disguised_page(city, cats):
    """The petition, session and visit uploads go through the same check."""
    from gridgov.petitions import services as petitions

    fake = SimpleUploadedFile("x.jpg", JPEG_MAGIC + HTML, content_type="image/jpeg")
    with pytest.raises(ValidationFailed):
        uploads.validate_upload(fake)
    with pytest.raises(ValidationFailed) as err:
        petitions.create_petition(city.operator_a, petitions.PetitionInput(
            channel="letter", subject="小区物业乱收费", demands="要求物业退还多收的物业费", target_agency="某物业公司",
            petitioners=[petitions.PetitionerInput(name="孙信访", phone="13800138000")],
            attachments=[SimpleUploadedFile("x.jpg", JPEG_MAGIC + HTML, content_type="image/jpeg")]))
    assert "attachments" in err.value.fields


def test_petition_attachments_are_served_re_encoded_with_their_headers(city, cats, client):
    from gridgov.petitions import services as petitions

    p = petitions.create_petition(city.operator_a, petitions.PetitionInput(
        channel="letter", subject="小区物业乱收费", demands="要求物业退还多收的物业费", target_agency="某物业公司",
        petitioners=[petitions.PetitionerInput(name="孙信访", phone="13800138000")],
        attachments=[SimpleUploadedFile("letter.png", image_bytes() + HTML, content_type="image/png")]))
    att = p.attachments.get()
    client.force_login(city.operator_a)
    r = client.get(f"/petitions/attachments/{att.pk}/")
    body = b"".join(r.streaming_content)
    assert r.status_code == 200 and b"<script" not in body and Image.open(io.BytesIO(body)).format == "PNG"
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"


def _bearer(user):
    _t, raw = ApiToken.issue(user)
    return {"Authorization": f"Bearer {raw}"}
