"""Invitations by link: created by managers, mailed when an email is given, accepted once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from studio.accounts.models import User
from studio.workspaces.access import SESSION_KEY
from studio.workspaces.models import Invitation, Membership, Role, personal_workspace_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(team) -> Invitation:
    return Invitation.objects.create(workspace=team["workspace"], role=Role.VIEWER, created_by=team["owner"])


def test_an_invitation_with_an_email_is_sent_with_its_link(client, team):
    client.force_login(team["admin"])
    response = client.post(
        f"/workspaces/{team['workspace'].code}/invitations", {"role": "editor", "email": "lin@example.com"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    link = f"http://testserver/workspaces/join/{invitation.token}/"
    assert len(invitation.token) >= 40
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lin@example.com"]
    assert "Team" in message.subject and "admin" in message.subject
    assert link in message.body
    page = client.get(f"/workspaces/{team['workspace'].code}/").content.decode()
    assert link in page  # shown to copy, too


def test_a_link_without_email_sends_nothing(client, team):
    client.force_login(team["owner"])
    client.post(f"/workspaces/{team['workspace'].code}/invitations", {"role": "viewer", "email": ""})
    assert Invitation.objects.get().role == Role.VIEWER
    assert mail.outbox == []


def test_admins_cannot_invite_owners(client, team):
    client.force_login(team["admin"])
    response = client.post(f"/workspaces/{team['workspace'].code}/invitations", {"role": "owner"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_personal_workspace_takes_no_invitations(client, alice):
    client.force_login(alice)
    response = client.post(
        f"/workspaces/{personal_workspace_for(alice).code}/invitations", {"role": "viewer"}
    )
    assert response.status_code == 403


def test_accepting_while_signed_in_joins_and_switches(client, bob, invitation, team):
    client.force_login(bob)
    page = client.get(f"/workspaces/join/{invitation.token}/").content.decode()
    assert "Accept and join" in page and "as Viewer" in page
    response = client.post(f"/workspaces/join/{invitation.token}/")
    assert response["Location"] == "/projects/"
    assert Membership.objects.get(workspace=team["workspace"], user=bob).role == Role.VIEWER
    assert client.session[SESSION_KEY] == str(team["workspace"].code)
    invitation.refresh_from_db()
    assert invitation.accepted_by == bob and invitation.accepted_at
    assert "Team project" in client.get("/projects/").content.decode()


def test_accepting_right_after_sign_up(client, invitation, team):
    accept_url = f"/workspaces/join/{invitation.token}/"
    page = client.get(accept_url).content.decode()
    assert f"/accounts/signup/?next={accept_url}" in page
    response = client.post(
        "/accounts/signup/",
        {
            "username": "mei",
            "email": "mei@example.com",
            "password1": "Xy-long-pass-99",
            "password2": "Xy-long-pass-99",
            "next": accept_url,
        },
    )
    assert response["Location"] == accept_url
    client.post(accept_url)
    assert Membership.objects.filter(workspace=team["workspace"], user__username="mei").exists()


def test_accepting_right_after_sign_in(client, bob, invitation, team):
    accept_url = f"/workspaces/join/{invitation.token}/"
    response = client.post(accept_url)  # signed out: off to sign in, and back
    assert response["Location"] == f"/accounts/login/?next={accept_url}"
    response = client.post(
        "/accounts/login/", {"username": "bob", "password": "a-Strong-pass-123", "next": accept_url}
    )
    assert response["Location"] == accept_url
    client.post(accept_url)
    assert Membership.objects.filter(workspace=team["workspace"], user=bob).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked_at": timezone.now()}, "This invitation was revoked."),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "This invitation has expired."),
    ],
)
def test_revoked_and_expired_links_say_so_plainly(client, bob, invitation, team, change, message):
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    client.force_login(bob)
    page = client.get(f"/workspaces/join/{invitation.token}/")
    assert page.status_code == 200 and message in page.content.decode()
    response = client.post(f"/workspaces/join/{invitation.token}/")
    assert message in response.content.decode()
    assert not Membership.objects.filter(workspace=team["workspace"], user=bob).exists()


def test_a_used_link_says_so(client, alice, bob, invitation, team):
    client.force_login(alice)
    client.post(f"/workspaces/join/{invitation.token}/")
    client.force_login(bob)
    page = client.get(f"/workspaces/join/{invitation.token}/").content.decode()
    assert "This invitation has already been used." in page
    client.post(f"/workspaces/join/{invitation.token}/")
    assert not Membership.objects.filter(workspace=team["workspace"], user=bob).exists()


def test_managers_revoke_a_pending_invitation(client, invitation, team):
    client.force_login(team["admin"])
    client.post(f"/workspaces/invitations/{invitation.code}/revoke")
    invitation.refresh_from_db()
    assert invitation.revoked_at
    assert invitation.token not in client.get(f"/workspaces/{team['workspace'].code}/").content.decode()


def test_an_invitation_for_an_email_is_only_for_that_account(client, alice, bob, team):
    invitation = Invitation.objects.create(workspace=team["workspace"], email="alice@example.com")
    client.force_login(bob)
    page = client.post(f"/workspaces/join/{invitation.token}/").content.decode()
    assert "This invitation is meant for alice@example.com" in page
    assert not Membership.objects.filter(workspace=team["workspace"], user=bob).exists()
    assert mail.outbox == []


def _confirmation_link() -> str:
    (message,) = mail.outbox
    match = re.search(r"http://testserver(/workspaces/join/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_an_invitation_for_an_email_needs_that_mailbox_confirmed(client, alice, team):
    """Anyone can sign up with any address: matching it is not enough, reading its mail is."""
    invitation = Invitation.objects.create(workspace=team["workspace"], email="alice@example.com")
    client.force_login(alice)
    page = client.get(f"/workspaces/join/{invitation.token}/").content.decode()
    assert "This invitation was sent to alice@example.com. To accept it, confirm that address" in page
    response = client.post(f"/workspaces/join/{invitation.token}/")
    assert "We sent a confirmation link to alice@example.com" in response.content.decode()
    assert not Membership.objects.filter(workspace=team["workspace"], user=alice).exists()
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "Confirm your email to join Team" in mail.outbox[0].subject
    link = _confirmation_link()
    page = client.get(link).content.decode()
    assert "Accept and join" in page
    proof = re.search(r'name="proof" value="([^"]+)"', page).group(1)
    response = client.post(f"/workspaces/join/{invitation.token}/", {"proof": proof})
    assert response["Location"] == "/projects/"
    assert Membership.objects.get(workspace=team["workspace"], user=alice).role == Role.EDITOR


def test_a_confirmation_link_works_only_for_the_account_that_asked(client, alice, team):
    invitation = Invitation.objects.create(workspace=team["workspace"], email="alice@example.com")
    client.force_login(alice)
    client.post(f"/workspaces/join/{invitation.token}/")
    proof = _confirmation_link().split("proof=")[1]
    # Someone else who signed up with Alice's address (no proof of it) and got hold of the link.
    impostor = User.objects.create_user("impostor", "ALICE@example.com", "x-Strong-pass-1")
    client.force_login(impostor)
    response = client.post(f"/workspaces/join/{invitation.token}/", {"proof": proof})
    assert not Membership.objects.filter(workspace=team["workspace"], user=impostor).exists()
    assert "We sent a confirmation link" in response.content.decode()  # they must prove it themselves
    client.force_login(alice)
    client.post(f"/workspaces/join/{invitation.token}/", {"proof": "1234:forged"})
    assert not Membership.objects.filter(workspace=team["workspace"], user=alice).exists()


def test_an_unknown_token_is_404(client):
    assert client.get("/workspaces/join/not-a-real-token/").status_code == 404


def test_accepting_never_demotes_a_member(invitation, team):
    """Two tabs: the admin opens a viewer invitation as an outsider would, and accepts it."""
    membership = invitation.accept(team["admin"])
    assert membership is not None and membership.role == Role.ADMIN
    assert Membership.objects.get(workspace=team["workspace"], user=team["admin"]).role == Role.ADMIN
