"""The frame checks Chanjing applies, enforced before anything is sent."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A stored frame is named after what it is, never after the name it was uploaded with.
FRAME_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MIN_SHORT_SIDE = 300
MAX_LONG_SIDE = 6000
MIN_RATIO = 0.4
MAX_RATIO = 2.5


def check_frame(upload: UploadedFile[bytes]) -> tuple[int, int, str]:
    """Validate an uploaded frame; returns (width, height, mime type) or raises ValidationError."""
    if (upload.size or 0) > settings.FRAME_MAX_BYTES:
        raise ValidationError(
            _("The image is %(size).1f MB; the limit is 10 MB.") % {"size": (upload.size or 0) / 1_000_000},
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
    except (UnidentifiedImageError, OSError):
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
