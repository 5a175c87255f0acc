from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EXPIRY_CHOICES = [
    ("", _("Never")),
    ("1", _("1 day")),
    ("7", _("7 days")),
    ("30", _("30 days")),
]


class ShareLinkForm(forms.Form):
    expires_in = forms.TypedChoiceField(
        label=_("Expires"), choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False
    )
    hide_prompt = forms.BooleanField(label=_("Hide the prompt"), required=False)

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data["expires_in"]
        return timezone.now() + timedelta(days=days) if days else None
