"""Write endpoints given real data that points into another workspace: 404, and nothing changes.

The team's owner and editor act on the outsider's personal workspace, which they cannot see.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from studio.generations.models import Favorite, Generation, SavedPrompt, Status
from studio.sharing.models import ShareLink
from studio.workspaces.access import SESSION_KEY
from studio.workspaces.models import Invitation, Membership, personal_workspace_for
from tests.factories import finished_generation, make_generation, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens: no request leaves


@pytest.fixture
def foreign(team):
    outsider = team["outsider"]
    workspace = personal_workspace_for(outsider)
    project = make_project(workspace, name="Private")
    generation = finished_generation(workspace, project, outsider, prompt="private lantern")
    pending = make_generation(project, prompt="pending")
    return {
        "workspace": workspace,
        "project": project,
        "generation": generation,
        "pending": pending,
        "prompt": SavedPrompt.objects.create(
            project=project, name="secret", text="secret", created_by=outsider
        ),
        "share": ShareLink.objects.create(generation=generation, created_by=outsider),
        "invitation": Invitation.objects.create(workspace=workspace, role="editor", created_by=outsider),
        "membership": Membership.objects.get(workspace=workspace, user=outsider),
    }


GENERATE = {
    "prompt": "into someone else's project",
    "aspect_ratio": "9:16",
    "clarity": "720",
    "duration": "5",
}


@pytest.fixture
def editor(client, team):
    client.force_login(team["editor"])
    session = client.session
    session[SESSION_KEY] = str(team["workspace"].code)
    session.save()
    return client


def test_generate_into_a_foreign_project(editor, foreign):
    response = editor.post(reverse("generations:generate", args=[foreign["project"].code]), GENERATE)
    assert response.status_code == 404
    assert not Generation.objects.filter(prompt=GENERATE["prompt"]).exists()


def test_remix_of_a_foreign_generation_into_my_project(editor, team, foreign):
    data = {**GENERATE, "remix_of": str(foreign["generation"].code), "keep_start_frame": "on"}
    response = editor.post(reverse("generations:generate", args=[team["project"].code]), data)
    assert response.status_code == 404
    assert not Generation.objects.filter(prompt=GENERATE["prompt"]).exists()
    remix = editor.get(reverse("generations:remix", args=[foreign["generation"].code]))
    assert remix.status_code == 404


def test_remix_of_mine_into_a_foreign_project(editor, team, foreign):
    mine = finished_generation(team["workspace"], team["project"], team["editor"])
    url = reverse("generations:remix", args=[mine.code])
    assert editor.get(url, {"project": str(foreign["project"].code)}).status_code == 404


@pytest.mark.parametrize(
    ("name", "key", "method"),
    [
        ("generations:prompt_use", "prompt", "get"),
        ("generations:prompt_edit", "prompt", "post"),
        ("generations:prompt_delete", "prompt", "post"),
        ("generations:prompts", "project", "post"),
        ("generations:star", "generation", "post"),
        ("generations:retry", "generation", "post"),
        ("generations:cancel", "pending", "post"),
        ("generations:card", "generation", "get"),
        ("generations:frame", "generation", "get"),
        ("sharing:create", "generation", "post"),
        ("sharing:revoke", "share", "post"),
    ],
)
def test_acting_on_foreign_objects(editor, foreign, name, key, method):
    args = [foreign[key].code, "start"] if name == "generations:frame" else [foreign[key].code]
    data = {"name": "mine now", "text": "mine now", "starred": "1", "expires_in": "7"}
    before = Generation.objects.count(), ShareLink.objects.count()
    response = getattr(editor, method)(reverse(name, args=args), data if method == "post" else None)
    assert response.status_code == 404
    assert (Generation.objects.count(), ShareLink.objects.count()) == before
    assert not Favorite.objects.exists()
    assert SavedPrompt.objects.get(pk=foreign["prompt"].pk).text == "secret"
    assert SavedPrompt.objects.filter(project=foreign["project"]).count() == 1
    assert ShareLink.objects.get(pk=foreign["share"].pk).revoked_at is None
    assert Generation.objects.get(pk=foreign["pending"].pk).status == Status.PENDING


def test_switch_to_a_foreign_workspace(editor, team, foreign):
    response = editor.post(reverse("workspaces:switch"), {"workspace": str(foreign["workspace"].code)})
    assert response.status_code == 404
    assert editor.session[SESSION_KEY] == str(team["workspace"].code)


def test_an_owner_cannot_manage_another_workspace(client, team, foreign):
    client.force_login(team["owner"])
    revoke = client.post(reverse("workspaces:invitation_revoke", args=[foreign["invitation"].code]))
    role = client.post(
        reverse("workspaces:member_role", args=[foreign["membership"].code]), {"role": "viewer"}
    )
    remove = client.post(reverse("workspaces:member_remove", args=[foreign["membership"].code]))
    invite = client.post(reverse("workspaces:invite", args=[foreign["workspace"].code]), {"role": "owner"})
    assert [revoke.status_code, role.status_code, remove.status_code, invite.status_code] == [404] * 4
    assert Invitation.objects.get(pk=foreign["invitation"].pk).revoked_at is None
    assert Membership.objects.get(pk=foreign["membership"].pk).role == "owner"
    assert Invitation.objects.filter(workspace=foreign["workspace"]).count() == 1


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_parameters_never_leave_the_site(client, team, foreign, target):
    client.force_login(team["editor"])
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    responses = [
        client.post(reverse("generations:star", args=[generation.code]), {"starred": "1", "next": target}),
        client.post(reverse("workspaces:switch"), {"workspace": str(team["workspace"].code), "next": target}),
        client.post(reverse("set_language"), {"language": "en", "next": target}),
    ]
    client.logout()
    responses.append(
        client.post(
            f"{reverse('accounts:login')}?next={target}",
            {"username": "editor", "password": "a-Strong-pass-123", "next": target},
        )
    )
    signup = {"username": "newbie", "email": "newbie@example.com", "password1": "x-Strong-pass-9"}
    responses.append(
        client.post(reverse("accounts:signup"), {**signup, "password2": "x-Strong-pass-9", "next": target})
    )
    for response in responses:
        assert response.status_code == 302
        assert response["Location"].startswith("/") and not response["Location"].startswith(("//", "/\\"))
