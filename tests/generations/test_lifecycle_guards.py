"""What the lifecycle does with answers it cannot trust, and with rows that raise (issue 17)."""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from studio.chanjing.client import ChanjingClient
from studio.chanjing.models import ProviderCall
from studio.chanjing.types import GENERATING, SUCCESS, TaskInfo, TaskPage
from studio.chanjing.wire import DOWNLOAD_ENDPOINT
from studio.generations import lifecycle, problems
from studio.generations.models import Generation, Phase, Status
from studio.generations.video import NotAVideo
from tests.factories import make_generation
from tests.generations.test_lifecycle import run_poller

pytestmark = pytest.mark.django_db(transaction=True)


class ScriptedClient:
    """Answers the poller's calls from a script; a download fails the test."""

    def __init__(self, page: list[TaskInfo], detail: TaskInfo | None = None) -> None:
        self.page, self.detail = page, detail

    def tasks(self, unique_ids, **kwargs) -> TaskPage:
        return TaskPage(items=self.page, total=len(self.page), page=1, total_page=1)

    def task(self, unique_id: str) -> TaskInfo:
        assert self.detail is not None
        return self.detail

    def download(self, *args, **kwargs):
        raise AssertionError("downloaded a video it was not asked for")


def with_the_provider(alice, alice_project, *uids: str) -> list[Generation]:
    for uid in uids:
        make_generation(alice_project, created_by=alice, prompt=uid, status=Status.SUBMITTED, unique_id=uid)
    return lifecycle.claim(Generation.objects.filter(unique_id__in=uids), worker="test", limit=len(uids))


def test_a_detail_answer_about_another_task_is_ignored(alice, alice_project):
    claimed = with_the_provider(alice, alice_project, "mine")
    theirs = TaskInfo(unique_id="theirs", status=SUCCESS, output_urls=["https://cdn.test/theirs.mp4"])
    outcomes = lifecycle.poll(claimed, ScriptedClient(page=[], detail=theirs))
    assert outcomes == {lifecycle.Outcome.IGNORED: 1}
    generation = Generation.objects.get()
    assert generation.phase == Phase.GENERATING and generation.provider_status != SUCCESS
    assert not generation.video and generation.provider_video_url == ""
    assert generation.lease_owner == "" and generation.next_attempt_at > timezone.now()


def test_a_row_that_raises_in_a_batch_is_postponed_alone(alice, alice_project, monkeypatch):
    claimed = with_the_provider(alice, alice_project, "good", "poison")
    real = lifecycle.mark_progress

    def exploding(generation, task, now):
        if generation.unique_id == "poison":
            raise ValueError("a value our code cannot store")
        return real(generation, task, now)

    monkeypatch.setattr(lifecycle, "mark_progress", exploding)
    page = [TaskInfo(unique_id=uid, status=GENERATING) for uid in ("good", "poison")]
    outcomes = lifecycle.poll(claimed, ScriptedClient(page=page))
    assert outcomes == {lifecycle.Outcome.PROGRESS: 1, lifecycle.Outcome.CRASHED: 1}
    good, poison = Generation.objects.get(unique_id="good"), Generation.objects.get(unique_id="poison")
    assert good.provider_status == GENERATING  # written, though the other row raised
    assert poison.next_attempt_at > timezone.now() + timedelta(minutes=4)
    assert good.lease_owner == poison.lease_owner == ""


def test_a_list_answer_our_code_chokes_on_postpones_the_batch_not_the_process(
    alice, alice_project, sandbox, settings, monkeypatch
):
    settings.SANDBOX_GENERATING_SECONDS = 3600
    generation = make_generation(alice_project, created_by=alice)
    call_command("poll_generations", "--once")  # submitted

    def choking(self, unique_ids, **kwargs):
        raise ValueError("data.list is not a list")

    monkeypatch.setattr(ChanjingClient, "tasks", choking)
    Generation.objects.update(next_attempt_at=timezone.now())
    call_command("poll_generations", "--once")  # returns: the process survives
    generation.refresh_from_db()
    assert generation.status == Status.SUBMITTED and generation.lease_owner == ""
    assert generation.next_attempt_at > timezone.now() + timedelta(minutes=4)


