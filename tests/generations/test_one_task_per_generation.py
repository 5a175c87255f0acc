"""Exactly one provider task per generation, however deep the queue (issue 10).

A busy team on PostgreSQL: real poller processes against the sandbox over HTTP, lost and
truncated submit answers, gateway errors, a provider rate limit, short-lived tokens, one
poller SIGKILLed and one stopped with SIGTERM midway. Some submits lose their answer and
nobody looks for them until more than 250 newer tasks sit in front of theirs in the
provider's newest-first task list. At the end every generation owns exactly one task, every
task is owned, nothing is lost, and every failure is one the provider was told to produce.

The full run (300+ generations, 4 pollers) is marked `soak` (`make soak`); the normal
PostgreSQL suite runs a smaller one whose 260 newer tasks come from elsewhere in the account.
"""

from __future__ import annotations

import hashlib
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from studio.chanjing.models import ProviderCall
from studio.chanjing.wire import SUBMIT_PATH, TASK_PAGE_PATH
from studio.generations.models import Generation, Project, Status
from studio.sandbox.models import Behaviour, RequestLog, Task
from studio.workspaces.models import personal_workspace_for
from tests.factories import make_user
from tests.generations.pollers import TERMINAL, poller_env, start_pollers, stop, wait_until_all_terminal

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="row locks and several processes on one database need PostgreSQL (set DATABASE_URL)",
    ),
]

NEWER_TASKS = 260
OTHERS = "someone else's task"


def new_generation(user, project, prompt: str, **fields) -> Generation:
    return Generation(
        workspace=personal_workspace_for(user),
        project=project,
        created_by=user,
        prompt=prompt,
        aspect_ratio="16:9",
        clarity=720,
        duration=5,
        model_code="Doubao-Seedance-1.0-lite-i2v",
        is_sandbox=True,
        **fields,
    )


def lose_submit_answers(people, settings) -> list[Generation]:
    """Six submits whose answers are lost; identical prompts from two people at the same moment."""
    lost = Generation.objects.bulk_create(
        new_generation(user, project, f"shared idea {index % 3}")
        for index, (user, project) in enumerate(people * 3)
    )
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0
    call_command("poll_generations", "--once")
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.0
    assert Task.objects.count() == len(lost)  # the provider created every task...
    uncertain = Generation.objects.filter(pk__in=[g.pk for g in lost], submit_uncertain_since__isnull=False)
    assert uncertain.count() == len(lost)  # ...and the studio knows none of them
    # Nobody looks for them for a while (a deep queue, a poller that died holding them).
    uncertain.update(next_attempt_at=timezone.now() + timedelta(hours=1))
    return lost


def queue_fresh_work(people, count: int) -> None:
    """Takes of three identical prompts, some the provider fails, some equal to a lost prompt."""
    rows = []
    for index in range(count):
        user, project = people[index % len(people)]
        group = index // 3
        prompt = f"shared idea {group % 3}" if group % 20 == 0 else f"scene {group}"
        if group % 15 == 7:
            prompt += " [fail]"
        elif group % 15 == 11:
            prompt += " [error]"
        rows.append(new_generation(user, project, prompt, take_index=index % 3 + 1))
    Generation.objects.bulk_create(rows)


def flood_from_elsewhere(count: int) -> None:
    """Tasks someone else in the account created after the lost submits (still generating)."""
    params = {
        "ref_prompt": OTHERS,
        "creation_type": 4,
        "model_code": "Doubao-Seedance-1.0-lite-i2v",
        "video_duration": 5,
        "aspect_ratio": "16:9",
        "clarity": 720,
    }
    for _ in range(count):
        Task.objects.create(body=params, prompt=OTHERS, params=params, behaviour=Behaviour.SLOW)


def tasks_created_before_first_look(generation: Generation) -> int:
    """How many tasks the provider created between a lost submit and the first look for it."""
    calls = ProviderCall.objects.filter(generation_code=generation.code).order_by("created_at", "id")
    lost = calls.filter(endpoint=SUBMIT_PATH, ok=False).first()
    assert lost is not None, f"{generation.code} lost no submit answer"
    look = calls.filter(endpoint=TASK_PAGE_PATH, created_at__gt=lost.created_at).first()
    assert look is not None, f"{generation.code} was never looked for"
    return Task.objects.filter(created_at__gt=lost.created_at, created_at__lt=look.created_at).count()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


