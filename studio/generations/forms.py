from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Literal

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.generations.images import (
    ALLOWED_FORMATS,
    MAX_LONG_SIDE,
    MAX_RATIO,
    MIN_RATIO,
    MIN_SHORT_SIDE,
    clean_frame,
)
from studio.generations.models import AspectRatio, Clarity, Duration, Generation, Project

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.db.models.fields.files import FieldFile

    from studio.accounts.models import User

PROMPT_MAX_LENGTH = 2000
MAX_TAKES = 4
# Submit tokens map to generation codes inside this namespace (see GenerationForm.submission_code).
SUBMIT_NAMESPACE = uuid.UUID("6f1c2d0e-5a43-4c59-9a53-2b7f0e8d41c7")


def new_submit_token() -> str:
    return uuid.uuid4().hex


def frame_widget() -> forms.ClearableFileInput:
    """A file input carrying the server's frame limits, so the page can check an image before upload."""
    return forms.ClearableFileInput(
        attrs={
            "accept": ",".join(ALLOWED_FORMATS.values()),
            "data-frame": "",
            "data-max-bytes": settings.FRAME_MAX_BYTES,
            "data-min-short-side": MIN_SHORT_SIDE,
            "data-max-long-side": MAX_LONG_SIDE,
            "data-min-ratio": MIN_RATIO,
            "data-max-ratio": MAX_RATIO,
        }
    )


class ProjectForm(forms.ModelForm[Project]):
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
    # Segmented choices: radio buttons drawn as one row of toggles (templates/includes/segmented.html).
    aspect_ratio = forms.ChoiceField(
        label=gettext_lazy("Aspect ratio"),
        choices=AspectRatio.choices,
        initial=AspectRatio.PORTRAIT,
        widget=forms.RadioSelect,
    )
    clarity = forms.TypedChoiceField(
        label=gettext_lazy("Clarity"),
        choices=Clarity.choices,
        coerce=int,
        initial=Clarity.P1080,
        widget=forms.RadioSelect,
    )
    duration = forms.TypedChoiceField(
        label=gettext_lazy("Duration"),
        choices=Duration.choices,
        coerce=int,
        initial=Duration.FIVE,
        widget=forms.RadioSelect,
    )
    start_frame = forms.ImageField(
        label=gettext_lazy("Start frame"),
        required=False,
        widget=frame_widget(),
        help_text=gettext_lazy("Optional. JPEG, PNG or WebP, up to 10 MB, short side at least 300 px."),
    )
    end_frame = forms.ImageField(
        label=gettext_lazy("End frame"),
        required=False,
        widget=frame_widget(),
        help_text=gettext_lazy("Optional, and only with a start frame."),
    )
    takes = forms.TypedChoiceField(
        label=gettext_lazy("Takes"),
        choices=[(n, str(n)) for n in range(1, MAX_TAKES + 1)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # the stubs allow only str; Django takes any value
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Variations of the same prompt, made side by side."),
    )
    # Remix: the generation whose settings filled this form. The view resolves it through the
    # scoped lookup and passes it in as `parent`; its stored frames are reused unless a new file
    # is chosen or the box is unticked.
    remix_of = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # "Continue this shot": the parent's last frame (studio.sequences.frames) is the start frame.
    continues = forms.BooleanField(required=False, widget=forms.HiddenInput)
    keep_start_frame = forms.BooleanField(label=gettext_lazy("Use its start frame"), required=False)
    keep_end_frame = forms.BooleanField(label=gettext_lazy("Use its end frame"), required=False)
    prompt_name = forms.CharField(
        label=gettext_lazy("Name for the prompt library"), required=False, max_length=120
    )
    # One token per rendered form: a double click or a resent POST makes one generation.
    submit_token = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput, initial=new_submit_token
    )

    def __init__(
        self, *args: Any, parent: Generation | None = None, continues: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.parent = parent
        if parent is not None and (continues or (self.is_bound and self.data.get("continues"))):
            self.fields["keep_start_frame"].label = gettext_lazy("Start from its last frame")
            # The prompt is what changes from one shot to the next: the cursor starts there.
            self.fields["prompt"].widget.attrs["autofocus"] = True
        if parent is not None and not self.is_bound:
            self.initial = {
                **self.initial,
                **{
                    "prompt": parent.prompt,
                    "aspect_ratio": parent.aspect_ratio,
                    "clarity": parent.clarity,
                    "duration": parent.duration,
                    "remix_of": parent.code,
                    "keep_start_frame": bool(parent.start_frame),
                    "keep_end_frame": bool(parent.end_frame),
                },
            }
            if continues:
                self.initial.update(continues=True, keep_start_frame=True, keep_end_frame=False)

    @property
    def is_continue(self) -> bool:
        """Continuing the parent: its last frame starts the new video (bound or not)."""
        if self.parent is None:
            return False
        if self.is_bound:
            return bool(self.data.get("continues")) and bool(self.parent.last_frame)
        return bool(self.initial.get("continues"))

    def submission_code(self, user: User) -> uuid.UUID | None:
        """The code of the generation this form makes; the same token always gives the same code."""
        token = self.cleaned_data.get("submit_token")
        return uuid.uuid5(SUBMIT_NAMESPACE, f"{user.pk}:{token}") if token else None

    def clean_prompt(self) -> str:
        prompt: str = self.cleaned_data["prompt"].strip()
        if not prompt:
            raise forms.ValidationError(_("Write a prompt first."))
        return prompt

    # False is FileField's answer when the clear box is ticked on an optional field.
    def clean_start_frame(self) -> UploadedFile[bytes] | Literal[False] | None:
        return self._clean_frame("start")

    def clean_end_frame(self) -> UploadedFile[bytes] | Literal[False] | None:
        return self._clean_frame("end")

    def _clean_frame(self, which: str) -> UploadedFile[bytes] | Literal[False] | None:
        frame = self.cleaned_data.get(f"{which}_frame")
        if frame:
            # Re-encoded: only the picture is kept (no metadata, nothing appended). The name is
            # ours too: a JPEG called "x.pdf" would be served as a PDF, and Chanjing's upload
            # ticket takes the file's type from its name.
            frame = clean_frame(frame, which)
        return frame

    def clean(self) -> dict[str, Any]:
        """Kept frames come from the parent; then the one rule on frames: an end needs a start."""
        super().clean()
        cleaned = self.cleaned_data
        # A hidden field's own error is never shown next to it: say what to do instead.
        if any(self.fields[name].widget.is_hidden for name in self.errors):
            self.add_error(None, _("This form is out of date or was changed: reload the page and try again."))
        for which in ("start", "end"):
            kept = self._kept_frame(which)
            if not cleaned.get(f"{which}_frame") and kept:
                cleaned[f"{which}_frame"] = kept  # a FieldFile: services reuse the stored image
        if cleaned.get("end_frame") and not cleaned.get("start_frame") and "start_frame" not in self.errors:
            self.add_error("end_frame", _("An end frame needs a start frame."))
        return cleaned

    def _kept_frame(self, which: str) -> FieldFile | None:
        if self.parent is None or not self.cleaned_data.get(f"keep_{which}_frame"):
            return None
        if which == "start" and self.cleaned_data.get("continues"):
            return self.parent.last_frame or None
        return getattr(self.parent, f"{which}_frame") or None
