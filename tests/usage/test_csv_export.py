"""The usage CSV carries names people chose: a spreadsheet must show them, not run them."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from studio.generations.models import Status
from tests.factories import make_generation, make_project, make_user, make_workspace

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("https://evil.example","open")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTab", "\rCR"]


@pytest.mark.parametrize("name", FORMULAS)
def test_names_that_look_like_formulas_are_quoted(client, name):
    staff = make_user("ops", is_staff=True)
    workspace = make_workspace(name, owner=staff)
    make_generation(make_project(workspace, name="p"), prompt="p", status=Status.SUCCEEDED)
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