def busy_team(people, sandbox_url: str, settings, *, fresh: int, workers: int, flood: bool) -> None:
    settings.SANDBOX_TOKEN_TTL = 120
    lost = lose_submit_answers(people, settings)
    queue_fresh_work(people, fresh)
    if flood:
        flood_from_elsewhere(NEWER_TASKS)
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0.04
    settings.SANDBOX_FAULT_TRUNCATED_RATE = 0.03
    settings.SANDBOX_FAULT_50000_RATE = 0.03
    settings.SANDBOX_FAULT_502_RATE = 0.02
    settings.SANDBOX_QPS_LIMIT = 40  # the provider's own limit, a little under the studio's
    total = len(lost) + fresh
    env = poller_env(
        sandbox_url,
        settings.MEDIA_ROOT,
        CHANJING_RATE_LIMIT="45",
        POLLER_LEASE_SECONDS="10",
        SUBMIT_RECONCILE_SECONDS="2",
    )
    pollers = start_pollers(workers, env)
    try:
        wait_for(lambda: Task.objects.count() >= len(lost) + NEWER_TASKS, 300, "the newer tasks")
        Generation.objects.filter(pk__in=[g.pk for g in lost]).update(next_attempt_at=timezone.now())

        wait_for(lambda: Generation.objects.filter(status__in=TERMINAL).count() >= total // 2, 300, "half")
        pollers[0].send_signal(signal.SIGKILL)  # dies holding leases, never says goodbye
        assert pollers[0].wait(timeout=10) == -signal.SIGKILL
        pollers[1].send_signal(signal.SIGTERM)
        assert pollers[1].wait(timeout=60) == 0
        pollers += start_pollers(1, env)
        wait_until_all_terminal(total, timeout=600)
    finally:
        codes = stop(pollers[2:])
        for process in pollers[:2]:
            if process.poll() is None:
                process.kill()
    assert codes == [0] * len(codes)

    # The lost submits were looked for only after 250+ newer tasks, and each adopted its own.
    in_front = [tasks_created_before_first_look(g) for g in lost]
    assert max(in_front) >= 250
    lost_answers = RequestLog.objects.filter(endpoint="task_submit", fault__in=["lost_submit", "truncated"])
    print(
        f"{total} generations, {Task.objects.count()} sandbox tasks, tasks in front of the held-back "
        f"lost submits at their first look: {sorted(in_front)}, submit answers lost or truncated: "
        f"{lost_answers.count()}, provider calls: {ProviderCall.objects.count()}"
    )
    generations = Generation.objects.all()
    owned = Counter(generations.exclude(unique_id="").values_list("unique_id", flat=True))
    assert [uid for uid, n in owned.items() if n > 1] == []  # never one task for two generations
    ours = Task.objects.exclude(prompt=OTHERS)
    orphans = ours.exclude(unique_id__in=list(owned))
    assert list(orphans.values_list("prompt", flat=True)) == []  # no task the team pays for unseen
    duplicates = Counter(Task.objects.exclude(prompt=OTHERS).values_list("prompt", flat=True))
    by_prompt = Counter(generations.values_list("prompt", flat=True))
    assert duplicates == by_prompt  # exactly one task per generation, prompt by prompt
    assert not generations.exclude(status__in=TERMINAL).exists()  # nothing lost

    # Every failure is one the provider was told to produce, with its terminal status recorded.
    failed = generations.filter(status=Status.FAILED)
    unexplained = failed.exclude(prompt__endswith="[fail]").exclude(prompt__endswith="[error]")
    assert list(unexplained.values_list("prompt", "error_message")) == []
    assert set(failed.values_list("provider_status", flat=True)) == {"Fail", "Error"}
    assert (
        generations.filter(status=Status.SUCCEEDED).count()
        == generations.exclude(prompt__endswith="]").count()
    )
    for generation in generations.filter(status=Status.SUCCEEDED):
        data = Path(generation.video.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == generation.video_sha256
        assert Path(generation.poster.path).stat().st_size > 0
    assert not generations.exclude(lease_owner="").exists()
    faults = set(RequestLog.objects.exclude(fault="").values_list("fault", flat=True))
    assert {"lost_submit", "truncated", "502", "50000"} <= faults  # the faults really happened
    assert Task.objects.values("unique_id").annotate(n=Count("id")).filter(n__gt=1).count() == 0


@pytest.fixture
def people(db):
    alice, bob = make_user("alice"), make_user("bob")
    return [
        (user, Project.objects.create(workspace=personal_workspace_for(user), name="Launch", created_by=user))
        for user in (alice, bob)
    ]


def test_lost_submits_behind_260_newer_tasks_are_adopted_not_resent(people, sandbox, settings):
    busy_team(people, sandbox, settings, fresh=60, workers=3, flood=True)


@pytest.mark.soak
def test_a_busy_team_gets_exactly_one_task_per_generation(people, sandbox, settings):
    busy_team(people, sandbox, settings, fresh=300, workers=4, flood=False)
