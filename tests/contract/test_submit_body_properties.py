"""From the studio's form to the submit body on the wire, for every input hypothesis can find.

tests/chanjing/test_submit_body.py checks build_submit_body on SubmitRequests it builds itself;
this walks the path a person's input takes: GenerationForm -> a Generation made from its
cleaned data (as services.create_generation makes it) with its frames uploaded to URLs ->
lifecycle.submit_request -> build_submit_body. Every body must satisfy the contract's field
table, and the sandbox's own validator (the provider's side of the contract) must accept it.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from studio.chanjing.client import build_submit_body
from studio.generations.forms import GenerationForm
from studio.generations.lifecycle import submit_request
from studio.generations.models import AspectRatio, Clarity, Duration, Generation
from studio.sandbox.validation import clean_submit

MODEL = "Doubao-Seedance-1.0-lite-i2v"

# The contract's field table: name -> (type, allowed values or None).
REQUIRED = {
    "ref_prompt": (str, None),
    "creation_type": (int, {4}),
    "model_code": (str, {MODEL}),
    "video_duration": (int, {5, 10}),
}
OPTIONAL = {
    "aspect_ratio": (str, {"9:16", "16:9", "1:1"}),
    "clarity": (int, {720, 1080}),
    "start_frame": (str, None),
    "end_frame": (str, None),
    "ref_img_url": (list, None),
    "callback": (str, None),
}
TABLE = {**REQUIRED, **OPTIONAL}


def _image(color: tuple[int, int, int], size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


# Built once: valid frames of every accepted format and a few shapes.
FRAMES = {
    ("PNG", (300, 300)): _image((200, 40, 40), (300, 300), "PNG"),
    ("JPEG", (300, 540)): _image((40, 200, 40), (300, 540), "JPEG"),
    ("WEBP", (540, 300)): _image((40, 40, 200), (540, 300), "WEBP"),
}
MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

WORDS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    include_characters="\n\t",
) | st.sampled_from(list("女孩在花海中转身微笑镜头缓慢推进柔和日光，。、 "))
SPACE = st.text(alphabet=" \n\t\u3000", max_size=3)
PROMPTS = st.one_of(
    st.text(alphabet=WORDS, max_size=200),
    # Around the 2,000-character limit, with whitespace the form strips.
    st.builds(
        lambda pad, char, count, tail: pad + char * count + tail,
        SPACE,
        st.sampled_from(["镜", "a", "🎬"]),
        st.integers(1990, 2010),
        SPACE,
    ),
)
URLS = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["res.chanjing.cc", "127.0.0.1:8000", "cdn.example.com"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/.", min_size=1, max_size=40),
)
FRAME_CHOICES = st.sampled_from(sorted(FRAMES))


@st.composite
def form_inputs(draw) -> dict[str, Any]:
    frames = draw(st.sampled_from(["none", "start", "start+end", "end"]))
    return {
        "data": {
            "prompt": draw(PROMPTS),
            "aspect_ratio": draw(st.sampled_from(AspectRatio.values)),
            "clarity": str(draw(st.sampled_from(Clarity.values))),
            "duration": str(draw(st.sampled_from(Duration.values))),
        },
        "start": draw(FRAME_CHOICES) if "start" in frames else None,
        "end": draw(FRAME_CHOICES) if "end" in frames else None,
        "start_url": draw(URLS),
        "end_url": draw(URLS),
        "callback_base": draw(st.sampled_from(["", "https://studio.example.com"])),
        "frame_mode": draw(st.sampled_from(["both", "fields", "list"])),
    }


def _upload(name: str, key) -> SimpleUploadedFile:
    fmt, _size = key
    return SimpleUploadedFile(f"{name}.{fmt.lower()}", FRAMES[key], content_type=MIME[fmt])


def _generation_from(form: GenerationForm, inputs: dict[str, Any]) -> Generation:
    """The Generation services.create_generation saves, after the poller uploaded its frames."""
    data = form.cleaned_data
    return Generation(
        prompt=data["prompt"],
        aspect_ratio=data["aspect_ratio"],
        clarity=data["clarity"],
        duration=data["duration"],
        model_code=MODEL,
        start_frame_url=inputs["start_url"] if data.get("start_frame") else "",
        end_frame_url=inputs["end_url"] if data.get("end_frame") else "",
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_inputs())
def test_every_valid_form_becomes_a_body_that_follows_the_field_table(inputs):
    files = {}
    if inputs["start"]:
        files["start_frame"] = _upload("start", inputs["start"])
    if inputs["end"]:
        files["end_frame"] = _upload("end", inputs["end"])
    form = GenerationForm(inputs["data"], files)
    stripped = inputs["data"]["prompt"].strip()

    valid = form.is_valid()
    event(f"valid={valid}, frames={bool(inputs['start'])}+{bool(inputs['end'])}, long={len(stripped) > 1000}")

    # The form accepts exactly what the contract allows: a prompt of 1 to 2,000 characters
    # once trimmed, and an end frame only with a start frame.
    assert valid == (0 < len(stripped) <= 2000 and not (inputs["end"] and not inputs["start"])), form.errors
    if not valid:
        return
    with override_settings(CHANJING_CALLBACK_BASE_URL=inputs["callback_base"], CHANJING_MODEL_CODE=MODEL):
        generation = _generation_from(form, inputs)
        body = build_submit_body(submit_request(generation), inputs["frame_mode"])
        provider_view = clean_submit(body)

    assert set(REQUIRED) <= set(body) <= set(TABLE)
    for name, value in body.items():
        kind, allowed = TABLE[name]
        assert type(value) is kind, (name, value)
        assert allowed is None or value in allowed, (name, value)
    assert body["ref_prompt"] == stripped and 0 < len(body["ref_prompt"]) <= 2000
    assert body["video_duration"] == int(inputs["data"]["duration"])
    assert body["clarity"] == int(inputs["data"]["clarity"])
    assert body["aspect_ratio"] == inputs["data"]["aspect_ratio"]

    frames = [url for url in (generation.start_frame_url, generation.end_frame_url) if url]
    mode = inputs["frame_mode"]
    fields = [body[key] for key in ("start_frame", "end_frame") if key in body]
    assert fields == (frames if mode in ("both", "fields") else [])
    assert body.get("ref_img_url", []) == (frames if mode in ("both", "list") else [])
    assert "end_frame" not in body or "start_frame" in body
    assert len(body.get("ref_img_url", [])) <= 2
    for url in [*frames, body.get("callback", "https://x.test/")]:
        assert urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc

    if inputs["callback_base"]:
        assert body["callback"].startswith("https://studio.example.com/")
        assert str(generation.code) in body["callback"]
    else:
        assert "callback" not in body

    # The provider's side reads the same frames back, whichever form carried them.
    assert [provider_view["start_frame"], provider_view["end_frame"]] == (frames + ["", ""])[:2]
    assert provider_view["ref_prompt"] == stripped
