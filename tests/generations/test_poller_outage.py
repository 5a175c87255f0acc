"""The poller's outer loop when the database goes away: it waits, reconnects and says so once."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import OperationalError

from studio.generations import lifecycle
from studio.generations.management.commands import poll_generations

pytestmark = pytest.mark.django_db


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The pauses the poller takes, recorded instead of slept."""
    taken: list[float] = []
    monkeypatch.setattr(poll_generations.Command, "pause", lambda self, seconds: taken.append(seconds))
    return taken


def failing_for(cycles: int, error: Exception):
    calls = {"count": 0}

    def run_due_work(self) -> None:
        calls["count"] += 1
        if calls["count"] <= cycles:
            raise error
        self.stopping = True

    return run_due_work


def test_an_outage_is_waited_out_with_growing_pauses_and_logged_once(monkeypatch, waits, caplog):
    monkeypatch.setattr(
        poll_generations.Command, "run_due_work", failing_for(7, OperationalError("connection refused"))
    )
    with caplog.at_level(logging.INFO):
        call_command("poll_generations")
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert caplog.text.count("the database is unreachable") == 1
    assert caplog.text.count("the database is back after") == 1


def test_an_unexpected_error_in_a_step_does_not_stop_the_poller(monkeypatch, waits, caplog):
    monkeypatch.setattr(poll_generations.Command, "run_due_work", failing_for(2, KeyError("boom")))
    call_command("poll_generations")
    assert waits == [poll_generations.ERROR_WAIT, poll_generations.ERROR_WAIT]
    assert caplog.text.count("a step failed unexpectedly") == 2


def test_stopping_without_a_database_still_ends_cleanly(monkeypatch, waits, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(poll_generations.Command, "run_due_work", failing_for(0, OperationalError()))
    monkeypatch.setattr(lifecycle, "release_all", unreachable)
    call_command("poll_generations")
    assert "could not give the leases back" in caplog.text


def test_once_reports_an_outage_as_a_failure(monkeypatch):
    monkeypatch.setattr(poll_generations.Command, "run_due_work", failing_for(1, OperationalError("down")))
    with pytest.raises(OperationalError):
        call_command("poll_generations", "--once")
