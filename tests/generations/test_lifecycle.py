"""The poller's promises: nothing lost, nothing duplicated, nothing stranded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from studio.chanjing.factory import get_client
from studio.generations import lifecycle
from studio.generations.models import Generation, Status, WorkerHeartbeat
from studio.sandbox.models import RequestLog
from tests.factories import make_generation

pytestmark = pytest.mark.django_db(transaction=True)


def run_poller(passes: int = 4) -> None:
    for _ in range(passes):
        Generation.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED]).update(
            next_attempt_at=timezone.now()
        )
        call_command("poll_generations", "--once")


def submits() -> int:
    return RequestLog.objects.filter(endpoint="task_submit").count()


def test_a_lost_submit_answer_is_reconciled_not_resubmitted(alice, alice_project, sandbox, settings):
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0  # the sandbox creates the task, the answer is lost
    generation = make_generation(alice_project)
    call_command("poll_generations", "--once")
    generation.refresh_from_db()
    assert generation.status == Status.PENDING
    assert generation.submit_uncertain_since is not None
    assert submits() == 1

    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.0
    run_poller()
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED
    assert submits() == 1  # adopted from the task list, never sent twice
    assert generation.video


def test_a_failing_task_list_keeps_a_lost_submit_unreconciled_not_forgotten(
    alice, alice_project, sandbox, settings
):
    get_client().access_token()
    settings.CHANJING_MAX_RETRIES = 0
    settings.SUBMIT_RECONCILE_SECONDS = 0
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0
    generation = make_generation(alice_project)
    call_command("poll_generations", "--once")
    assert submits() == 1

    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.0
    settings.SANDBOX_FAULT_502_RATE = 1.0  # now the task list itself fails
    run_poller(1)
    generation.refresh_from_db()
    assert generation.status == Status.PENDING
    assert generation.submit_uncertain_since is not None  # still to be reconciled

    settings.SANDBOX_FAULT_502_RATE = 0.0
    run_poller()
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED
    assert submits() == 1  # adopted, never sent twice


def test_identical_prompts_each_adopt_their_own_task(alice, alice_project, sandbox, settings):
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0
    first = make_generation(alice_project, prompt="same words")
    second = make_generation(alice_project, prompt="same words")
    call_command("poll_generations", "--once")
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.0
    run_poller()
    first.refresh_from_db()
    second.refresh_from_db()
    assert submits() == 2
    assert first.unique_id and second.unique_id and first.unique_id != second.unique_id
    assert first.status == second.status == Status.SUCCEEDED


def test_a_submit_that_never_reached_the_provider_is_sent_again_after_the_window(
    alice, alice_project, sandbox, settings
):
    get_client().access_token()
    settings.SANDBOX_FAULT_502_RATE = 1.0  # the gateway answers 502 before the task exists
    settings.SUBMIT_RECONCILE_SECONDS = 0
    generation = make_generation(alice_project)
    call_command("poll_generations", "--once")
    generation.refresh_from_db()
    assert generation.status == Status.PENDING and generation.submit_uncertain_since
    settings.SANDBOX_FAULT_502_RATE = 0.0
    run_poller()
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED
    assert RequestLog.objects.filter(endpoint="task_submit", fault="").count() == 1


def test_pending_tasks_are_checked_fifty_at_a_time(alice, alice_project, sandbox, settings):
    settings.SANDBOX_GENERATING_SECONDS = 3600
    for index in range(60):
        make_generation(alice_project, prompt=f"shot {index}")
    call_command("poll_generations", "--once")  # submits all 60
    assert Generation.objects.filter(status=Status.SUBMITTED).count() == 60
    RequestLog.objects.all().delete()
    Generation.objects.update(next_attempt_at=timezone.now())
    call_command("poll_generations", "--once")
    assert RequestLog.objects.filter(endpoint="task_page").count() == 2  # 60 tasks, 2 list calls
    assert RequestLog.objects.filter(endpoint="task_detail").count() == 0
    assert set(Generation.objects.values_list("provider_status", flat=True)) == {"Generating"}


def test_a_poison_generation_does_not_stop_the_others(alice, alice_project, sandbox, monkeypatch):
    good = make_generation(alice_project, prompt="good")
    poison = make_generation(alice_project, prompt="poison")
    call_command("poll_generations", "--once")
    real_apply = lifecycle.apply_task

    def exploding_apply(generation, task, client):
        if generation.pk == poison.pk:
            raise RuntimeError("a bug in our own code")
        return real_apply(generation, task, client)

    monkeypatch.setattr(lifecycle, "apply_task", exploding_apply)
    Generation.objects.update(next_attempt_at=timezone.now())
    call_command("poll_generations", "--once")
    good.refresh_from_db()
    poison.refresh_from_db()
    assert good.status == Status.SUCCEEDED
    assert poison.status == Status.SUBMITTED
    assert poison.next_attempt_at > timezone.now() + timedelta(minutes=4)  # pushed forward, not retried hot
    assert poison.lease_owner == ""


def test_a_stuck_generation_is_reconciled_then_failed_with_a_reason(alice, alice_project, sandbox):
    generation = make_generation(alice_project, prompt="forever [slow]")
    run_poller(2)
    generation.refresh_from_db()
    assert generation.provider_status == "Generating"
    # 41 minutes in Generating, and due for its next look.
    Generation.objects.filter(pk=generation.pk).update(
        status_changed_at=timezone.now() - timedelta(minutes=41), next_attempt_at=timezone.now()
    )
    call_command("poll_generations", "--once")
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.error_message == "Timed out after 41 min in Generating."
    with translation.override("zh-hans"):
        assert generation.problem == "在“生成中”状态停留 41 分钟后超时。"


class RetakenInALoop(BaseException):
    """Escapes the poller's `except Exception`, so a crash loop fails the test instead of hanging."""


