"""Uploaded frames: the checks Chanjing applies, then a clean copy made before anything is stored.

`clean_frame` decodes every frame and encodes it again with Pillow, so what the studio stores,
serves to members and sends to the provider is only the picture: turned upright as the camera
meant (EXIF orientation applied), with no EXIF, GPS position, XMP, comment or embedded
thumbnail, and nothing that was appended after the image data (a ZIP, a script). A colour
profile is applied (the pixels are converted to sRGB) and then dropped too, since a profile can
carry text of its own.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A stored frame is named after what it is, never after the name it was uploaded with.
FRAME_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MIN_SHORT_SIDE = 300
MAX_LONG_SIDE = 6000
MIN_RATIO = 0.4
MAX_RATIO = 2.5
# EXIF orientations that turn the picture a quarter: its upright width is the stored height.
_QUARTER_TURNS = {5, 6, 7, 8}
_EXIF_ORIENTATION = 0x0112
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 95},
    "PNG": {"optimize": False},
    "WEBP": {"quality": 95},
}
_MODES = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "LA"), "WEBP": ("RGB", "RGBA")}


def clean_frame(upload: UploadedFile[bytes], name: str) -> UploadedFile[bytes]:
    """Check an uploaded frame and return a clean copy named `name` plus its type's extension.

    Raises ValidationError with the reason a person can act on.
    """
    _width, _height, mime = check_frame(upload)
    image_format = next(fmt for fmt, known in ALLOWED_FORMATS.items() if known == mime)
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            picture = _upright_srgb(image, image_format)
        buffer = io.BytesIO()
        picture.save(buffer, format=image_format, **_SAVE_OPTIONS[image_format])
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not an image we can read."), code="unreadable") from None
    finally:
        upload.seek(0)
    return SimpleUploadedFile(f"{name}{FRAME_EXTENSIONS[mime]}", buffer.getvalue(), content_type=mime)


def _upright_srgb(image: Image.Image, image_format: str) -> Image.Image:
    """The decoded pixels only: orientation applied, colours in sRGB, in a mode the format keeps."""
    profile = image.info.get("icc_profile")
    picture = ImageOps.exif_transpose(image)
    if picture.mode not in ("RGB", "RGBA", "L", "LA"):
        picture = picture.convert(
            "RGBA" if "A" in picture.getbands() or "transparency" in picture.info else "RGB"
        )
    if profile:
        picture = _to_srgb(picture, profile)
    if picture.mode not in _MODES[image_format]:
        picture = picture.convert("RGBA" if "A" in picture.mode and "RGBA" in _MODES[image_format] else "RGB")
    # A fresh image holds no info (exif, xmp, comment, icc_profile) to be written back.
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    return clean


def _to_srgb(picture: Image.Image, profile: bytes) -> Image.Image:
    if picture.mode not in ("RGB", "RGBA"):
        return picture  # grey images keep their grey values
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            picture, source, ImageCms.createProfile("sRGB"), outputMode=picture.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture  # a broken profile: keep the pixels as they are
    return converted if converted is not None else picture


def _upright_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    try:
        orientation = image.getexif().get(_EXIF_ORIENTATION)
    except (OSError, ValueError, SyntaxError):
        orientation = None
    return (height, width) if orientation in _QUARTER_TURNS else (width, height)


def check_frame(upload: UploadedFile[bytes]) -> tuple[int, int, str]:
    """Validate an uploaded frame without decoding its pixels; returns its upright (width, height,
    mime type) or raises ValidationError."""
    if (upload.size or 0) > settings.FRAME_MAX_BYTES:
        raise ValidationError(
            _("The image is %(size).1f MB; the limit is 10 MB.") % {"size": (upload.size or 0) / 1_000_000},
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = _upright_size(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not an image we can read."), code="unreadable") from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("Use a JPEG, PNG or WebP image (this one is %(format)s).") % {"format": image_format},
            code="format",
        )
    if min(width, height) < MIN_SHORT_SIDE:
        raise ValidationError(
            _("The image is %(w)s×%(h)s px; its short side must be at least 300 px.")
            % {"w": width, "h": height},
            code="too_small",
        )
    if max(width, height) > MAX_LONG_SIDE:
        raise ValidationError(
            _("The image is %(w)s×%(h)s px; its long side must be at most 6000 px.")
            % {"w": width, "h": height},
            code="too_big",
        )
    ratio = width / height
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        raise ValidationError(
            _("The image's width/height ratio is %(ratio).2f; it must be between 0.4 and 2.5.")
            % {"ratio": ratio},
            code="ratio",
        )
    return width, height, ALLOWED_FORMATS[image_format]
