"""The usage review: generations grouped by period and by who or what asked for them.

Three queries whatever the amount of data: the grouped totals, the timings (for medians,
computed in Python so SQLite and PostgreSQL agree) and the top failure reasons.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, Count, Q, Sum, When
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.generations.ledger import BILLED, SETTLED_FAILURE, billed_seconds_expression
from studio.generations.models import Generation, Status

PERIODS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
# Group key: the fields that identify a group and, last, the one that names it.
GROUPS = {
    "user": (_("User"), ("created_by_id", "created_by__username")),
    "workspace": (_("Workspace"), ("workspace_id", "workspace__name")),
    "project": (_("Project"), ("project_id", "project__name")),
    "model": (_("Model"), ("model_code",)),
}
TOP_REASONS = 10


@dataclass
class Row:
    period: date
    label: str
    generations: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    billed_seconds: int = 0
    queue_seconds: list[float] = field(default_factory=list, repr=False)
    generation_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def in_progress(self) -> int:
        return self.generations - self.succeeded - self.failed - self.cancelled

    @property
    def settled(self) -> int:
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> float | None:
        """Of the tasks the provider finished; cancelled and unfinished ones are left out."""
        return self.succeeded / self.settled if self.settled else None

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.settled if self.settled else None

    @property
    def median_queue_seconds(self) -> float | None:
        return statistics.median(self.queue_seconds) if self.queue_seconds else None

    @property
    def median_generation_seconds(self) -> float | None:
        return statistics.median(self.generation_seconds) if self.generation_seconds else None


@dataclass
class Report:
    start: date
    end: date
    period: str
    group: str
    rows: list[Row]
    totals: Row
    reasons: list[tuple[str, int]]

    @property
    def chart(self) -> list[tuple[date, int]]:
        """Billed seconds per period, every period of the range present, oldest first."""
        by_period: dict[date, int] = defaultdict(int)
        for row in self.rows:
            by_period[row.period] += row.billed_seconds
        return [
            (period, by_period.get(period, 0))
            for period in periods_between(self.start, self.end, self.period)
        ]


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def periods_between(start: date, end: date, period: str) -> list[date]:
    periods, current = [], period_start(start, period)
    while current <= end:
        periods.append(current)
        if period == "day":
            current += timedelta(days=1)
        elif period == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return periods


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def _as_date(value: date | datetime) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def build_report(start: date, end: date, period: str = "day", group: str = "workspace") -> Report:
    low, high = _bounds(start, end)
    keys = GROUPS[group][1]
    trunc = Trunc("created_at", period, tzinfo=timezone.get_current_timezone())
    generations = Generation.objects.filter(created_at__gte=low, created_at__lt=high)
    in_range = generations.annotate(bucket=trunc)

    rows: dict[tuple[object, ...], Row] = {}
    grouped = (
        in_range.values("bucket", *keys)
        .annotate(
            generations=Count("id"),
            succeeded=Count("id", filter=BILLED),
            failed=Count("id", filter=SETTLED_FAILURE),
            cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
            billed_seconds=Sum(billed_seconds_expression),
        )
        .order_by()
    )
    for item in grouped:
        key = (_as_date(item["bucket"]), *(item[k] for k in keys))
        rows[key] = Row(
            period=key[0],
            label=str(item[keys[-1]] or _("(deleted)")),
            generations=item["generations"],
            succeeded=item["succeeded"],
            failed=item["failed"],
            cancelled=item["cancelled"],
            billed_seconds=item["billed_seconds"] or 0,
        )

    timings = in_range.filter(submitted_at__isnull=False).values_list(
        "bucket", *keys, "created_at", "submitted_at", "finished_at", "status"
    )
    totals = Row(period=start, label=str(_("Total")))
    for bucket, *rest in timings.order_by():
        group_values, (created, submitted, finished, status) = rest[: len(keys)], rest[len(keys) :]
        row = rows[(_as_date(bucket), *group_values)]
        queued = (submitted - created).total_seconds()
        row.queue_seconds.append(queued)
        totals.queue_seconds.append(queued)
        if status == Status.SUCCEEDED and finished is not None:
            took = (finished - submitted).total_seconds()
            row.generation_seconds.append(took)
            totals.generation_seconds.append(took)

    ordered = sorted(rows.values(), key=lambda row: (row.period, row.label.lower()))
    for row in ordered:
        for name in ("generations", "succeeded", "failed", "cancelled", "billed_seconds"):
            setattr(totals, name, getattr(totals, name) + getattr(row, name))

    reason = Case(When(error_raw="", then="error_message"), default="error_raw", output_field=CharField())
    reasons = (
        generations.filter(status=Status.FAILED)
        .annotate(reason=reason)
        .values("reason")
        .annotate(count=Count("id"))
        .order_by("-count", "reason")[:TOP_REASONS]
    )
    return Report(
        start=start,
        end=end,
        period=period,
        group=group,
        rows=ordered,
        totals=totals,
        reasons=[(item["reason"] or str(_("(no reason recorded)")), item["count"]) for item in reasons],
    )
