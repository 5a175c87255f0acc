from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.sandbox.models import Task

pytestmark = pytest.mark.django_db

TASK_FIELDS = {
    "unique_id",
    "progress_desc",
    "err_msg",
    "output_url",
    "create_time",
    "type",
    "model_code",
    "aspect_ratio",
    "ref_img_url",
    "motion_info",
    "photo_info",
    "number_ai_creation",
    "model_name",
    "id",
}
MOTION_FIELDS = {
    "photo_path_url",
    "ref_prompt",
    "clarity",
    "quality_mode",
    "style",
    "aspect_ratio",
    "video_duration",
}


def age(unique_id: str, seconds: float) -> None:
    Task.objects.filter(unique_id=unique_id).update(created_at=timezone.now() - timedelta(seconds=seconds))


@pytest.fixture
def timed(sandbox_settings):
    sandbox_settings.SANDBOX_QUEUED_SECONDS = 10
    sandbox_settings.SANDBOX_READY_SECONDS = 10
    sandbox_settings.SANDBOX_GENERATING_SECONDS = 10
    return sandbox_settings


def test_status_moves_from_queued_to_success(api, timed):
    unique_id = api.submit(ref_prompt="海边的红色风筝", aspect_ratio="1:1")["data"]
    seen = []
    for seconds in (0, 11, 21, 31):
        age(unique_id, seconds)
        task = api.task(unique_id)["data"]
        seen.append(task["progress_desc"])
        assert task["output_url"] == [] or task["progress_desc"] == "Success"
    assert seen == ["Queued", "Ready", "Generating", "Success"]
    assert task["err_msg"] == ""
    assert task["output_url"][0].startswith("http://testserver/sandbox/outputs/")
    assert task["output_url"][0].endswith(".mp4")


def test_task_object_has_every_field_of_the_contract(api):
    start = "https://cdn.example.com/a.jpg"
    unique_id = api.submit(start_frame=start, clarity=720, video_duration=10, aspect_ratio="16:9")["data"]
    task = api.task(unique_id)["data"]
    assert set(task) >= TASK_FIELDS
    assert set(task["motion_info"]) >= MOTION_FIELDS
    assert task["unique_id"] == unique_id
    assert task["type"] == 4
    assert task["model_code"] == "Doubao-Seedance-1.0-lite-i2v"
    assert task["aspect_ratio"] == "16:9"
    assert task["ref_img_url"] == [start]
    assert task["motion_info"]["photo_path_url"] == start
    assert task["motion_info"]["clarity"] == 720
    assert task["motion_info"]["video_duration"] == 10
    assert isinstance(task["create_time"], int)


def test_unknown_task_answers_40000(api):
    answer = api.task("00000000-0000-4000-8000-000000000000")
    assert answer["code"] == 40000
    assert answer["msg"] == "任务不存在"


def test_missing_unique_id_answers_40000(api):
    assert api.call("GET", "ai_creation/task")["code"] == 40000


@pytest.mark.parametrize(
    ("marker", "status", "words"), [("[fail]", "Fail", "审核"), ("[error]", "Error", "未扣费")]
)
def test_forced_failures_end_in_their_status_with_a_chinese_reason(api, timed, marker, status, words):
    unique_id = api.submit(ref_prompt=f"kite {marker}")["data"]
    assert api.task(unique_id)["data"]["progress_desc"] == "Queued"
    age(unique_id, 31)
    task = api.task(unique_id)["data"]
    assert task["progress_desc"] == status
    assert words in task["err_msg"]
    assert task["output_url"] == []


def test_slow_tasks_stay_generating(api, timed):
    unique_id = api.submit(ref_prompt="kite [slow]")["data"]
    age(unique_id, 3600)
    assert api.task(unique_id)["data"]["progress_desc"] == "Generating"


def page(api, **body):
    query = {"unique_ids": [], "type": 4, "page": 1, "page_size": 50, "is_success": False, **body}
    return api.call("POST", "ai_creation/task/page", query)


def test_page_lists_the_asked_tasks(api, timed):
    ids = [api.submit(ref_prompt=f"kite {n}")["data"] for n in range(3)]
    age(ids[0], 31)
    answer = page(api, unique_ids=ids[:2], page_size=1)
    assert answer["code"] == 0
    data = answer["data"]
    assert data["total"] == 2
    assert data["page_info"] == {"page": 1, "size": 1, "total_count": 2, "total_page": 2}
    assert len(data["list"]) == 1
    assert set(data["list"][0]) >= TASK_FIELDS
    both = page(api, unique_ids=ids[:2])["data"]["list"]
    assert {task["unique_id"] for task in both} == set(ids[:2])


def test_page_filters_successful_tasks(api, timed):
    done, waiting = api.submit()["data"], api.submit()["data"]
    age(done, 31)
    data = page(api, unique_ids=[done, waiting], is_success=True)["data"]
    assert [task["unique_id"] for task in data["list"]] == [done]
    assert data["list"][0]["output_url"]


def test_page_without_ids_lists_everything_of_the_type(api):
    api.submit()
    api.submit()
    assert page(api, unique_ids=[])["data"]["total"] == 2
    assert page(api, type=3)["data"]["total"] == 0


def test_page_accepts_the_body_of_the_public_client_without_is_success(api):
    api.submit()
    answer = api.call(
        "POST", "ai_creation/task/page", {"unique_ids": [], "type": 4, "page": 1, "page_size": 50}
    )
    assert answer["data"]["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"page_size": 51}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"type": None}, "type"),
        ({"unique_ids": "abc"}, "unique_ids"),
        ({"unique_ids": [str(n) for n in range(51)]}, "unique_ids"),
        ({"is_success": "yes"}, "is_success"),
    ],
)
def test_page_validates_its_body(api, body, field):
    answer = page(api, **body)
    assert answer["code"] == 40000
    assert field in answer["msg"]
