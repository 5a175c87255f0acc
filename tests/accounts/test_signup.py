from __future__ import annotations

import pytest

from studio.accounts.models import User
from studio.workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_sign_up_creates_a_personal_workspace_and_signs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "lin",
            "email": "lin@example.com",
            "password1": "Xy-long-pass-99",
            "password2": "Xy-long-pass-99",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="lin")
    membership = Membership.objects.get(user=user)
    assert membership.workspace.is_personal and membership.role == Role.OWNER
    page = client.get("/projects/")
    assert page.status_code == 200
    assert "No projects yet" in page.content.decode()


def test_sign_up_errors_show_next_to_the_fields(client, alice):
    response = client.post(
        "/accounts/signup/",
        {"username": "alice", "email": "alice@example.com", "password1": "short", "password2": "other"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "A user with that username already exists." in html
    assert "An account with this email already exists." in html


def test_sign_in_and_sign_out(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "a-Strong-pass-123"})
    assert response.status_code == 302
    assert client.get("/projects/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # sign-out is a POST, never a link
    client.post("/accounts/logout/")
    assert client.get("/projects/").status_code == 302


def test_pages_need_a_signed_in_user(client):
    response = client.get("/gallery/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
