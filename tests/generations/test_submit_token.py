"""One rendered form makes one generation, however many times it is posted."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

from django.db.models import QuerySet

from studio.generations.forms import GenerationForm
from studio.generations.models import Generation

HTMX = {"HTTP_HX_REQUEST": "true"}


def form_data(page: str, prompt: str = "a kite over the dunes") -> dict[str, Any]:
    found = re.search(r'name="submit_token" value="(\w+)"', page)
    assert found is not None, "the form has no submit token"
    token = found[1]
    return {
        "prompt": prompt,
        "aspect_ratio": "9:16",
        "clarity": "720",
        "duration": "5",
        "submit_token": token,
    }


def test_every_rendered_form_carries_its_own_token(client, alice, alice_project):
    client.force_login(alice)
    first = form_data(client.get(f"/projects/{alice_project.code}/").content.decode())
    second = form_data(client.get(f"/projects/{alice_project.code}/").content.decode())
    assert first["submit_token"] != second["submit_token"]


def test_posting_the_same_form_twice_makes_one_generation(client, alice, alice_project):
    client.force_login(alice)
    url = f"/projects/{alice_project.code}/"
    data = form_data(client.get(url).content.decode())

    first = client.post(f"{url}generate", data)
    second = client.post(f"{url}generate", data)  # a double click without JavaScript

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == url
    assert Generation.objects.filter(project=alice_project).count() == 1


def test_a_repeated_htmx_post_changes_nothing_on_the_page(client, alice, alice_project):
    client.force_login(alice)
    data = form_data(client.get(f"/projects/{alice_project.code}/").content.decode())
    assert client.post(f"/projects/{alice_project.code}/generate", data, **HTMX).status_code == 200
    repeat = client.post(f"/projects/{alice_project.code}/generate", data, **HTMX)
    assert repeat.status_code == 204 and repeat.content == b""
    assert Generation.objects.count() == 1


def test_two_forms_make_two_generations_and_a_fresh_form_has_a_new_token(client, alice, alice_project):
    client.force_login(alice)
    data = form_data(client.get(f"/projects/{alice_project.code}/").content.decode())
    created = client.post(f"/projects/{alice_project.code}/generate", data, **HTMX).content.decode()
    fresh = form_data(created, prompt="a second idea")  # the form swapped in after a success
    assert fresh["submit_token"] != data["submit_token"]
    client.post(f"/projects/{alice_project.code}/generate", fresh, **HTMX)
    assert Generation.objects.count() == 2


def test_two_posts_racing_past_the_check_still_make_one_generation(client, alice, alice_project):
    """Both requests may see no generation yet; the unique code refuses the second insert."""
    client.force_login(alice)
    data = form_data(client.get(f"/projects/{alice_project.code}/").content.decode())
    client.post(f"/projects/{alice_project.code}/generate", data)
    with mock.patch.object(QuerySet, "exists", return_value=False):
        late = client.post(f"/projects/{alice_project.code}/generate", data)
    assert late.status_code == 302
    assert Generation.objects.count() == 1


def test_a_post_without_a_token_still_works(client, alice, alice_project):
    client.force_login(alice)
    data = {"prompt": "no token", "aspect_ratio": "9:16", "clarity": "720", "duration": "5"}
    client.post(f"/projects/{alice_project.code}/generate", data)
    client.post(f"/projects/{alice_project.code}/generate", data)
    assert Generation.objects.count() == 2


def test_the_same_token_from_two_people_names_two_generations(alice, bob):
    codes = []
    for user in (alice, bob):
        form = GenerationForm(
            {"prompt": "x", "aspect_ratio": "9:16", "clarity": "720", "duration": "5", "submit_token": "same"}
        )
        assert form.is_valid()
        codes.append(form.submission_code(user))
    assert codes[0] != codes[1]
