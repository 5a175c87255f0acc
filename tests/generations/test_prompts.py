"""The prompt library: save, name, edit, delete and reuse; viewers only read."""

from __future__ import annotations

import re

import pytest

from studio.generations.models import Generation, SavedPrompt

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"


def test_save_from_the_generation_form_shows_it_in_the_library_next_to_it(sign_in_as, team):
    project = team["project"]
    client = sign_in_as("editor")
    form = client.get(f"/projects/{project.code}/").content.decode()
    assert "Save prompt" in form and f'formaction="/projects/{project.code}/prompts/"' in form

    response = client.post(
        f"/projects/{project.code}/prompts/",
        {"prompt": "晨雾中的竹林，镜头缓缓推进", "prompt_name": "Bamboo", "aspect_ratio": "9:16"},
        **HTMX,
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="prompt-library"')
    assert "<strong>Bamboo</strong>" in fragment and "晨雾中的竹林，镜头缓缓推进" in fragment
    # On a phone the library is far below the button, so the answer is also said next to it.
    assert '<p id="save-prompt-status" class="save-status" role="status"></p>' in form
    assert '<p id="save-prompt-status" hx-swap-oob="innerHTML">Saved to the prompt library.</p>' in fragment
    saved = SavedPrompt.objects.get()
    assert (saved.project, saved.created_by) == (project, team["editor"])


def test_saving_an_empty_prompt_from_the_form_says_why_next_to_the_button(sign_in_as, team):
    fragment = (
        sign_in_as("editor")
        .post(f"/projects/{team['project'].code}/prompts/", {"prompt": " ", "prompt_name": ""}, **HTMX)
        .content.decode()
    )
    status = re.search(r'<p id="save-prompt-status" hx-swap-oob="innerHTML">(.*?)</p>', fragment)[1]
    assert status == '<span class="error">Write a prompt first.</span>'  # one reason, not every field's
    assert not SavedPrompt.objects.exists()


def test_without_javascript_saving_goes_back_to_the_project_with_a_message(sign_in_as, team):
    project = team["project"]
    client = sign_in_as("editor")
    response = client.post(
        f"/projects/{project.code}/prompts/", {"prompt": "a paper boat in the rain"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/projects/{project.code}/"
    page = response.content.decode()
    assert "Saved “a paper boat in the rain” to the prompt library." in page  # unnamed: named by its text
    assert "<strong>a paper boat in the rain</strong>" in page


def test_an_empty_prompt_is_not_saved(sign_in_as, team):
    response = sign_in_as("editor").post(
        f"/projects/{team['project'].code}/prompts/", {"name": "x", "text": " "}
    )
    assert "Write a prompt first." in response.content.decode()
    assert not SavedPrompt.objects.exists()


def test_edit_rename_and_delete(sign_in_as, team):
    saved = SavedPrompt.objects.create(
        project=team["project"], name="Old", text="old text", created_by=team["owner"]
    )
    client = sign_in_as("editor")
    response = client.post(
        f"/prompts/{saved.code}/edit", {"name": "Sunrise", "text": "sunrise over rice terraces"}
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/projects/{team['project'].code}/prompts/"
    )
    library = client.get(response["Location"]).content.decode()
    assert (
        "<strong>Sunrise</strong>" in library
        and "sunrise over rice terraces" in library
        and "Old" not in library
    )

    client.post(f"/prompts/{saved.code}/delete")
    library = client.get(f"/projects/{team['project'].code}/prompts/").content.decode()
    assert "Deleted “Sunrise” from the prompt library." in library
    assert "<strong>Sunrise</strong>" not in library and "No saved prompts yet." in library


def test_use_fills_the_form_and_generations_keep_their_own_text(sign_in_as, team):
    saved = SavedPrompt.objects.create(
        project=team["project"], name="Kite", text="a red kite", created_by=team["owner"]
    )
    client = sign_in_as("editor")
    page = client.get(f"/prompts/{saved.code}/use").content.decode()
    assert re.search(r"<textarea[^>]*>\s*a red kite</textarea>", page)
    project_page = client.get(f"/projects/{team['project'].code}/").content.decode()
    assert (
        f'href="/prompts/{saved.code}/use" data-use-prompt="a red kite"' in project_page
    )  # the script fills it

    client.post(
        f"/projects/{team['project'].code}/generate",
        {"prompt": "a red kite", "aspect_ratio": "9:16", "clarity": "720", "duration": "5"},
    )
    client.post(f"/prompts/{saved.code}/edit", {"name": "Kite", "text": "a blue kite"})
    assert Generation.objects.get().prompt == "a red kite"  # editing the library changes no video


def test_viewers_read_the_library_but_cannot_change_it(sign_in_as, team):
    saved = SavedPrompt.objects.create(
        project=team["project"], name="Kite", text="a red kite", created_by=team["owner"]
    )
    client = sign_in_as("viewer")
    library = client.get(f"/projects/{team['project'].code}/prompts/").content.decode()
    assert "a red kite" in library and "Edit" not in library and "Save a prompt" not in library
    assert (
        client.post(f"/projects/{team['project'].code}/prompts/", {"name": "x", "text": "y"}).status_code
        == 403
    )
    assert client.post(f"/prompts/{saved.code}/edit", {"name": "x", "text": "y"}).status_code == 403
    assert client.post(f"/prompts/{saved.code}/delete").status_code == 403
    assert SavedPrompt.objects.get().text == "a red kite"
    assert sign_in_as("outsider").get(f"/projects/{team['project'].code}/prompts/").status_code == 404


def test_a_name_already_in_the_library_is_refused_with_a_reason(sign_in_as, team):
    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/prompts/"
    client.post(url, {"name": "Rainy street", "text": "雨夜街头,霓虹倒影"})
    response = client.post(url, {"prompt": "another take", "prompt_name": "rainy street"}, **HTMX)
    assert "already has a prompt named “rainy street”" in response.content.decode()
    assert SavedPrompt.objects.count() == 1
    # Renaming another prompt onto the same name is refused too; keeping its own name is fine.
    other = SavedPrompt.objects.create(project=team["project"], name="Dunes", text="kite above the dunes")
    clash = client.post(f"/prompts/{other.code}/edit", {"name": "Rainy street", "text": other.text})
    assert "already has a prompt named" in clash.content.decode()
    same = client.post(f"/prompts/{other.code}/edit", {"name": "Dunes", "text": "a red kite above the dunes"})
    assert same.status_code == 302
