"""build_submit_body against the contract's field table, for every input hypothesis can find."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.chanjing.client import build_submit_body
from studio.chanjing.errors import ParamError
from studio.chanjing.types import SubmitRequest

URLS = st.builds(
    lambda scheme, name: f"{scheme}://img.example.com/{name}.jpg",
    st.sampled_from(["http", "https"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20),
)
PROMPTS = st.text(min_size=1, max_size=2000).filter(lambda text: text.strip())
FRAME_MODES = st.sampled_from(["both", "fields", "list"])

# The contract's table: field -> (type, allowed values or None for free text).
REQUIRED = {"ref_prompt": str, "creation_type": int, "model_code": str, "video_duration": int}
OPTIONAL = {
    "aspect_ratio": str,
    "clarity": int,
    "start_frame": str,
    "end_frame": str,
    "ref_img_url": list,
    "callback": str,
}


@st.composite
def valid_requests(draw) -> SubmitRequest:
    start = draw(st.none() | URLS)
    end = draw(st.none() | URLS) if start else None
    return SubmitRequest(
        prompt=draw(PROMPTS),
        duration=draw(st.sampled_from([5, 10])),
        aspect_ratio=draw(st.sampled_from(["9:16", "16:9", "1:1"])),
        clarity=draw(st.sampled_from([720, 1080])),
        start_frame_url=start,
        end_frame_url=end,
        callback_url=draw(st.none() | URLS),
    )


@given(valid_requests(), FRAME_MODES)
def test_valid_requests_follow_the_field_table(request, frame_mode):
    body = build_submit_body(request, frame_mode)

    assert set(REQUIRED) <= set(body) <= set(REQUIRED) | set(OPTIONAL)
    for name, value in body.items():
        expected = {**REQUIRED, **OPTIONAL}[name]
        assert type(value) is expected, name
    assert body["creation_type"] == 4
    assert body["ref_prompt"] == request.prompt and len(body["ref_prompt"]) <= 2000
    assert body["video_duration"] in (5, 10)
    assert body["aspect_ratio"] in ("9:16", "16:9", "1:1")
    assert body["clarity"] in (720, 1080)
    assert body["model_code"] == "Doubao-Seedance-1.0-lite-i2v"
    assert body.get("callback") == request.callback_url
    assert all(value is not None for value in body.values())


@given(valid_requests(), FRAME_MODES)
def test_frames_travel_in_the_chosen_forms_and_agree(request, frame_mode):
    body = build_submit_body(request, frame_mode)
    frames = [url for url in (request.start_frame_url, request.end_frame_url) if url]

    fields = [body[key] for key in ("start_frame", "end_frame") if key in body]
    as_list = body.get("ref_img_url")
    if not frames:
        assert not fields and as_list is None
        return
    if frame_mode in ("both", "fields"):
        assert fields == frames
    else:
        assert not fields
    if frame_mode in ("both", "list"):
        assert as_list == frames and all(isinstance(url, str) for url in as_list)
    else:
        assert as_list is None
    assert "end_frame" not in body or "start_frame" in body
    assert as_list is None or 1 <= len(as_list) <= 2


@given(valid_requests(), st.text(max_size=2000).filter(lambda text: not text.strip()))
def test_blank_prompts_are_refused(request, prompt):
    with pytest.raises(ParamError, match="empty"):
        build_submit_body(SubmitRequest(**{**request.__dict__, "prompt": prompt}))


@given(valid_requests(), st.integers(min_value=1, max_value=500))
def test_long_prompts_are_refused(request, extra):
    with pytest.raises(ParamError, match="2000"):
        build_submit_body(SubmitRequest(**{**request.__dict__, "prompt": "x" * (2000 + extra)}))


@given(valid_requests(), st.integers().filter(lambda n: n not in (5, 10)) | st.just(True) | st.just("5"))
def test_other_durations_are_refused(request, duration):
    with pytest.raises(ParamError, match="duration"):
        build_submit_body(SubmitRequest(**{**request.__dict__, "duration": duration}))


@given(valid_requests(), st.text().filter(lambda text: text not in ("9:16", "16:9", "1:1")))
def test_other_ratios_are_refused(request, ratio):
    with pytest.raises(ParamError, match="aspect ratio"):
        build_submit_body(SubmitRequest(**{**request.__dict__, "aspect_ratio": ratio}))


@given(valid_requests(), st.integers().filter(lambda n: n not in (720, 1080)))
def test_other_clarities_are_refused(request, clarity):
    with pytest.raises(ParamError, match="clarity"):
        build_submit_body(SubmitRequest(**{**request.__dict__, "clarity": clarity}))


@given(valid_requests(), URLS, FRAME_MODES)
def test_an_end_frame_needs_a_start_frame(request, end, frame_mode):
    lone_end = SubmitRequest(**{**request.__dict__, "start_frame_url": None, "end_frame_url": end})
    with pytest.raises(ParamError, match="start frame"):
        build_submit_body(lone_end, frame_mode)


def test_frame_urls_must_be_http():
    with pytest.raises(ParamError, match="start frame"):
        build_submit_body(SubmitRequest(prompt="p", duration=5, start_frame_url="file:///etc/passwd"))


def test_unknown_frame_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="frame_mode"):
        build_submit_body(SubmitRequest(prompt="p", duration=5), "neither")


def test_the_seed_example_round_trips():
    request = SubmitRequest(
        prompt="女孩在花海中转身微笑,镜头缓慢推进,柔和日光",
        duration=5,
        start_frame_url="https://res.chanjing.cc/chanjing/res/aigc_creation/photo/start.jpg",
        end_frame_url="https://res.chanjing.cc/chanjing/res/aigc_creation/photo/end.jpg",
    )
    assert build_submit_body(request) == {
        "start_frame": "https://res.chanjing.cc/chanjing/res/aigc_creation/photo/start.jpg",
        "end_frame": "https://res.chanjing.cc/chanjing/res/aigc_creation/photo/end.jpg",
        "ref_img_url": [
            "https://res.chanjing.cc/chanjing/res/aigc_creation/photo/start.jpg",
            "https://res.chanjing.cc/chanjing/res/aigc_creation/photo/end.jpg",
        ],
        "ref_prompt": "女孩在花海中转身微笑,镜头缓慢推进,柔和日光",
        "creation_type": 4,
        "aspect_ratio": "9:16",
        "clarity": 1080,
        "video_duration": 5,
        "model_code": "Doubao-Seedance-1.0-lite-i2v",
    }
