"""Live cards: a page asks for all its cards in progress in one request, whatever their number."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations.models import Generation, Status
from tests.factories import finished_generation, make_project

pytestmark = pytest.mark.django_db


def in_progress(team, count: int, project=None) -> list[Generation]:
    return [
        Generation.objects.create(
            workspace=team["workspace"],
            project=project or team["project"],
            created_by=team["editor"],
            prompt=f"going {n}",
            model_code="m",
            status=Status.SUBMITTED,
            provider_status="Generating",
            submitted_at=timezone.now(),
        )
        for n in range(count)
    ]


def live(client, generations) -> str:
    query = "&".join(f"code={g.code}" for g in generations)
    response = client.get(f"/g/live?{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_cards_in_progress_ask_through_the_page_not_each_on_its_own(sign_in_as, team):
    in_progress(team, 3)
    page = sign_in_as("editor").get(f"/projects/{team['project'].code}/").content.decode()
    assert page.count("data-poll=") == 3
    assert 'hx-trigger="every' not in page
    assert "/static/js/live-cards.js" in page


def test_one_answer_redraws_every_card_out_of_band(sign_in_as, team):
    going = in_progress(team, 3)
    Generation.objects.filter(pk=going[0].pk).update(status=Status.SUCCEEDED, video="videos/x.mp4")
    answer = live(sign_in_as("editor"), going)
    cards = re.findall(r"<article [^>]*>", answer)
    assert len(cards) == 3
    assert all('hx-swap-oob="true"' in card for card in cards)
    finished = next(card for card in cards if str(going[0].code) in card)
    assert "data-poll" not in finished  # it stops being asked for
    assert f'src="/g/{going[0].code}/video.mp4"' in answer  # and becomes a playable video
    assert sum("data-poll=" in card for card in cards) == 2
    assert "With the provider" in answer or "Generating" in answer


def test_the_number_of_queries_does_not_grow_with_the_cards(sign_in_as, team):
    client = sign_in_as("editor")
    going = in_progress(team, 12)
    with CaptureQueriesContext(connection) as one:
        live(client, going[:1])
    with CaptureQueriesContext(connection) as twelve:
        live(client, going)
    assert len(one) == len(twelve)


def test_foreign_deleted_and_made_up_codes_are_all_answered_alike(sign_in_as, team):
    going = in_progress(team, 1)
    trashed = in_progress(team, 1)[0]
    Generation.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    other = finished_generation(project=make_project(name="elsewhere"))
    answer = live(sign_in_as("outsider"), [*going, trashed, other])
    assert "<article" not in answer
    assert "going" not in answer
    for generation in (*going, trashed, other):
        assert f'<div id="gen-{generation.code}" hx-swap-oob="delete"></div>' in answer
    answer = live(sign_in_as("viewer"), [*going, trashed])
    assert answer.count("<article") == 1
    assert f'<div id="gen-{trashed.code}" hx-swap-oob="delete"></div>' in answer


def test_a_viewer_gets_no_actions_a_writer_does(sign_in_as, team):
    going = in_progress(team, 1)
    Generation.objects.filter(pk=going[0].pk).update(status=Status.PENDING)
    assert "/cancel" not in live(sign_in_as("viewer"), going)
    assert f'action="/g/{going[0].code}/cancel"' in live(sign_in_as("editor"), going)
