"""Password reset by email and password change, with Django's own views in the studio's pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Brand-new-pass-42"


def _reset_link() -> str:
    (message,) = mail.outbox
    match = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_the_sign_in_page_offers_a_reset(client):
    assert "/accounts/password/reset/" in client.get("/accounts/login/").content.decode()


def test_reset_by_email_sets_a_new_password_once(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "ALICE@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "Reset your Seedance Studio password" in mail.outbox[0].subject
    link = _reset_link()
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == "/accounts/password/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    # The link is spent.
    again = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_an_unknown_address_sends_nothing_and_says_the_same(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_a_reset_ends_the_sign_in_lockout(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    set_url = client.get(_reset_link(), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert client.post("/accounts/login/", {"username": "alice", "password": NEW}).status_code == 302


def test_an_expired_reset_link_says_so(client, alice, settings, monkeypatch):
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    link = _reset_link()
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    page = client.get(link, follow=True)
    assert "This link no longer works" in page.content.decode()


def test_change_password_needs_the_current_one(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/password/change/")
    assert "Change your password" in page.content.decode()
    wrong = client.post(
        "/accounts/password/change/", {"old_password": "nope", "new_password1": NEW, "new_password2": NEW}
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    response = client.post(
        "/accounts/password/change/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response["Location"] == "/accounts/password/change/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert client.get("/projects/").status_code == 200  # still signed in here


def test_change_password_is_for_signed_in_people(client):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_header_links_to_the_password_change(client, alice):
    client.force_login(alice)
    assert 'href="/accounts/password/change/"' in client.get("/projects/").content.decode()
