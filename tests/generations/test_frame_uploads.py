"""Uploaded frames: what is stored and served is decided by the image's content, not its name."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from studio.generations.models import Generation
from tests.factories import image_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens: no request leaves


def _generate(client, project, **frames):
    data = {"prompt": "a lantern", "aspect_ratio": "9:16", "clarity": "720", "duration": "5", **frames}
    return client.post(reverse("generations:generate", args=[project.code]), data)


@pytest.mark.parametrize(
    ("name", "fmt", "stored_suffix", "content_type"),
    [
        ("evil.pdf", "JPEG", ".jpg", "image/jpeg"),
        ("evil.eps", "PNG", ".png", "image/png"),
        ("photo.jpg", "PNG", ".png", "image/png"),  # Chanjing's upload ticket takes its type from the name
        ("shot.tif", "WEBP", ".webp", "image/webp"),
    ],
)
def test_a_frame_is_stored_and_served_as_the_image_it_is(
    client, alice, alice_project, name, fmt, stored_suffix, content_type
):
    client.force_login(alice)
    assert _generate(client, alice_project, start_frame=image_file(name, fmt=fmt)).status_code == 302
    generation = Generation.objects.get()
    assert Path(generation.start_frame.name).suffix == stored_suffix
    response = client.get(reverse("generations:frame", args=[generation.code, "start"]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_frame_name_cannot_climb_out_of_its_folder(client, alice, alice_project, settings):
    client.force_login(alice)
    upload = image_file("../../../../outside.png")
    assert _generate(client, alice_project, start_frame=upload).status_code == 302
    generation = Generation.objects.get()
    stored = Path(generation.start_frame.path).resolve()
    assert stored.is_relative_to((Path(settings.MEDIA_ROOT) / "frames" / str(generation.code)).resolve())
    assert stored.exists()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size: a few bytes that would decode to gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# Pillow warns between MAX_IMAGE_PIXELS and twice that, and refuses to open above it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(100_000, 100_000), (12_000, 12_000)])
def test_a_decompression_bomb_is_refused_without_being_decoded(client, alice, alice_project, size):
    client.force_login(alice)
    upload = SimpleUploadedFile("bomb.png", _png_header_only(*size), content_type="image/png")
    response = _generate(client, alice_project, start_frame=upload)
    assert response.status_code == 200
    assert response.context["form"].errors["start_frame"]
    assert not Generation.objects.exists()


def test_a_frame_over_the_size_limit_is_refused(client, alice, alice_project, settings):
    settings.FRAME_MAX_BYTES = 1000
    client.force_login(alice)
    response = _generate(client, alice_project, start_frame=image_file("big.png"))
    assert "the limit is 10 MB" in str(response.context["form"].errors["start_frame"])
    assert not Generation.objects.exists()


def test_a_stored_file_of_another_type_is_served_as_bytes_never_rendered(client, team):
    """Frames stored before names were normalised may end in .pdf or .eps: never render them."""
    from django.core.files.base import ContentFile

    from studio.sharing.models import ShareLink
    from tests.factories import finished_generation

    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    generation.start_frame.save("evil.pdf", ContentFile(b"%PDF-1.4 a polyglot"), save=False)
    generation.poster.save("evil.html", ContentFile(b"<h1>hi</h1>"), save=True)
    link = ShareLink.objects.create(generation=generation, created_by=team["editor"])
    client.force_login(team["viewer"])
    for url in (
        reverse("generations:frame", args=[generation.code, "start"]),
        reverse("generations:poster", args=[generation.code]),
        reverse("sharing:poster", args=[link.token]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/octet-stream", url


# --- Every frame is re-encoded: only the picture is stored, served and sent --------------------

GPS_LATITUDE = (39, 54, 27)


def _photo_with_metadata(fmt: str = "JPEG") -> bytes:
    """A phone photo: stored sideways with "turn 90° clockwise" in EXIF, a GPS position, a comment
    and an ICC profile, followed by a ZIP and a PHP script after the image data."""
    image = Image.new("RGB", (640, 360), (200, 60, 90))
    image.paste((20, 20, 240), (0, 0, 80, 360))  # a blue band on the stored left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "E", (116, 23, 51)
    buffer = io.BytesIO()
    options = {
        "exif": exif,
        "icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    }
    if fmt == "JPEG":
        options["comment"] = b"shot at home, 12 Garden Lane"
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue() + b"PK\x03\x04secret.zip" + b"<?php system($_GET['c']); ?>"


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")])
def test_a_frame_is_stored_upright_without_metadata_or_appended_data(
    client, alice, alice_project, fmt, suffix
):
    client.force_login(alice)
    upload = SimpleUploadedFile(f"photo{suffix}", _photo_with_metadata(fmt), content_type="image/jpeg")
    assert _generate(client, alice_project, start_frame=upload).status_code == 302
    generation = Generation.objects.get()
    served = b"".join(
        client.get(reverse("generations:frame", args=[generation.code, "start"])).streaming_content
    )
    stored = Path(generation.start_frame.path).read_bytes()
    assert served == stored  # and this file is what the provider is sent
    for leak in (b"<?php", b"PK\x03\x04", b"PhoneMaker", b"Garden Lane", b"Exif"):
        assert leak not in stored, leak
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == fmt
        assert image.size == (360, 640)  # turned upright
        assert not image.getexif()
        assert "icc_profile" not in image.info and "exif" not in image.info
        top = image.convert("RGB").getpixel((180, 10))
    assert top[2] > 200 and top[0] < 80  # the blue band is now at the top, as the camera meant


def test_an_image_whose_upright_shape_breaks_the_ratio_is_refused(client, alice, alice_project):
    """Checked on the picture as it will be seen, not as it is stored sideways."""
    image = Image.new("RGB", (900, 320), (1, 2, 3))  # stored ratio 2.8 (refused); upright 0.36 too
    exif = Image.Exif()
    exif[0x0112] = 8
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    client.force_login(alice)
    upload = SimpleUploadedFile("tall.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = _generate(client, alice_project, start_frame=upload)
    assert "ratio is 0.36" in str(response.context["form"].errors["start_frame"])


def test_a_truncated_image_is_refused_with_a_message(client, alice, alice_project):
    client.force_login(alice)
    # Django's ImageField only checks the header of a JPEG; decoding it finds the missing half.
    whole = image_file("cut.jpg", fmt="JPEG").read()
    upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    response = _generate(client, alice_project, start_frame=upload)
    assert response.status_code == 200
    assert "not an image we can read" in str(response.context["form"].errors["start_frame"])
    assert not Generation.objects.exists()
