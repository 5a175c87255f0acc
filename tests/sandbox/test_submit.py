from __future__ import annotations

import uuid

import pytest

from studio.sandbox.models import Behaviour, Task

pytestmark = pytest.mark.django_db

START = "https://cdn.example.com/start.jpg"
END = "https://cdn.example.com/end.jpg"


def test_submit_answers_the_unique_id_and_stores_the_task(api):
    answer = api.submit(start_frame=START, end_frame=END, ref_img_url=[START, END], aspect_ratio="16:9")
    assert answer["code"] == 0
    assert str(uuid.UUID(answer["data"])) == answer["data"]
    task = Task.objects.get(unique_id=answer["data"])
    assert task.params["start_frame"] == START
    assert task.params["end_frame"] == END
    assert task.params["clarity"] == 1080
    assert task.body["ref_img_url"] == [START, END]
    assert task.behaviour == Behaviour.NORMAL


def test_defaults_apply_when_optional_fields_are_missing(api):
    task = Task.objects.get(unique_id=api.submit()["data"])
    assert task.params["aspect_ratio"] == "9:16"
    assert task.params["clarity"] == 1080
    assert task.frames == []


def test_ref_img_url_alone_sets_the_frames(api):
    task = Task.objects.get(unique_id=api.submit(ref_img_url=[START, END])["data"])
    assert task.frames == [START, END]


def test_start_frame_alone_is_image_to_video(api):
    task = Task.objects.get(unique_id=api.submit(start_frame=START, ref_img_url=[START])["data"])
    assert task.frames == [START]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ref_prompt": None}, "ref_prompt"),
        ({"ref_prompt": "   "}, "ref_prompt"),
        ({"ref_prompt": 42}, "ref_prompt"),
        ({"ref_prompt": "x" * 2001}, "ref_prompt"),
        ({"creation_type": None}, "creation_type"),
        ({"creation_type": 3}, "creation_type"),
        ({"creation_type": "4"}, "creation_type"),
        ({"model_code": None}, "model_code"),
        ({"video_duration": None}, "video_duration"),
        ({"video_duration": 6}, "video_duration"),
        ({"video_duration": "5"}, "video_duration"),
        ({"video_duration": True}, "video_duration"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"clarity": 480}, "clarity"),
        ({"start_frame": "not a url"}, "start_frame"),
        ({"start_frame": "ftp://example.com/a.jpg"}, "start_frame"),
        ({"end_frame": END}, "end_frame"),
        ({"start_frame": START, "end_frame": "nope"}, "end_frame"),
        ({"ref_img_url": START}, "ref_img_url"),
        ({"ref_img_url": [START, END, START]}, "ref_img_url"),
        ({"ref_img_url": ["nope"]}, "ref_img_url"),
        ({"start_frame": START, "ref_img_url": [END]}, "ref_img_url"),
        ({"start_frame": START, "end_frame": END, "ref_img_url": [START]}, "ref_img_url"),
        ({"callback": "nope"}, "callback"),
    ],
)
def test_each_bad_field_answers_40000_naming_it(api, fields, field):
    answer = api.submit(**fields)
    assert answer["code"] == 40000, answer
    assert field in answer["msg"]
    assert not Task.objects.exists()


def test_a_prompt_of_2000_characters_is_accepted(api):
    assert api.submit(ref_prompt="字" * 2000)["code"] == 0


def test_unknown_model_answers_50000(api):
    answer = api.submit(model_code="doubao-seedance-1.0-lite-i2v")
    assert answer["code"] == 50000
    assert answer["msg"] == "模型不存在"
    assert not Task.objects.exists()


@pytest.mark.parametrize(("marker", "code"), [("[40001]", 40001), ("[50000]", 50000)])
def test_code_markers_force_the_answer_without_a_task(api, marker, code):
    assert api.submit(ref_prompt=f"a kite {marker}")["code"] == code
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("marker", "behaviour"), [("[fail]", "fail"), ("[ERROR]", "error"), ("[slow]", "slow")]
)
def test_behaviour_markers_are_stored(api, marker, behaviour):
    answer = api.submit(ref_prompt=f"a kite {marker}")
    assert Task.objects.get(unique_id=answer["data"]).behaviour == behaviour
