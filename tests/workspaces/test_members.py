"""Team workspaces: creating, renaming, roles, removing and leaving, and the last-owner rule."""

from __future__ import annotations

import pytest

from studio.generations.models import Generation
from studio.workspaces.access import SESSION_KEY
from studio.workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


def membership(team, persona: str) -> Membership:
    return Membership.objects.get(workspace=team["workspace"], user=team[persona])


def test_anyone_can_create_a_team_and_becomes_its_owner(client, alice):
    client.force_login(alice)
    response = client.post("/workspaces/new", {"name": "Tea brand"})
    workspace = Workspace.objects.get(name="Tea brand")
    assert response["Location"] == f"/workspaces/{workspace.code}/"
    assert not workspace.is_personal
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER
    assert client.session[SESSION_KEY] == str(workspace.code)  # switched into it
    page = client.get(response["Location"]).content.decode()
    assert "Tea brand" in page and "Invite someone" in page


def test_the_members_page_lists_roles_and_only_managers_see_the_controls(client, team):
    client.force_login(team["editor"])
    page = client.get(f"/workspaces/{team['workspace'].code}/").content.decode()
    for name in ("owner", "admin", "editor", "viewer"):
        assert name in page
    assert "Viewer" in page and "Admin" in page
    assert "Invite someone" not in page and "/remove" not in page and "/role" not in page
    client.force_login(team["admin"])
    page = client.get(f"/workspaces/{team['workspace'].code}/").content.decode()
    assert "Invite someone" in page
    assert f"/workspaces/members/{membership(team, 'viewer').code}/remove" in page
    assert (
        f"/workspaces/members/{membership(team, 'owner').code}/remove" not in page
    )  # admins leave owners be


def test_opening_a_workspaces_members_page_makes_it_the_current_workspace(client, team):
    client.force_login(team["editor"])
    assert "Team project" not in client.get("/projects/").content.decode()  # personal workspace
    client.get(f"/workspaces/{team['workspace'].code}/")
    assert client.session[SESSION_KEY] == str(team["workspace"].code)
    assert "Team project" in client.get("/projects/").content.decode()


def test_owners_change_roles(client, team):
    client.force_login(team["owner"])
    client.post(f"/workspaces/members/{membership(team, 'viewer').code}/role", {"role": "admin"})
    assert membership(team, "viewer").role == Role.ADMIN


def test_admins_cannot_touch_owners_or_make_new_ones(client, team):
    client.force_login(team["admin"])
    owner = membership(team, "owner")
    assert client.post(f"/workspaces/members/{owner.code}/role", {"role": "viewer"}).status_code == 403
    assert client.post(f"/workspaces/members/{owner.code}/remove").status_code == 403
    viewer = membership(team, "viewer")
    assert client.post(f"/workspaces/members/{viewer.code}/role", {"role": "owner"}).status_code == 403
    assert membership(team, "owner").role == Role.OWNER
    assert membership(team, "viewer").role == Role.VIEWER


def test_the_last_owner_cannot_be_demoted_or_leave(client, team):
    client.force_login(team["owner"])
    owner = membership(team, "owner")
    response = client.post(f"/workspaces/members/{owner.code}/role", {"role": "admin"}, follow=True)
    assert "A team needs at least one owner" in response.content.decode()
    response = client.post(f"/workspaces/{team['workspace'].code}/leave", follow=True)
    assert "You are the last owner" in response.content.decode()
    assert membership(team, "owner").role == Role.OWNER


def test_with_a_second_owner_the_first_can_leave(client, team):
    client.force_login(team["owner"])
    client.post(f"/workspaces/members/{membership(team, 'admin').code}/role", {"role": "owner"})
    response = client.post(f"/workspaces/{team['workspace'].code}/leave")
    assert response.status_code == 302
    assert not Membership.objects.filter(workspace=team["workspace"], user=team["owner"]).exists()
    assert client.get(f"/workspaces/{team['workspace'].code}/").status_code == 404


def test_a_member_who_leaves_loses_access_but_their_videos_stay(client, team, team_generation):
    client.force_login(team["editor"])
    client.post(f"/workspaces/{team['workspace'].code}/leave")
    assert client.get(f"/g/{team_generation.code}/").status_code == 404
    assert team_generation.prompt not in client.get("/gallery/").content.decode()
    assert Generation.objects.get(pk=team_generation.pk).workspace == team["workspace"]
    client.force_login(team["owner"])
    session = client.session
    session[SESSION_KEY] = str(team["workspace"].code)
    session.save()
    gallery = client.get("/gallery/team/").content.decode()
    assert team_generation.prompt in gallery and "by editor" in gallery


def test_a_removed_members_videos_stay_with_the_team(client, team, team_generation):
    client.force_login(team["admin"])
    response = client.post(f"/workspaces/members/{membership(team, 'editor').code}/remove", follow=True)
    assert "was removed" in response.content.decode()
    assert not Membership.objects.filter(workspace=team["workspace"], user=team["editor"]).exists()
    assert client.get(f"/g/{team_generation.code}/").status_code == 200


def test_managers_rename_the_workspace(client, team):
    client.force_login(team["admin"])
    client.post(f"/workspaces/{team['workspace'].code}/rename", {"name": "Night shift"})
    assert Workspace.objects.get(pk=team["workspace"].pk).name == "Night shift"
    response = client.post(f"/workspaces/{team['workspace'].code}/rename", {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
