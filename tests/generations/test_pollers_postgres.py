"""Several poller processes against one PostgreSQL database, with the sandbox misbehaving.

Real processes (manage.py poll_generations) share the test database and reach the sandbox on
the live server over HTTP, exactly as pollers on several hosts would.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count

from studio.generations.models import Generation, Status, WorkerHeartbeat
from studio.sandbox.models import RequestLog, Task
from tests.factories import make_generations
from tests.generations.pollers import poller_env, start_pollers, stop, wait_until_all_terminal

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="row locks and several processes on one database need PostgreSQL (set DATABASE_URL)",
    ),
]


def takes(project, count: int) -> None:
    """`count` generations waiting to be sent; every tenth is one the sandbox fails."""
    prompts = [f"take {index}" + (" [fail]" if index % 10 == 0 else "") for index in range(count)]
    make_generations(project, prompts, aspect_ratio="16:9")


@pytest.fixture
def faulty_sandbox(sandbox, settings):
    settings.SANDBOX_FAULT_50000_RATE = 0.05
    settings.SANDBOX_FAULT_502_RATE = 0.03
    settings.SANDBOX_FAULT_TRUNCATED_RATE = 0.03
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.05
    return sandbox


@pytest.mark.parametrize("workers", [2, 4])
def test_many_pollers_finish_every_generation_exactly_once(
    workers, alice, alice_project, faulty_sandbox, settings
):
    takes(alice_project, 200)
    pollers = start_pollers(workers, poller_env(faulty_sandbox, settings.MEDIA_ROOT))
    try:
        wait_until_all_terminal(200, timeout=240)
    finally:
        codes = stop(pollers)
    assert codes == [0] * workers

    generations = Generation.objects.all()
    assert generations.filter(status=Status.SUCCEEDED).count() == 180
    assert generations.filter(status=Status.FAILED).count() == 20  # exactly the [fail] prompts
    assert not generations.filter(status=Status.FAILED).exclude(prompt__endswith="[fail]").exists()
    # Every success has exactly one stored video, and no two share a provider task.
    succeeded = generations.filter(status=Status.SUCCEEDED)
    assert all(Path(g.video.path).exists() for g in succeeded)
    assert len(set(succeeded.values_list("video", flat=True))) == 180
    assert len(set(generations.values_list("unique_id", flat=True))) == 200
    # The sandbox saw no duplicate submit: one task per prompt.
    duplicates = Task.objects.values("prompt").annotate(n=Count("id")).filter(n__gt=1)
    assert list(duplicates) == []
    assert Task.objects.count() == 200
    assert not generations.exclude(lease_owner="").exists()
    assert WorkerHeartbeat.objects.filter(stopped_at__isnull=False).count() == workers
    assert RequestLog.objects.exclude(fault="").exists()  # the faults really happened


def test_a_poller_killed_mid_batch_is_taken_over(alice, alice_project, sandbox, settings):
    settings.SANDBOX_FAULT_SLOW_RATE = 0.2
    settings.SANDBOX_FAULT_SLOW_SECONDS = 1.0
    takes(alice_project, 40)
    env = poller_env(sandbox, settings.MEDIA_ROOT, POLLER_LEASE_SECONDS="3")
    victim = start_pollers(1, env)[0]
    deadline = time.monotonic() + 60
    while not Generation.objects.exclude(lease_owner="").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert Generation.objects.exclude(lease_owner="").exists()  # it died holding leases

    survivor = start_pollers(1, env)
    try:
        wait_until_all_terminal(40, timeout=120)
    finally:
        assert stop(survivor) == [0]
    assert Generation.objects.filter(status=Status.SUCCEEDED).count() == 36
    assert Task.objects.count() == 40  # leases expired and were taken over; nothing sent twice


def test_sigterm_finishes_the_current_item_and_exits_cleanly(alice, alice_project, sandbox, settings):
    takes(alice_project, 5)
    poller = start_pollers(1, poller_env(sandbox, settings.MEDIA_ROOT))[0]
    deadline = time.monotonic() + 30
    while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    # The poller names its connection, so pg_stat_activity shows which worker holds what.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name LIKE 'poller %%'"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert f"poller {WorkerHeartbeat.objects.get().name}" in names
    poller.send_signal(signal.SIGTERM)
    assert poller.wait(timeout=30) == 0
    output = poller.stdout.read().decode()
    assert "leases released" in output
    assert not Generation.objects.exclude(lease_owner="").exists()
    assert WorkerHeartbeat.objects.get().stopped_at is not None
