"""The usage CSV carries names people chose: a spreadsheet must show them, not run them."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from studio.accounts.models import User
from studio.generations.models import Generation, Project, Status
from studio.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("https://evil.example","open")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTab", "\rCR"]


@pytest.mark.parametrize("name", FORMULAS)
def test_names_that_look_like_formulas_are_quoted(client, name):
    staff = User.objects.create_user("ops", "ops@example.com", "x-Strong-pass-1", is_staff=True)
    workspace = Workspace.objects.create(name=name, created_by=staff)
    project = Project.objects.create(workspace=workspace, name="p", created_by=staff)
    Generation.objects.create(
        workspace=workspace, project=project, created_by=staff, prompt="p", status=Status.SUCCEEDED
    )
    client.force_login(staff)
    today = timezone.localdate().isoformat()
    response = client.get(
        reverse("usage:review_csv"), {"start": today, "end": today, "period": "day", "group": "workspace"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    labels = [row[1] for row in rows[1:-1]]
    assert labels == [f"'{name}"]
    assert rows[-1][1] == "Total"
