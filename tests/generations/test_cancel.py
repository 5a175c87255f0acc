"""Cancelling: only a generation that has certainly not reached the provider stops for free."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.generations.lifecycle import cancel
from studio.generations.models import Status
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def test_a_waiting_generation_is_cancelled(alice_project):
    generation = make_generation(alice_project)
    assert cancel(generation) is True
    assert generation.status == Status.CANCELLED and generation.finished_at is not None


def test_one_being_sent_right_now_is_not(alice_project):
    generation = make_generation(
        alice_project, lease_owner="poller-1", lease_expires_at=timezone.now() + timedelta(seconds=60)
    )
    assert cancel(generation) is False
    assert generation.status == Status.PENDING


def test_an_abandoned_lease_does_not_stop_it(alice_project):
    generation = make_generation(
        alice_project, lease_owner="poller-1", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert cancel(generation) is True
    assert generation.status == Status.CANCELLED


def test_one_whose_submit_may_have_arrived_is_not(alice_project):
    """The provider may be running it and charging for it: the poller must find out first."""
    generation = make_generation(alice_project, submit_uncertain_since=timezone.now())
    assert cancel(generation) is False
    assert generation.status == Status.PENDING


def test_a_submitted_one_is_not(alice_project):
    generation = make_generation(alice_project, status=Status.SUBMITTED, unique_id="task-1")
    assert cancel(generation) is False
    assert generation.status == Status.SUBMITTED
