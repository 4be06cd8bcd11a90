"""The one upload store: every app's photos, recordings and videos (event, petition and mediation-session
attachments, visit photos) are checked by their content and size, photos re-encoded, stored under their
SHA-256 and served with their stored content type and ``nosniff``.

The rules (types, limits, the re-encoding) are in docs/operations.md.
"""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed

# (kind, content type, extension, test on the first bytes)
_SIGNATURES = [
    ("photo", "image/jpeg", ".jpg", lambda b: b[:3] == b"\xff\xd8\xff"),
    ("photo", "image/png", ".png", lambda b: b[:8] == b"\x89PNG\r\n\x1a\n"),
    ("photo", "image/webp", ".webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    ("photo", "image/heic", ".heic", lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"heic", b"heix", b"mif1")),
    ("audio", "audio/mpeg", ".mp3", lambda b: b[:3] == b"ID3" or (b[0:1] == b"\xff" and b[1] & 0xE0 == 0xE0)),
    ("audio", "audio/amr", ".amr", lambda b: b[:6] == b"#!AMR\n"),
    ("audio", "audio/wav", ".wav", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE"),
    ("audio", "audio/ogg", ".ogg", lambda b: b[:4] == b"OggS"),
    ("audio", "audio/mp4", ".m4a", lambda b: b[4:8] == b"ftyp" and b[8:11] == b"M4A"),
    ("video", "video/quicktime", ".mov", lambda b: b[4:8] == b"ftyp" and b[8:10] == b"qt"),
    ("video", "video/mp4", ".mp4", lambda b: b[4:8] == b"ftyp"),
    ("video", "video/webm", ".webm", lambda b: b[:4] == b"\x1a\x45\xdf\xa3"),
]


def sniff(head: bytes) -> tuple[str, str, str] | None:
    """(kind, content type, extension) from a file's first bytes, or None when not a known media type."""
    if len(head) < 12:
        return None
    for kind, ctype, ext, test in _SIGNATURES:
        if test(head):
            return kind, ctype, ext
    return None


# Photos are decoded and re-encoded (Pillow): what is stored and served is pixels we wrote, never the bytes
# that were sent, so a file that starts like a JPEG and goes on as HTML is refused (it does not decode) or
# comes back as a plain image; EXIF (GPS position, device, time) and other metadata are dropped, the
# orientation applied.  HEIC is kept as sent (Pillow has no decoder for it) and always served as a download.
REENCODED_TYPES = {"image/jpeg", "image/png"}
MAX_IMAGE_PIXELS = 50_000_000  # ~ an 8K × 6K camera picture; more is a decompression bomb, not a photo
JPEG_QUALITY = 85


def _reencode(upload, ctype: str, name: str) -> tuple[bytes, str, str]:
    """(bytes, content type, extension) of the re-encoded picture; ValidationFailed when it does not decode."""
    import warnings

    from PIL import Image, ImageOps

    refused = ValidationFailed(_("文件“%(name)s”不是有效的图片") % {"name": name},
                               {"file": [_("图片无法识别或已损坏，请重新拍摄或选择其他图片")]})
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(upload)
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise ValidationFailed(_("图片“%(name)s”尺寸过大") % {"name": name},
                                       {"file": [_("图片不能超过 %(mp)d 百万像素") % {"mp": MAX_IMAGE_PIXELS // 1_000_000}]})
            img.load()
            img = ImageOps.exif_transpose(img)  # the orientation applied to the pixels, the tag gone with the rest
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure (truncated, not an image, bomb) is the same answer
        raise refused from None
    finally:
        upload.seek(0)
    icc = img.info.get("icc_profile")  # colour, not personal: kept so the picture looks the same
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    out = io.BytesIO()
    if ctype == "image/png" or alpha:
        img = img.convert("RGBA" if alpha else "RGB") if img.mode not in ("RGB", "RGBA", "L", "LA") else img
        img.info = {}
        img.save(out, "PNG", **({"icc_profile": icc} if icc else {}))
        return out.getvalue(), "image/png", ".png"
    img = img.convert("RGB") if img.mode not in ("RGB", "L") else img
    img.info = {}
    img.save(out, "JPEG", quality=JPEG_QUALITY, **({"icc_profile": icc} if icc else {}))
    return out.getvalue(), "image/jpeg", ".jpg"


def validate_upload(upload) -> tuple[str, str, str]:
    """(kind, content type, extension) of an acceptable upload — for a photo, of its re-encoded form, which
    :func:`store_upload` then stores (kept on the upload, so it is decoded once)."""
    cached = getattr(upload, "_gridgov_checked", None)
    if cached is not None:
        return cached[0]
    head = upload.read(32)
    upload.seek(0)
    sniffed = sniff(head)
    name = getattr(upload, "name", "file")
    if sniffed is None:
        raise ValidationFailed(
            _("文件“%(name)s”不是支持的照片、音频或视频格式") % {"name": name},
            {"file": [_("仅支持 JPG/PNG/WEBP/HEIC 照片、MP3/AMR/WAV/OGG/M4A 音频和 MP4/MOV/WEBM 视频")]},
        )
    kind = sniffed[0]
    limit = settings.GRIDGOV["MAX_PHOTO_BYTES"] if kind == "photo" else settings.GRIDGOV["MAX_MEDIA_BYTES"]
    if upload.size > limit:
        raise ValidationFailed(
            _("文件“%(name)s”过大") % {"name": name},
            {"file": [_("文件不能超过 %(mb)d MB") % {"mb": limit // (1024 * 1024)}]},
        )
    clean = None
    if kind == "photo" and sniffed[1] != "image/heic":
        clean, ctype, ext = _reencode(upload, sniffed[1], name)
        sniffed = (kind, ctype, ext)
    upload._gridgov_checked = (sniffed, clean)
    return sniffed


def store_upload(row, upload):
    """Check ``upload`` by content and size, describe it on ``row`` (whichever of kind, content_type,
    extension, size, sha256 and original_name its model has), store the file under its SHA-256 and save
    the row. The one way every app keeps an uploaded photo, recording or video; a photo is stored
    re-encoded (see :func:`validate_upload`)."""
    from django.core.files.base import ContentFile

    kind, ctype, ext = validate_upload(upload)
    clean = upload._gridgov_checked[1]
    digest = hashlib.sha256()
    if clean is not None:
        digest.update(clean)
        content, size = ContentFile(clean), len(clean)
    else:
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        content, size = upload, upload.size
    described = {"kind": kind, "content_type": ctype, "extension": ext, "size": size,
                 "sha256": digest.hexdigest(), "original_name": str(getattr(upload, "name", ""))[:200]}
    names = {f.name for f in row._meta.concrete_fields}
    for name, value in described.items():
        if name in names:
            setattr(row, name, value)
    row.file.save(f"{described['sha256']}{ext}", content, save=False)
    row.save()
    return row


def serve_upload(row, cache: str = "private, max-age=3600"):
    """The stored file of an attachment row (event, petition, session or visit photo) with its stored
    content type and ``nosniff``.  Only the JPEG/PNG types our re-encoding writes are shown inline (with
    ``nosniff`` a browser takes them as images and nothing else); anything else (audio, video, HEIC, a WEBP
    stored before re-encoding) is a download (``Content-Disposition: attachment``), so no upload is ever
    rendered by the browser as a page."""
    from django.http import FileResponse

    ctype = row.content_type or "application/octet-stream"
    ext = getattr(row, "extension", "") or ""
    sha = getattr(row, "sha256", "") or ""
    filename = f"{sha[:16] or row.pk}{ext}"
    inline = ctype in REENCODED_TYPES
    resp = FileResponse(row.file.open("rb"), content_type=ctype)
    resp["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = cache
    return resp
