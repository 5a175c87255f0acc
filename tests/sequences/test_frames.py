"""Continue this shot: the true last frame, fitted to the provider's rules, starts the composer."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from studio.generations.images import check_frame
from studio.generations.models import Generation, ParentKind
from studio.sequences.frames import ensure_last_frame, fit_frame_rules
from tests.factories import make_project
from tests.sequences.imaging import decoded_frames, psnr, video_generation

pytestmark = pytest.mark.django_db

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 30), (30, 30, 220)


def stored_image(field) -> Image.Image:
    with field.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        assert image.format == "PNG"
        return image.convert("RGB")


def test_the_last_frame_is_the_last_decoded_one_not_the_last_keyframe(alice):
    """One keyframe at the start: a seek to the end would land on red; decoding to the end gives blue."""
    generation = video_generation(make_project(created_by=alice), [RED] * 6 + [GREEN, BLUE], size=(640, 360))
    image = stored_image(ensure_last_frame(generation))
    assert image.size == (640, 360)  # full resolution, nothing to scale
    assert psnr(image, decoded_frames(generation.video.path)[-1]) >= 40
    r, g, b = image.getpixel((320, 180))
    assert b > 180 and r < 80 and g < 80


def test_a_tiny_sandbox_video_is_scaled_up_to_the_providers_minimum(alice):
    generation = video_generation(make_project(created_by=alice), [RED, BLUE], size=(64, 36))
    image = stored_image(ensure_last_frame(generation))
    assert min(image.size) == 300
    assert image.size == (534, 300)  # the ratio is kept
    data = generation.last_frame.open("rb").read()
    assert check_frame(SimpleUploadedFile("last.png", data, content_type="image/png"))[2] == "image/png"
    # Scaled back down, it is still the decoded frame.
    back = image.resize((64, 36), Image.Resampling.LANCZOS)
    assert psnr(back, decoded_frames(generation.video.path)[-1]) >= 30


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((64, 36), (534, 300)),  # too small: up to a 300 px short side
        ((1280, 720), (1280, 720)),  # fine as it is
        ((8000, 4000), (6000, 3000)),  # too long: down to 6000 px
        ((3000, 300), (750, 300)),  # too wide: cropped to 2.5:1
        ((300, 1000), (300, 750)),  # too tall: cropped to 1:2.5
    ],
)
def test_frames_are_made_to_pass_the_providers_rules(size, expected):
    fitted = fit_frame_rules(Image.new("RGB", size, RED))
    assert fitted.size == expected
    buffer = io.BytesIO()
    fitted.save(buffer, format="PNG")
    check_frame(SimpleUploadedFile("f.png", buffer.getvalue(), content_type="image/png"))


def test_continue_opens_the_composer_with_the_last_frame_prompt_ratio_and_clarity(client, alice):
    project = make_project(created_by=alice)
    source = video_generation(
        project,
        [RED, BLUE],
        size=(640, 360),
        prompt="a kite rises",
        aspect_ratio="16:9",
        clarity=720,
        created_by=alice,
    )
    client.force_login(alice)
    page = client.get(f"/g/{source.code}/continue")
    assert page.status_code == 200
    html = page.content.decode()
    assert "a kite rises</textarea>" in html
    assert page.context["form"].initial["aspect_ratio"] == "16:9"
    assert f'src="/g/{source.code}/frames/last"' in html
    assert page.context["form"].initial["clarity"] == 720
    assert "autofocus" in str(page.context["form"]["prompt"])  # ready to edit
    assert "autofocus" not in str(client.get(f"/projects/{project.code}/").context["form"]["prompt"])
    frame = client.get(f"/g/{source.code}/frames/last")
    assert frame.status_code == 200 and frame["Content-Type"] == "image/png"

    response = client.post(
        f"/projects/{project.code}/generate",
        {
            "prompt": "the kite dives",
            "aspect_ratio": "16:9",
            "clarity": "720",
            "duration": "5",
            "remix_of": str(source.code),
            "continues": "True",
            "keep_start_frame": "on",
        },
    )
    assert response.status_code == 302
    made = Generation.objects.get(prompt="the kite dives")
    source.refresh_from_db()
    assert made.parent == source and made.parent_kind == ParentKind.CONTINUE
    assert made.start_frame.name == source.last_frame.name
    detail = client.get(f"/g/{made.code}/").content.decode()
    assert "Continues" in detail


def test_unticking_the_last_frame_makes_a_plain_remix(client, alice):
    project = make_project(created_by=alice)
    source = video_generation(project, [RED, BLUE], size=(640, 360), created_by=alice)
    client.force_login(alice)
    client.get(f"/g/{source.code}/continue")
    client.post(
        f"/projects/{project.code}/generate",
        {
            "prompt": "no frame",
            "aspect_ratio": "9:16",
            "clarity": "720",
            "duration": "5",
            "remix_of": str(source.code),
            "continues": "True",
        },
    )
    made = Generation.objects.get(prompt="no frame")
    assert made.parent_kind == ParentKind.REMIX and not made.start_frame


def test_a_video_that_cannot_be_decoded_says_so(client, alice):
    from tests.factories import finished_generation

    source = finished_generation(project=make_project(created_by=alice), user=alice)  # a stub, not an MP4
    client.force_login(alice)
    response = client.get(f"/g/{source.code}/continue", follow=True)
    assert "could not be read" in response.content.decode()
