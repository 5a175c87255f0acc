from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.sandbox.models import RequestLog

pytestmark = pytest.mark.django_db


def test_index_is_labelled_sandbox_and_lists_tasks_to_staff(api, admin_client):
    api.submit(ref_prompt="a paper boat on a puddle")
    response = admin_client.get("/sandbox/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SANDBOX" in html
    assert "a paper boat on a puddle" in html
    assert "<script" not in html


def test_index_shows_nothing_of_any_workspace_to_others(api, client, alice):
    unique_id = api.submit(ref_prompt="a paper boat on a puddle")["data"]
    for visitor in (client, None):
        if visitor is None:
            client.force_login(alice)  # signed in, but not staff
        html = client.get("/sandbox/").content.decode()
        assert "SANDBOX" in html
        assert "paper boat" not in html and unique_id not in html
        assert "sign in to the admin as staff" in html


def test_admin_lists_the_sandbox_state(api, admin_client):
    api.submit()
    for model in ("task", "accesstoken", "uploadedfile", "requestlog"):
        response = admin_client.get(f"/admin/sandbox/{model}/")
        assert response.status_code == 200, model
    assert admin_client.get("/admin/sandbox/task/add/").status_code == 403


def test_files_answer_head_requests(api, client):
    unique_id = api.submit()["data"]
    api.task(unique_id)
    response = client.head(f"/sandbox/outputs/{unique_id}.mp4")
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert int(response["Content-Length"]) > 0


def test_old_request_log_rows_are_pruned_on_token_fetch(api):
    RequestLog.objects.update(created_at=timezone.now() - timedelta(days=8))
    api.issue_token()
    assert list(RequestLog.objects.values_list("endpoint", flat=True)) == ["access_token"]
