"""The usage review page and its CSV show exactly the fixture's totals, in constant queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.generations.models import Status
from tests.factories import at, make_past_generation

pytestmark = pytest.mark.django_db

RANGE = {"start": "2025-03-01", "end": "2025-03-02"}
HEADER = [
    "Period",
    "Workspace",
    "Generations",
    "Succeeded",
    "Failed",
    "Cancelled",
    "In progress",
    "Seconds billed",
    "Success rate %",
    "Failure rate %",
    "Median queue time (s)",
    "Median generation time (s)",
]


def csv_rows(client, **params) -> list[list[str]]:
    response = client.get("/admin/usage/review.csv", {**RANGE, **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="usage-20250301-20250302.csv"' in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_by_day_and_workspace(client, staff, ledger):
    client.force_login(staff)
    assert csv_rows(client, period="day", group="workspace") == [
        HEADER,
        ["2025-03-01", "Team", "4", "2", "1", "1", "0", "15", "66.7", "33.3", "20.0", "65.0"],
        ["2025-03-02", "Dan's", "4", "1", "2", "0", "1", "5", "33.3", "66.7", "55.0", "40.0"],
        ["", "Total", "8", "3", "3", "1", "1", "20", "50.0", "50.0", "40.0", "50.0"],
    ]


def test_csv_by_month_and_user_and_by_model(client, staff, ledger):
    client.force_login(staff)
    rows = csv_rows(client, period="month", group="user")
    assert rows[0][1] == "User"
    assert rows[1:] == [
        ["2025-03-01", "carol", "4", "2", "1", "1", "0", "15", "66.7", "33.3", "20.0", "65.0"],
        ["2025-03-01", "dan", "4", "1", "2", "0", "1", "5", "33.3", "66.7", "55.0", "40.0"],
        ["", "Total", "8", "3", "3", "1", "1", "20", "50.0", "50.0", "40.0", "50.0"],
    ]
    by_model = csv_rows(client, period="week", group="model")
    # 1 and 2 March 2025 are a Saturday and a Sunday: one ISO week starting Monday 24 February.
    assert by_model[1:] == [
        [
            "2025-02-24",
            "Doubao-Seedance-1.0-lite-i2v",
            "8",
            "3",
            "3",
            "1",
            "1",
            "20",
            "50.0",
            "50.0",
            "40.0",
            "50.0",
        ],
        ["", "Total", "8", "3", "3", "1", "1", "20", "50.0", "50.0", "40.0", "50.0"],
    ]


def test_page_shows_the_same_table_chart_and_failure_reasons(client, staff, ledger):
    client.force_login(staff)
    response = client.get("/admin/usage/review/", {**RANGE, "period": "day", "group": "project"})
    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.label, r.generations, r.billed_seconds) for r in report.rows] == [
        ("Launch", 4, 15),
        ("Teaser", 4, 5),
    ]
    assert (report.totals.generations, report.totals.billed_seconds) == (8, 20)
    assert report.reasons == [("content rejected", 2), ("timed out", 1)]
    html = response.content.decode()
    assert "<svg" in html and "<script" not in html.split('id="content-main"')[1]
    assert "<title>03-01: 15 s</title>" in html
    assert "<title>03-02: 5 s</title>" in html
    assert "content rejected" in html and "timed out" in html
    assert '<td class="num">67%</td>' in html  # Launch's success rate
    assert "65.0 s" in html  # Launch's median generation time
    assert (
        f'href="/admin/usage/review.csv?{response.wsgi_request.GET.urlencode()}"'.replace("&", "&amp;")
        in html
    )


def test_default_range_and_bad_filters(client, staff, ledger):
    client.force_login(staff)
    response = client.get("/admin/usage/review/")
    assert response.status_code == 200
    assert response.context["report"] is not None  # the last 30 days, by day and workspace
    bad = client.get("/admin/usage/review/", {"start": "2025-03-02", "end": "2025-03-01"})
    assert bad.status_code == 200
    assert bad.context["report"] is None
    assert "The end date comes before the start date." in bad.content.decode()
    assert client.get("/admin/usage/review.csv", {"period": "year"}).status_code == 400


def test_retries_and_polls_count_once(client, staff, ledger):
    """Attempts and provider calls live on one row; an admin retry is a new, separately billed request."""
    client.force_login(staff)
    rows = csv_rows(client, period="day", group="user")
    dan = next(row for row in rows if row[1] == "dan")
    assert dan[7] == "5"  # the 5 s task that took 3 submit attempts is billed once


def test_query_count_is_constant_as_data_grows(client, staff, ledger):
    client.force_login(staff)
    params = {**RANGE, "period": "day", "group": "user"}

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        return len(queries)

    before = (count("/admin/usage/review/"), count("/admin/usage/review.csv"))
    for i in range(30):
        make_past_generation(
            ledger["launch"],
            ledger["carol"],
            created=at(1 + i % 2, 8, i),
            status=[Status.SUCCEEDED, Status.FAILED][i % 2],
            error_raw=f"reason {i % 4}",
        )
    assert (count("/admin/usage/review/"), count("/admin/usage/review.csv")) == before


@pytest.mark.parametrize("url", ["/admin/usage/review/", "/admin/usage/review.csv", "/admin/status/"])
def test_staff_only(client, alice, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    client.force_login(alice)  # signed in, not staff
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.post(url).status_code in {302, 405}


def test_admin_index_links_to_the_pages(client, staff):
    client.force_login(staff)
    html = client.get("/admin/").content.decode()
    assert 'href="/admin/usage/review/"' in html
    assert 'href="/admin/status/"' in html
