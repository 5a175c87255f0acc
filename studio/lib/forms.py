"""Form fields shared by the apps."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2999, 12, 31)


class BoundedDateField(forms.DateField):
    """A date the studio can compute with. Year 1 or 9999 parse as dates, but adding a day or
    turning local midnight into UTC overflows; such a date gets the usual "ensure this value"
    error instead."""

    default_validators = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]
