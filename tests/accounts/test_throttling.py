"""Sign-in is throttled per account and per client address (django-axes), the admin's too.

The lockout ends by itself: the tests move the recorded failures back in time rather than wait.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def _sign_in(
    client: Client, username: str, password: str, *, ip: str = "10.0.0.1", url="/accounts/login/", **extra
):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def test_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused_too(client, alice):
    statuses = [_sign_in(client, "alice", WRONG).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the form again with its error, then the lockout
    response = _sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert "Try again in 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_the_account_stays_locked_from_another_address(client, alice):
    for _ in range(3):
        _sign_in(client, "alice", WRONG, ip="10.0.0.1")
    assert _sign_in(Client(), "alice", PASSWORD, ip="10.9.9.9").status_code == 429


def test_one_address_trying_many_accounts_is_locked_out(client, alice):
    for name in ("bob", "carol", "dave"):
        _sign_in(client, name, WRONG, ip="10.0.0.7")
    assert _sign_in(client, "alice", PASSWORD, ip="10.0.0.7").status_code == 429
    # Alice herself, from her own address, is not affected.
    assert _sign_in(Client(), "alice", PASSWORD, ip="10.0.0.8").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_lockout(client, alice):
    for n in range(3):
        _sign_in(client, f"user{n}", WRONG, ip="10.0.0.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _sign_in(client, "alice", PASSWORD, ip="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_the_lockout_expires_by_itself(client, alice):
    for _ in range(3):
        _sign_in(client, "alice", WRONG)
    assert _sign_in(client, "alice", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = _sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_success_before_the_limit_clears_the_count(client, alice):
    for _ in range(2):
        _sign_in(client, "alice", WRONG)
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        _sign_in(client, "alice", WRONG)
    assert _sign_in(client, "alice", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_too(client):
    root = make_user("root")
    root.is_staff = root.is_superuser = True
    root.save()
    statuses = [_sign_in(client, "root", WRONG, url="/admin/login/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = _sign_in(client, "root", PASSWORD, url="/admin/login/")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_speaks_chinese(client, alice):
    for _ in range(3):
        _sign_in(client, "alice", WRONG, **ZH)
    page = _sign_in(client, "alice", PASSWORD, **ZH).content.decode()
    assert "登录失败次数过多" in page
    assert "15 分钟" in page
