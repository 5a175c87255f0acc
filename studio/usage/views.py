"""Staff pages beside the admin: the usage review (and its CSV) and the system status."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from studio.usage.chart import bar_chart
from studio.usage.forms import UsageFilterForm
from studio.usage.report import GROUPS, Report, build_report
from studio.usage.status import system_status

CHART_DATE_FORMATS = {"day": "%m-%d", "week": "%m-%d", "month": "%Y-%m"}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _report(form: UsageFilterForm) -> Report | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return build_report(data["start"], data["end"], data["period"], data["group"])


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _text_cell(value: str) -> str:
    """A name people chose (workspace, project, user), quoted so a spreadsheet shows it as text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


@staff_member_required
@require_GET
def usage_review(request: HttpRequest) -> HttpResponse:
    form = UsageFilterForm.from_query(request.GET)
    report = _report(form)
    context = {
        **admin.site.each_context(request),
        "title": _("Usage review"),
        "form": form,
        "report": report,
        "group_label": GROUPS[report.group][0] if report else "",
        "chart": bar_chart(report.chart, date_format=CHART_DATE_FORMATS[report.period]) if report else None,
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "usage/review.html", context)


@staff_member_required
@require_GET
def usage_review_csv(request: HttpRequest) -> HttpResponse:
    form = UsageFilterForm.from_query(request.GET)
    report = _report(form)
    if report is None:
        return HttpResponse(_("Invalid filter."), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="usage-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Period"),
            str(GROUPS[report.group][0]),
            _("Generations"),
            _("Succeeded"),
            _("Failed"),
            _("Cancelled"),
            _("In progress"),
            _("Seconds billed"),
            _("Success rate %"),
            _("Failure rate %"),
            _("Median queue time (s)"),
            _("Median generation time (s)"),
        ]
    )
    for row in [*report.rows, report.totals]:
        writer.writerow(
            [
                "" if row is report.totals else row.period.isoformat(),
                _text_cell(row.label),
                row.generations,
                row.succeeded,
                row.failed,
                row.cancelled,
                row.in_progress,
                row.billed_seconds,
                _percent(row.success_rate),
                _percent(row.failure_rate),
                _seconds(row.median_queue_seconds),
                _seconds(row.median_generation_seconds),
            ]
        )
    return response


@staff_member_required
@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": _("System status"),
        "status": system_status(),
    }
    return render(request, "usage/status.html", context)
