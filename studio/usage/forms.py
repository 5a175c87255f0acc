from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.lib.forms import BoundedDateField
from studio.usage.report import GROUPS, PERIODS

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


def default_range() -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


class UsageFilterForm(forms.Form):
    start = BoundedDateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(label=gettext_lazy("By"), choices=list(PERIODS.items()))
    group = forms.ChoiceField(
        label=gettext_lazy("Per"), choices=[(key, label) for key, (label, _fields) in GROUPS.items()]
    )

    @classmethod
    def from_query(cls, query: QueryDict) -> UsageFilterForm:
        start, end = default_range()
        data = {"start": start.isoformat(), "end": end.isoformat(), "period": "day", "group": "workspace"}
        data.update({key: value for key in data if (value := query.get(key))})
        return cls(data)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date comes before the start date."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("Pick a range of at most three years."))
        return cleaned
