"""Every list page runs the same number of SQL queries for 2 items as for 25."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations.models import Generation, Project, SavedPrompt, Status
from studio.sharing.models import ShareLink
from studio.workspaces.models import Invitation, Role
from tests.factories import add_member, finished_generation, make_generation, make_project, make_user

pytestmark = pytest.mark.django_db


def add_items(team, count: int, start: int) -> None:
    workspace, project, owner = team["workspace"], team["project"], team["owner"]
    for index in range(start, start + count):
        make_project(workspace, name=f"project {index}")
        member = make_user(f"member{index}")
        add_member(workspace, member, Role.EDITOR)
        Invitation.objects.create(workspace=workspace, role=Role.VIEWER, created_by=owner)
        SavedPrompt.objects.create(project=project, name=f"prompt {index}", text="雨夜街头", created_by=owner)
        generation = finished_generation(workspace, project, member, prompt=f"shot {index}")
        ShareLink.objects.create(generation=generation, created_by=owner)
        make_generation(
            project,
            created_by=member,
            prompt=f"failed {index}",
            status=Status.FAILED,
            error_kind="task_failed",
            error_raw="内容审核未通过",
            parent=generation,
        )
        trashed = finished_generation(workspace, project, member, prompt=f"deleted {index}")
        Generation.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
        Project.objects.create(
            workspace=workspace, name=f"deleted project {index}", created_by=owner, deleted_at=timezone.now()
        )


def list_pages(team) -> list[str]:
    return [
        "/projects/",
        f"/projects/{team['project'].code}/",
        f"/projects/{team['project'].code}/prompts/",
        f"/workspaces/{team['workspace'].code}/",
        "/gallery/team/",
        "/gallery/?status=all",
        "/trash/",
    ]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_list_pages_run_a_constant_number_of_queries(sign_in_as, team):
    client = sign_in_as("owner")
    add_items(team, 2, start=0)
    few = {url: count_queries(client, url) for url in list_pages(team)}
    add_items(team, 23, start=2)
    many = {url: count_queries(client, url) for url in list_pages(team)}
    assert many == few
