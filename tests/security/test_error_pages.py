"""Error pages, with DEBUG off and on, show no password, secret or token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from studio.accounts.forms import SignupForm

pytestmark = pytest.mark.django_db

# Built at run time: the debug page quotes source lines near the frame that raised.
PASSWORD = "-".join(["Hunter2", "very", "secret", "pass"])


@pytest.fixture
def signup_breaks(monkeypatch):
    def boom(self, commit=True):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(SignupForm, "save", boom)


def _signup(client: Client):
    data = {"username": "newbie", "email": "n@example.com", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("accounts:signup"), data)


def test_debug_page_hides_the_settings_secrets(settings, signup_breaks):
    settings.DEBUG = True
    settings.CHANJING_SECRET_KEY = "chanjing-secret-on-the-server"
    response = _signup(Client(raise_request_exception=False))
    assert response.status_code == 500
    page = response.content.decode()
    assert "the database went away" in page  # it is the technical page
    for secret in ("chanjing-secret-on-the-server", settings.SECRET_KEY):
        assert f"{secret}&#x27;" not in page and f"{secret}'" not in page


def test_plain_500_page_and_error_report_without_the_password(settings, signup_breaks, caplog, mailoutbox):
    """With DEBUG off Django's reports hide POST fields the view marks sensitive, as login does."""
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.com")]
    response = _signup(Client(raise_request_exception=False))
    assert response.status_code == 500
    assert PASSWORD not in response.content.decode()
    assert "the database went away" not in response.content.decode()
    assert PASSWORD not in caplog.text
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Frame-Options"] == "DENY"
    [report] = mailoutbox
    assert "the database went away" in report.body and "password1" in report.body
    assert PASSWORD not in report.body
    assert all(PASSWORD not in str(content) for content, _type in report.alternatives)
