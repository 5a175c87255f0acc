"""A person can never see or fetch another person's projects, generations, frames or videos."""

from __future__ import annotations

import pytest

from studio.workspaces.models import personal_workspace_for
from tests.factories import finished_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_generation(alice, alice_project):
    return finished_generation(project=alice_project, prompt="alice's secret idea")


def urls_of(generation):
    code = generation.code
    return [
        f"/projects/{generation.project.code}/",
        f"/g/{code}/",
        f"/g/{code}/card",
        f"/g/{code}/video.mp4",
        f"/g/{code}/poster.jpg",
        f"/g/{code}/frames/start",
    ]


def test_the_owner_can_open_everything(client, alice, alice_generation):
    client.force_login(alice)
    for url in urls_of(alice_generation):
        assert client.get(url).status_code in (200, 286), url


def test_another_user_gets_404_everywhere(client, bob, alice_generation):
    client.force_login(bob)
    for url in urls_of(alice_generation):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/projects/{alice_generation.project.code}/generate", {}).status_code == 404
    assert "alice&#x27;s secret idea" not in client.get("/gallery/").content.decode()


def test_another_user_cannot_switch_into_the_workspace(client, bob, alice):
    client.force_login(bob)
    response = client.post("/workspaces/switch", {"workspace": str(personal_workspace_for(alice).code)})
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, alice_generation):
    for url in urls_of(alice_generation):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