def test_a_stuck_generation_whose_settling_crashes_is_postponed_not_retaken(
    alice, alice_project, monkeypatch
):
    stuck = make_generation(alice_project)
    Generation.objects.filter(pk=stuck.pk).update(status_changed_at=timezone.now() - timedelta(hours=2))
    calls = []

    def crashing_settle(generation, client):
        calls.append(generation.pk)
        if len(calls) > 3:
            raise RetakenInALoop
        raise RuntimeError("a bug in our own code")

    monkeypatch.setattr(lifecycle, "settle_stuck", crashing_settle)
    call_command("poll_generations", "--once")
    stuck.refresh_from_db()
    assert calls == [stuck.pk]
    assert stuck.next_attempt_at > timezone.now() + timedelta(minutes=4)
    assert stuck.attempts == 1 and stuck.lease_owner == ""


def test_a_provider_error_keeps_its_message(alice, alice_project, sandbox):
    generation = make_generation(alice_project, prompt="broken [error]")
    run_poller(3)
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert "未扣费" in generation.error_raw


def test_the_poller_writes_a_heartbeat(alice, alice_project, sandbox):
    make_generation(alice_project)
    call_command("poll_generations", "--once")
    beat = WorkerHeartbeat.objects.get()
    assert beat.submitted == 1
    assert beat.stopped_at is not None
    assert beat.name == lifecycle.WORKER_NAME


def test_retry_makes_a_new_generation_with_the_same_parameters(client, alice, alice_project):
    failed = make_generation(alice_project, status=Status.FAILED, error_message="no")
    client.force_login(alice)
    response = client.post(f"/g/{failed.code}/retry")
    assert response.status_code == 302
    retry = Generation.objects.exclude(pk=failed.pk).get()
    assert retry.parent == failed
    assert (retry.prompt, retry.aspect_ratio, retry.duration) == (failed.prompt, "1:1", 5)
    assert retry.status == Status.PENDING


def test_cancel_works_only_before_the_provider_has_it(client, alice, alice_project):
    waiting = make_generation(alice_project)
    sent = make_generation(alice_project, status=Status.SUBMITTED, unique_id="abc")
    client.force_login(alice)
    client.post(f"/g/{waiting.code}/cancel")
    response = client.post(f"/g/{sent.code}/cancel", follow=True)
    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert waiting.status == Status.CANCELLED
    assert sent.status == Status.SUBMITTED
    assert "cannot be cancelled" in response.content.decode()


def test_the_callback_only_moves_the_next_poll_up(client, alice, alice_project):
    later = timezone.now() + timedelta(minutes=5)
    generation = make_generation(
        alice_project, status=Status.SUBMITTED, unique_id="u1", next_attempt_at=later
    )
    signature = lifecycle.CALLBACK_SIGNER.signature(str(generation.code))
    forged = client.post(f"/callbacks/chanjing/{generation.code}/forged", {"progress_desc": "Success"})
    assert forged.status_code == 404
    response = client.post(
        f"/callbacks/chanjing/{generation.code}/{signature}",
        data='{"progress_desc": "Success", "output_url": ["http://evil.example/x.mp4"]}',
        content_type="application/json",
    )
    assert response.status_code == 200
    generation.refresh_from_db()
    assert generation.status == Status.SUBMITTED  # the payload is not trusted
    assert generation.next_attempt_at <= timezone.now()