def test_a_video_over_the_size_limit_is_fetched_once_and_failed_with_the_reason(
    alice, alice_project, sandbox, settings
):
    settings.VIDEO_MAX_BYTES = 1000
    generation = make_generation(alice_project, created_by=alice)
    run_poller(6)
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.error_kind == problems.DOWNLOAD_FAILED
    assert "larger than the 1000-byte limit" in generation.error_raw
    assert ProviderCall.objects.filter(endpoint=DOWNLOAD_ENDPOINT).count() == 1


def test_a_file_that_is_not_a_video_fails_without_showing_a_server_path(
    client, alice, alice_project, sandbox, monkeypatch
):
    def unreadable(path):
        raise NotAVideo(f"[Errno 1094995529] Invalid data found when processing input: '{path}'")

    monkeypatch.setattr(lifecycle, "probe", unreadable)
    generation = make_generation(alice_project, created_by=alice)
    run_poller(3)
    generation.refresh_from_db()
    assert generation.error_kind == problems.NOT_A_VIDEO
    assert generation.error_raw.endswith("processing input: 'video.mp4'")
    client.force_login(alice)
    card = client.get(f"/g/{generation.code}/card").content.decode()
    assert "Invalid data found" in card
    assert tempfile.gettempdir() not in card


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce column lengths")
def test_a_status_longer_than_its_column_postpones_that_row_and_writes_the_others(alice, alice_project):
    claimed = with_the_provider(alice, alice_project, "good", "poison")
    page = [
        TaskInfo(unique_id="good", status=GENERATING),
        TaskInfo(unique_id="poison", status="Generating" * 20),  # 200 characters for a 32-character column
    ]
    outcomes = lifecycle.poll(claimed, ScriptedClient(page=page))
    assert outcomes == {lifecycle.Outcome.PROGRESS: 1, lifecycle.Outcome.CRASHED: 1}
    assert Generation.objects.get(unique_id="good").provider_status == GENERATING
    poison = Generation.objects.get(unique_id="poison")
    assert poison.provider_status == "" and poison.lease_owner == ""
    assert poison.next_attempt_at > timezone.now() + timedelta(minutes=4)


class DownloadRecorder(ScriptedClient):
    """A download that takes a while: asks `still_held` between chunks, as the real one does."""

    def download(self, url, handle, **kwargs):
        self.max_seconds = kwargs["max_seconds"]
        self.held = []
        for _ in range(4):
            time.sleep(0.4)
            self.held.append(kwargs["still_held"]())
            self.leases.append(Generation.objects.get(unique_id="task-long").lease_expires_at)
        raise lifecycle.ChanjingError("cut short for the test", retryable=True)


def test_a_long_download_keeps_renewing_its_lease_and_stops_when_it_is_lost(alice, alice_project, settings):
    """A batch's lease may be nearly spent when its last video comes to be downloaded: the download
    gets its own time, renews the lease while bytes come, and stops once another worker has it."""
    settings.VIDEO_DOWNLOAD_MAX_SECONDS = 600
    settings.POLLER_LEASE_SECONDS = 1.2  # renewed every 0.4 s
    (generation,) = with_the_provider(alice, alice_project, "task-long")
    Generation.objects.filter(pk=generation.pk).update(
        lease_expires_at=timezone.now() + timedelta(seconds=0.1)
    )
    done = TaskInfo(unique_id="task-long", status=SUCCESS, output_urls=["https://x.chanjing.cc/v.mp4"])
    client = DownloadRecorder([done])
    client.leases = []
    with pytest.raises(lifecycle.ChanjingError):
        lifecycle.store_video(generation, done, client)
    assert client.max_seconds == 600  # the whole download time, not what the batch had left
    assert client.held == [True] * 4
    assert client.leases == sorted(client.leases) and len(set(client.leases)) >= 3  # renewed as it ran
    assert client.leases[-1] > timezone.now()

    # Another worker took the row over: the next renewal fails and the download must stop.
    Generation.objects.filter(pk=generation.pk).update(lease_owner="other")
    client.leases = []
    keeper = lifecycle.LeaseKeeper(generation)
    time.sleep(0.45)
    assert keeper() is False
