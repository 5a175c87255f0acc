from __future__ import annotations

from django import forms

from studio.sequences.models import Sequence


class SequenceForm(forms.ModelForm[Sequence]):
    class Meta:
        model = Sequence
        fields = ["name", "aspect_ratio", "clarity", "fit", "crossfade_ms"]
