from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.generations.images import check_frame
from studio.generations.models import AspectRatio, Clarity, Duration, Project

PROMPT_MAX_LENGTH = 2000


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class GenerationForm(forms.Form):
    prompt = forms.CharField(
        label=gettext_lazy("Prompt"),
        max_length=PROMPT_MAX_LENGTH,
        error_messages={"required": gettext_lazy("Write a prompt first.")},
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": PROMPT_MAX_LENGTH, "data-char-count": ""}),
        help_text=gettext_lazy("Describe the shot in Chinese or English: subject, motion, camera, light."),
    )
    aspect_ratio = forms.ChoiceField(
        label=gettext_lazy("Aspect ratio"), choices=AspectRatio.choices, initial=AspectRatio.PORTRAIT
    )
    clarity = forms.TypedChoiceField(
        label=gettext_lazy("Clarity"), choices=Clarity.choices, coerce=int, initial=Clarity.P1080
    )
    duration = forms.TypedChoiceField(
        label=gettext_lazy("Duration"), choices=Duration.choices, coerce=int, initial=Duration.FIVE
    )
    start_frame = forms.ImageField(
        label=gettext_lazy("Start frame"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=gettext_lazy("Optional. JPEG, PNG or WebP, up to 10 MB, short side at least 300 px."),
    )
    end_frame = forms.ImageField(
        label=gettext_lazy("End frame"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=gettext_lazy("Optional, and only with a start frame."),
    )

    def clean_prompt(self) -> str:
        prompt = self.cleaned_data["prompt"].strip()
        if not prompt:
            raise forms.ValidationError(_("Write a prompt first."))
        return prompt

    def clean_start_frame(self):
        frame = self.cleaned_data.get("start_frame")
        if frame:
            check_frame(frame)
        return frame

    def clean_end_frame(self):
        frame = self.cleaned_data.get("end_frame")
        if frame:
            check_frame(frame)
        return frame

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("end_frame") and not cleaned.get("start_frame") and "start_frame" not in self.errors:
            self.add_error("end_frame", _("An end frame needs a start frame."))
        return cleaned
