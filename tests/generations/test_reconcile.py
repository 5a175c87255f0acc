"""Looking for a lost submit's task: how far back, when to look again, whose task it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from studio.chanjing.client import ChanjingClient
from studio.chanjing.errors import RateLimited
from studio.chanjing.factory import get_client
from studio.chanjing.models import ProviderCall
from studio.chanjing.wire import SUBMIT_PATH, TASK_PAGE_PATH
from studio.generations import lifecycle
from studio.generations.models import Generation, Phase, Status
from studio.generations.services import create_takes
from studio.sandbox.models import Behaviour, RequestLog, Task
from tests.factories import image_file, make_generation
from tests.generations.test_lifecycle import run_poller, submits

pytestmark = pytest.mark.django_db(transaction=True)


def other_tasks(count: int, *, prompt: str = "someone else's idea", age: timedelta = timedelta(0)) -> None:
    """Tasks created elsewhere in the account (still generating, so the sandbox renders nothing)."""
    params = {
        "ref_prompt": prompt,
        "creation_type": 4,
        "model_code": "Doubao-Seedance-1.0-lite-i2v",
        "video_duration": 5,
        "aspect_ratio": "1:1",
        "clarity": 720,
    }
    created = timezone.now() - age
    for index in range(count):
        Task.objects.create(
            body=params,
            prompt=prompt,
            params=params,
            behaviour=Behaviour.SLOW,
            created_at=created + timedelta(microseconds=index),
        )


def lose_the_answer(generation: Generation, settings) -> str:
    """Send `generation` once with the answer lost; return the task the provider created."""
    before = set(Task.objects.values_list("pk", flat=True))
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0
    call_command("poll_generations", "--once")
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.0
    generation.refresh_from_db()
    assert generation.phase == Phase.RECONCILING
    return Task.objects.exclude(pk__in=before).get(prompt=generation.prompt).unique_id


def make_due(generation: Generation) -> None:
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=timezone.now())


def test_the_lost_task_260th_in_the_newest_first_list_is_found_and_adopted(
    alice, alice_project, sandbox, settings
):
    settings.SUBMIT_RECONCILE_SECONDS = 0  # the list shows new tasks at once: a miss would resend
    # An identical request from long ago must not be taken for ours.
    other_tasks(100, prompt="a lantern festival at night", age=timedelta(minutes=10))
    generation = make_generation(alice_project, created_by=alice)
    lost = lose_the_answer(generation, settings)
    other_tasks(259)  # newer than ours: ours is now number 260, on page 6
    newest_first = list(Task.objects.order_by("-created_at", "-id").values_list("unique_id", flat=True))
    assert newest_first.index(lost) + 1 == 260

    ProviderCall.objects.all().delete()
    make_due(generation)
    call_command("poll_generations", "--once")
    generation.refresh_from_db()
    assert generation.unique_id == lost
    assert generation.status in (Status.SUBMITTED, Status.SUCCEEDED)
    assert submits() == 1  # adopted, not sent again
    looks = ProviderCall.objects.filter(endpoint=TASK_PAGE_PATH, generation_code=generation.code)
    assert looks.count() == 6  # read back just past the send time, not the whole list


def test_a_look_stops_at_the_first_match_no_other_generation_could_claim(
    alice, alice_project, sandbox, settings
):
    other_tasks(200, age=timedelta(seconds=20))  # inside the clock-skew margin before the send
    generation = make_generation(alice_project, created_by=alice)
    lost = lose_the_answer(generation, settings)
    ProviderCall.objects.all().delete()
    make_due(generation)
    call_command("poll_generations", "--once")
    generation.refresh_from_db()
    assert generation.unique_id == lost and submits() == 1
    assert ProviderCall.objects.filter(endpoint=TASK_PAGE_PATH, generation_code=generation.code).count() == 1


def test_a_look_cut_short_by_the_rate_limit_looks_again_and_never_resends(
    alice, alice_project, sandbox, settings, monkeypatch
):
    settings.SUBMIT_RECONCILE_SECONDS = 0
    generation = make_generation(alice_project, created_by=alice)
    lost = lose_the_answer(generation, settings)
    other_tasks(120)  # ours is on page 3
    real_tasks = ChanjingClient.tasks

    def rate_limited_after_page_one(self, unique_ids, *, page=1, **kwargs):
        if not unique_ids and page > 1:
            raise RateLimited("超出 QPS 限制", code=40001)
        return real_tasks(self, unique_ids, page=page, **kwargs)

    monkeypatch.setattr(ChanjingClient, "tasks", rate_limited_after_page_one)
    for _ in range(3):  # long past the window: time passing proves nothing
        make_due(generation)
        call_command("poll_generations", "--once")
        generation.refresh_from_db()
        assert generation.phase == Phase.RECONCILING
    assert submits() == 1

    monkeypatch.setattr(ChanjingClient, "tasks", real_tasks)
    make_due(generation)
    call_command("poll_generations", "--once")
    generation.refresh_from_db()
    assert generation.unique_id == lost and submits() == 1


def test_lost_submits_are_looked_for_before_any_fresh_submit(alice, alice_project, sandbox, settings):
    lost = make_generation(alice_project, created_by=alice, prompt="lost")
    lose_the_answer(lost, settings)
    fresh = [make_generation(alice_project, created_by=alice, prompt=f"fresh {index}") for index in range(5)]
    # The fresh ones have waited longer than the lost one's next look.
    Generation.objects.filter(pk__in=[g.pk for g in fresh]).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    make_due(lost)
    ProviderCall.objects.all().delete()
    call_command("poll_generations", "--once")
    first = ProviderCall.objects.order_by("created_at", "id").first()
    assert (first.endpoint, first.generation_code) == (TASK_PAGE_PATH, lost.code)
    assert ProviderCall.objects.filter(endpoint=SUBMIT_PATH).count() == 5
    assert submits() == 6


def test_a_task_another_generation_holds_is_never_adopted_twice(alice, alice_project, sandbox, settings):
    holder = make_generation(alice_project, created_by=alice, status=Status.SUBMITTED, unique_id="task-1")
    looking = make_generation(alice_project, created_by=alice, submit_uncertain_since=timezone.now())
    claimed = lifecycle.claim(Generation.objects.filter(pk=looking.pk), worker="test")
    outcome = lifecycle.mark_submitted(claimed[0], "task-1", timezone.now(), adopted=True)
    assert outcome == lifecycle.Outcome.LOOK_AGAIN
    looking.refresh_from_db()
    assert looking.phase == Phase.RECONCILING and looking.unique_id == "" and looking.lease_owner == ""
    holder.refresh_from_db()
    assert holder.unique_id == "task-1"
    assert Generation.objects.filter(unique_id="task-1").count() == 1


def test_identical_takes_lost_together_each_adopt_their_own_task(alice, alice_project, sandbox, settings):
    takes = create_takes(
        alice_project,
        alice,
        {"prompt": "same words", "aspect_ratio": "1:1", "clarity": 720, "duration": 5},
        takes=3,
    )
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0
    call_command("poll_generations", "--once")
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.0
    assert Task.objects.count() == 3
    run_poller()
    ids = {g.unique_id for g in Generation.objects.filter(pk__in=[t.pk for t in takes])}
    assert ids == set(Task.objects.values_list("unique_id", flat=True))
    assert submits() == 3


def test_takes_sharing_a_frame_upload_it_once(alice, alice_project, sandbox):
    takes = create_takes(
        alice_project,
        alice,
        {
            "prompt": "the red square turns blue",
            "aspect_ratio": "9:16",
            "clarity": 720,
            "duration": 5,
            "start_frame": image_file("start.png"),
        },
        takes=4,
    )
    run_poller()
    assert RequestLog.objects.filter(endpoint="create_upload_url").count() == 1
    urls = {g.start_frame_url for g in Generation.objects.filter(pk__in=[t.pk for t in takes])}
    assert len(urls) == 1 and urls != {""}
    assert Generation.objects.filter(status=Status.SUCCEEDED).count() == 4


def test_the_terminal_provider_status_is_recorded(alice, alice_project, sandbox):
    failed = make_generation(alice_project, created_by=alice, prompt="forbidden [fail]")
    broken = make_generation(alice_project, created_by=alice, prompt="broken [error]")
    run_poller()
    failed.refresh_from_db()
    broken.refresh_from_db()
    assert (failed.status, failed.provider_status) == (Status.FAILED, "Fail")
    assert (broken.status, broken.provider_status) == (Status.FAILED, "Error")


def test_the_web_request_submits_with_a_short_lived_token(client, alice, alice_project, sandbox, settings):
    settings.SANDBOX_TOKEN_TTL = 120  # far less than the refresh margin
    get_client().access_token()
    client.force_login(alice)
    client.post(
        f"/projects/{alice_project.code}/generate",
        {"prompt": "a kite over the dunes", "aspect_ratio": "9:16", "clarity": "720", "duration": "5"},
        HTTP_HX_REQUEST="true",
    )
    generation = Generation.objects.get()
    assert generation.status == Status.SUBMITTED  # sent in the request, not left to the poller
    assert RequestLog.objects.filter(endpoint="access_token").count() == 1  # and no token fetched
