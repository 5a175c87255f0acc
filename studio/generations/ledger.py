"""The usage ledger is the generations table itself: one row is one request to the provider.

A row records the seconds asked for (`duration`), clarity, model and status. Submit retries and
polls update that same row, so they can never count twice; an admin "retry" is a new request and
a new row. Only a successful task is billed: the provider does not charge for Error/Fail, and a
cancelled generation was never sent.
"""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, Value, When

from studio.generations.models import Generation, Status

BILLED = Q(status=Status.SUCCEEDED)
SETTLED_FAILURE = Q(status=Status.FAILED)
# Seconds count against a quota while a generation may still be billed.
HOLDS_SECONDS = ~Q(status__in=[Status.FAILED, Status.CANCELLED])

billed_seconds_expression = Case(
    When(BILLED, then=F("duration")), default=Value(0), output_field=IntegerField()
)


def is_billed(generation: Generation) -> bool:
    return generation.status == Status.SUCCEEDED


def billed_seconds(generation: Generation) -> int:
    return generation.duration if is_billed(generation) else 0
