"""The project page and its HTMX generation form."""

from __future__ import annotations

import re
import socket

import pytest

from studio.chanjing.factory import get_client
from studio.chanjing.models import ProviderCall
from studio.chanjing.wire import SUBMIT_PATH
from studio.generations import services
from studio.generations.models import Generation, Project, Status
from tests.factories import image_file, make_fresh_token

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def form_data(**overrides):
    data = {
        "prompt": "女孩在花海中转身微笑,镜头缓慢推进",
        "aspect_ratio": "9:16",
        "clarity": "720",
        "duration": "5",
    }
    data.update(overrides)
    return data


def test_create_a_project_and_open_it(client, alice):
    client.force_login(alice)
    response = client.post("/projects/", {"name": "Tea commercial", "description": "30 s spot"})
    project = Project.objects.get(name="Tea commercial")
    assert response["Location"] == f"/projects/{project.code}/"
    page = client.get(response["Location"]).content.decode()
    assert "Tea commercial" in page
    assert "Nothing generated yet" in page
    assert 'hx-post="/projects/' in page  # the form is an HTMX form...
    assert f'action="/projects/{project.code}/generate"' in page  # ...that also works without JavaScript


@pytest.mark.django_db(transaction=True)
def test_htmx_submit_returns_the_new_card_and_keeps_the_composer(client, alice, alice_project, sandbox):
    get_client().access_token()  # a deployment with a shared token submits during the request
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.code}/generate", form_data(), **HTMX)
    assert response.status_code == 200
    generation = Generation.objects.get()
    html = response.content.decode()
    assert f'id="gen-{generation.code}"' in html
    assert "女孩在花海中转身微笑" in html
    # The composer is not replaced (prompt, settings and frames stay as they were): only its
    # submit token is renewed, and the status line by the button says what happened.
    assert 'id="generation-form"' not in html
    token = re.search(
        r'<input type="hidden" name="submit_token" value="(\w+)" id="id_submit_token" hx-swap-oob="true">',
        html,
    )
    assert token and token[1] != form_data().get("submit_token")
    assert re.search(r'<p id="generate-status"[^>]*hx-swap-oob="true">1 video queued</p>', html)
    assert "generation-created" in response.headers["HX-Trigger-After-Settle"]
    # Submitted to the sandbox during the request: the provider knows it.
    assert generation.status == Status.SUBMITTED
    assert generation.unique_id
    assert "Queued" in html


def test_bad_input_comes_back_next_to_the_fields(client, alice, alice_project):
    client.force_login(alice)
    response = client.post(
        f"/projects/{alice_project.code}/generate",
        form_data(prompt="   ", duration="7", end_frame=image_file("end.png")),
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#generation-form"
    assert "Write a prompt first." in html
    assert "Select a valid choice. 7 is not one of the available choices." in html
    assert "An end frame needs a start frame." in html
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: image_file("tiny.png", size=(200, 200)), "its short side must be at least 300 px"),
        (lambda: image_file("strip.png", size=(1600, 320)), "ratio is 5.00; it must be between 0.4 and 2.5"),
        (lambda: image_file("anim.gif", fmt="GIF"), "Use a JPEG, PNG or WebP image"),
    ],
)
def test_frames_are_checked_before_anything_is_sent(client, alice, alice_project, upload, message):
    client.force_login(alice)
    response = client.post(
        f"/projects/{alice_project.code}/generate", form_data(start_frame=upload()), **HTMX
    )
    assert message in response.content.decode()
    assert not Generation.objects.exists()


def test_a_provider_that_is_down_loses_nothing(client, alice, alice_project, settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens there
    make_fresh_token()  # so the request's quick submit really calls the provider
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.code}/generate", form_data(), **HTMX)
    assert response.status_code == 200
    generation = Generation.objects.get()
    submits = ProviderCall.objects.filter(endpoint=SUBMIT_PATH, generation_code=generation.code)
    assert [call.ok for call in submits] == [False]  # it tried, and the refused connection
    assert generation.status == Status.PENDING  # left the generation for the poller,
    assert generation.lease_owner == "" and generation.attempts == 1  # unclaimed, counted,
    assert generation.submit_uncertain_since is None  # known not to have arrived
    assert "Waiting to send" in response.content.decode()
    assert "cannot be reached" in generation.error_message


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_form_redirects_back_to_the_project(client, alice, alice_project, sandbox):
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.code}/generate", form_data())
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "女孩在花海中转身微笑" in page


def test_a_start_frame_is_kept_and_shown(client, alice, alice_project, settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"
    client.force_login(alice)
    client.post(f"/projects/{alice_project.code}/generate", form_data(start_frame=image_file()), **HTMX)
    generation = Generation.objects.get()
    assert generation.start_frame
    frame = client.get(f"/g/{generation.code}/frames/start")
    assert frame.status_code == 200
    assert frame["Content-Type"] == "image/png"


def test_viewers_cannot_generate(client, team):
    client.force_login(team["viewer"])
    response = client.post(f"/projects/{team['project'].code}/generate", form_data(), **HTMX)
    assert response.status_code == 403
    assert client.get(f"/projects/{team['project'].code}/").status_code == 200


def test_wrong_method_is_405(client, alice, alice_project):
    client.force_login(alice)
    assert client.get(f"/projects/{alice_project.code}/generate").status_code == 405


@pytest.fixture
def hanging_provider(settings):
    """A provider that accepts connections and never answers, with a valid shared token."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings.CHANJING_BASE_URL = base_url
    make_fresh_token(base_url)
    yield base_url
    listener.close()


def test_a_hanging_provider_does_not_hold_the_request(
    client, alice, alice_project, hanging_provider, monkeypatch
):
    built = []

    def recording_get_client(**overrides):
        built.append(overrides)
        return get_client(**overrides)

    monkeypatch.setattr(services, "get_client", recording_get_client)
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.code}/generate", form_data(), **HTMX)
    assert response.status_code == 200
    generation = Generation.objects.get()
    # The request gave up after its short read timeout; the poller reconciles before resending.
    assert generation.status == Status.PENDING
    assert generation.submit_uncertain_since is not None
    assert "Waiting to send" in response.content.decode()
    assert ProviderCall.objects.filter(endpoint="/open/v1/ai_creation/task/submit", ok=False).count() == 1
    # One attempt with at most 0.5 s to connect and 1.5 s to answer: about two seconds in all.
    assert len(built) == 1
    timeouts = {name: value for name, value in built[0].items() if name != "token_store"}
    assert timeouts == {"connect_timeout": 0.5, "read_timeout": 1.5, "max_retries": 0}
